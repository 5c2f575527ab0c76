"""BM25 over the stored passages (bm25s: a sparse inverted index), kept in step with the store.

Rebuilt from the passages collection whenever the store's revision changes, so adds, updates and
deletes, made here or by another process sharing the store, are reflected before the next search.
It also answers "does this term occur in the corpus at all", which the abstention decision uses.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from dataclasses import dataclass

import bm25s
import numpy as np

from assistant.snapshot import Snapshot
from assistant.store import StoredPassage
from assistant.text import terms


@dataclass(frozen=True)
class KeywordState:
    passages: list[StoredPassage]
    by_doc: dict[tuple[str, int | None], list[StoredPassage]]
    term_sets: dict[str, frozenset[str]]
    document_frequency: Counter[str]
    bm25: bm25s.BM25


class KeywordIndex(Snapshot[KeywordState]):
    _vocabulary: tuple[KeywordState | None, list[str]] = (None, [])

    def _build(self) -> KeywordState:
        passages = self.store.all_passages()
        by_doc: dict[tuple[str, int | None], list[StoredPassage]] = {}
        for p in passages:
            by_doc.setdefault((p.metadata.get("doc_id", ""), p.metadata.get("page")), []).append(p)
        tokenized = [terms(p.text) or ["\u2205"] for p in passages]
        frequency: Counter[str] = Counter()
        for toks in tokenized:
            frequency.update(set(toks))
        bm25 = bm25s.BM25()
        if passages:
            bm25.index(tokenized, show_progress=False)
        return KeywordState(
            passages, by_doc, {p.id: frozenset(t) for p, t in zip(passages, tokenized, strict=True)}, frequency, bm25
        )

    def passages_containing(self, doc_id: str, page: int | None, start: int, end: int) -> list[StoredPassage]:
        """Passages of the current version of ``doc_id`` whose span holds [start, end)."""
        return [
            p for p in self.state().by_doc.get((doc_id, page), [])
            if int(p.metadata.get("char_start", 0)) <= start and end <= int(p.metadata.get("char_end", 0))
        ]

    def term_set(self, passage_id: str) -> frozenset[str] | None:
        return self.state().term_sets.get(passage_id)

    def __len__(self) -> int:
        return len(self.state().passages)

    def idf(self, term: str) -> float:
        """Smoothed inverse document frequency; unseen terms get the highest value."""
        state = self.state()
        n = max(1, len(state.passages))
        df = state.document_frequency.get(term, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def contains(self, term: str) -> bool:
        return term in self.state().document_frequency

    def has_prefix(self, prefix: str) -> bool:
        """Whether some corpus term starts with ``prefix`` (variants: "cooperat" -> "cooperation")."""
        state = self.state()
        if self._vocabulary[0] is not state:
            self._vocabulary = (state, sorted(state.document_frequency))
        vocabulary = self._vocabulary[1]
        i = bisect.bisect_left(vocabulary, prefix)
        return i < len(vocabulary) and vocabulary[i].startswith(prefix)

    def search(self, query: str, k: int, doc_ids: set[str] | None = None) -> list[tuple[StoredPassage, float]]:
        """Top ``k`` passages by BM25 (score > 0), optionally only from ``doc_ids``."""
        state = self.state()
        query_terms = [t for t in terms(query) if t in state.document_frequency]
        if not state.passages or not query_terms:
            return []
        scores = np.asarray(state.bm25.get_scores(query_terms), dtype=np.float64)
        if doc_ids is not None:
            mask = np.fromiter((p.metadata.get("doc_id") in doc_ids for p in state.passages), bool, len(scores))
            scores = np.where(mask, scores, 0.0)
        order = np.argsort(-scores, kind="stable")[:k]
        return [(state.passages[i], float(scores[i])) for i in order if scores[i] > 0]
