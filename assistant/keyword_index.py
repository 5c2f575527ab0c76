"""BM25 over the stored passages (bm25s: a sparse inverted index), kept in step with the store.

Rebuilt from the passages collection whenever the store's revision changes, so adds, updates and
deletes, made here or by another process sharing the store, are reflected before the next search.
It also answers "does this term occur in the corpus at all", which the abstention decision uses.
"""

from __future__ import annotations

import math
from collections import Counter

import bm25s
import numpy as np

from assistant.snapshot import Snapshot
from assistant.store import StoredPassage
from assistant.text import terms


class KeywordIndex(Snapshot):
    def _rebuild(self) -> None:
        passages = self.store.all_passages()
        self.passages: list[StoredPassage] = passages
        self.by_id = {p.id: p for p in passages}
        self.by_doc: dict[tuple[str, int | None], list[StoredPassage]] = {}
        for p in passages:
            self.by_doc.setdefault((p.metadata.get("doc_id", ""), p.metadata.get("page")), []).append(p)
        tokenized = [terms(p.text) or ["\u2205"] for p in passages]
        self.term_sets = {p.id: frozenset(toks) for p, toks in zip(passages, tokenized, strict=True)}
        self.document_frequency: Counter[str] = Counter()
        for toks in tokenized:
            self.document_frequency.update(set(toks))
        self.bm25 = bm25s.BM25()
        if passages:
            self.bm25.index(tokenized, show_progress=False)

    def passages_containing(self, doc_id: str, page: int | None, start: int, end: int) -> list[StoredPassage]:
        """Passages of the current version of ``doc_id`` whose span holds [start, end)."""
        self.fresh()
        return [
            p for p in self.by_doc.get((doc_id, page), [])
            if int(p.metadata.get("char_start", 0)) <= start and end <= int(p.metadata.get("char_end", 0))
        ]

    def __len__(self) -> int:
        self.fresh()
        return len(self.passages)

    def idf(self, term: str) -> float:
        """Smoothed inverse document frequency; unseen terms get the highest value."""
        self.fresh()
        n = max(1, len(self.passages))
        df = self.document_frequency.get(term, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def contains(self, term: str) -> bool:
        self.fresh()
        return term in self.document_frequency

    def search(self, query: str, k: int, doc_ids: set[str] | None = None) -> list[tuple[StoredPassage, float]]:
        """Top ``k`` passages by BM25 (score > 0), optionally only from ``doc_ids``."""
        self.fresh()
        query_terms = [t for t in terms(query) if t in self.document_frequency]
        if not self.passages or not query_terms:
            return []
        scores = np.asarray(self.bm25.get_scores(query_terms), dtype=np.float64)
        if doc_ids is not None:
            mask = np.fromiter((p.metadata.get("doc_id") in doc_ids for p in self.passages), bool, len(self.passages))
            scores = np.where(mask, scores, 0.0)
        order = np.argsort(-scores, kind="stable")[:k]
        return [(self.passages[i], float(scores[i])) for i in order if scores[i] > 0]
