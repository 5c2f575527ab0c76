"""BM25 over the stored passages, kept in step with the store document by document.

An inverted index of our own rather than a library's static one, because a write must update it
in place of a rebuild: the postings built at open (numpy arrays per term) stay as they are, a
write adds a small "delta" of postings for the new rows and marks the rows it replaces as dead,
and document frequencies and lengths are kept as running totals. Scores are BM25 with Lucene's
idf (the variant bm25s uses, so rankings match the earlier bm25s index exactly up to float error).
It also answers "does this term occur in the corpus at all", which the abstention decision uses.
"""

from __future__ import annotations

import bisect
import math
from array import array
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from assistant.reading.text import terms
from assistant.search.snapshot import Snapshot
from assistant.store.store import StoredPassage

K1, B = 1.5, 0.75
EMPTY = "\u2205"  # the one "term" of a passage without content terms, so its length is not zero
COMPACT_DELTA_ROWS = 20_000  # past this many rows outside the base postings, rebuild in the background


@dataclass(frozen=True)
class KeywordState:
    passages: list[StoredPassage | None]  # row -> passage; None once removed
    row_of: dict[str, int]  # passage id -> row (live rows only)
    rows_of_doc: dict[str, tuple[int, ...]]
    by_page: dict[tuple[str, int | None], tuple[StoredPassage, ...]]
    base: dict[str, tuple[np.ndarray, np.ndarray]]  # term -> (rows, term frequencies), built at open
    delta: dict[str, tuple[tuple[int, int], ...]]  # term -> ((row, tf), ...) for rows added since
    base_rows: int
    lengths: np.ndarray  # terms per row (float64; 0 for removed rows)
    alive: np.ndarray  # bool per row
    document_frequency: Counter[str]
    total_length: float
    live: int
    term_sets: dict[str, frozenset[str]] = field(default_factory=dict)  # filled as questions ask


    @property
    def average_length(self) -> float:
        return self.total_length / self.live if self.live else 1.0


def _tokens(p: StoredPassage) -> list[str]:
    return terms(p.text) or [EMPTY]


def _group_by_page(passages: list[StoredPassage]) -> dict[tuple[str, int | None], list[StoredPassage]]:
    pages: dict[tuple[str, int | None], list[StoredPassage]] = {}
    for p in passages:
        pages.setdefault((str(p.metadata.get("doc_id", "")), p.metadata.get("page")), []).append(p)
    return pages


class KeywordIndex(Snapshot[KeywordState]):
    _vocabulary: tuple[KeywordState | None, list[str]] = (None, [])

    def _build(self) -> KeywordState:
        """Postings are collected in typed arrays, then sorted by term once: lists of Python ints
        (one object per posting, ~9M at 100k passages) made the build's peak memory ~0.5 GB higher."""
        passages = self.store.all_passages()
        vocabulary: dict[str, int] = {}
        term_ids, rows_col, tfs_col = array("i"), array("i"), array("f")
        lengths = np.zeros(len(passages), dtype=np.float64)
        rows_of_doc: dict[str, list[int]] = {}
        for row, p in enumerate(passages):
            tokens = _tokens(p)
            lengths[row] = len(tokens)
            for term, tf in Counter(tokens).items():
                term_ids.append(vocabulary.setdefault(term, len(vocabulary)))
                rows_col.append(row)
                tfs_col.append(tf)
            rows_of_doc.setdefault(str(p.metadata.get("doc_id", "")), []).append(row)
        ids = np.frombuffer(term_ids, dtype=np.int32)
        order = np.argsort(ids, kind="stable")  # rows stay ascending within a term
        all_rows = np.frombuffer(rows_col, dtype=np.int32)[order]
        all_tfs = np.frombuffer(tfs_col, dtype=np.float32)[order]
        bounds = np.concatenate([[0], np.cumsum(np.bincount(ids, minlength=len(vocabulary)))])
        del ids, order, term_ids, rows_col, tfs_col
        base = {
            term: (all_rows[bounds[i] : bounds[i + 1]], all_tfs[bounds[i] : bounds[i + 1]])
            for i, term in enumerate(vocabulary)
        }
        frequency = Counter({term: int(bounds[i + 1] - bounds[i]) for i, term in enumerate(vocabulary)})
        return KeywordState(
            list(passages), {p.id: i for i, p in enumerate(passages)},
            {d: tuple(r) for d, r in rows_of_doc.items()},
            {k: tuple(v) for k, v in _group_by_page(passages).items()},
            base, {}, len(passages), lengths, np.ones(len(passages), dtype=bool), frequency,
            float(lengths.sum()), len(passages),
        )

    def _apply(self, state: KeywordState, doc_ids: set[str]) -> KeywordState:
        """Remove every row of ``doc_ids``, then add what the store holds for them now."""
        fresh = self.store.all_passages(where={"doc_id": {"$in": sorted(doc_ids)}}) if doc_ids else []
        passages = list(state.passages)
        row_of = dict(state.row_of)
        rows_of_doc = dict(state.rows_of_doc)
        alive = state.alive.copy()
        frequency = state.document_frequency.copy()
        total, live = state.total_length, state.live
        for doc_id in doc_ids:
            for row in rows_of_doc.pop(doc_id, ()):
                old = passages[row]
                assert old is not None
                frequency.subtract(set(_tokens(old)))
                total -= state.lengths[row]
                live -= 1
                alive[row] = False
                passages[row] = None
                row_of.pop(old.id, None)
        frequency = +frequency  # drop terms no live passage has any more
        start = len(passages)
        lengths = np.concatenate([state.lengths, np.zeros(len(fresh))])
        alive = np.concatenate([alive, np.ones(len(fresh), dtype=bool)])
        delta = dict(state.delta)
        added: dict[str, list[tuple[int, int]]] = {}
        new_rows: dict[str, list[int]] = {}
        for offset, p in enumerate(fresh):
            row = start + offset
            tokens = _tokens(p)
            counts = Counter(tokens)
            frequency.update(counts.keys())
            for term, tf in counts.items():
                added.setdefault(term, []).append((row, tf))
            lengths[row] = len(tokens)
            total += len(tokens)
            live += 1
            passages.append(p)
            row_of[p.id] = row
            new_rows.setdefault(str(p.metadata.get("doc_id", "")), []).append(row)
        for doc_id, rows in new_rows.items():
            rows_of_doc[doc_id] = (*rows_of_doc.get(doc_id, ()), *rows)
        for term, entries in added.items():
            delta[term] = delta.get(term, ()) + tuple(entries)
        by_page = {k: v for k, v in state.by_page.items() if k[0] not in doc_ids}
        by_page.update({k: tuple(v) for k, v in _group_by_page(fresh).items()})
        if len(passages) - state.base_rows > COMPACT_DELTA_ROWS:
            self._rebuild_in_background()  # the delta keeps serving until the compact state is ready
        return KeywordState(
            passages, row_of, rows_of_doc, by_page, state.base, delta, state.base_rows, lengths, alive,
            frequency, total, live,
        )

    # --- lookups -------------------------------------------------------------------------

    def passages_containing(self, doc_id: str, page: int | None, start: int, end: int) -> list[StoredPassage]:
        """Passages of the current version of ``doc_id`` whose span holds [start, end)."""
        return [
            p for p in self.state().by_page.get((doc_id, page), ())
            if int(p.metadata.get("char_start", 0)) <= start and end <= int(p.metadata.get("char_end", 0))
        ]

    def term_set(self, passage_id: str) -> frozenset[str] | None:
        state = self.state()
        found = state.term_sets.get(passage_id)
        if found is None:
            row = state.row_of.get(passage_id)
            passage = state.passages[row] if row is not None else None
            if passage is None:
                return None
            found = state.term_sets[passage_id] = frozenset(_tokens(passage))  # ids name one version
        return found

    def __len__(self) -> int:
        return self.state().live

    def idf(self, term: str) -> float:
        """Smoothed inverse document frequency; unseen terms get the highest value."""
        state = self.state()
        return _idf(state.live, state.document_frequency.get(term, 0))

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

    def scores(self, query_terms: list[str], state: KeywordState | None = None) -> np.ndarray:
        """BM25 score of every row (0 for removed rows); a repeated query term counts twice."""
        state = state or self.state()
        out = np.zeros(len(state.passages), dtype=np.float64)
        norm = K1 * (1 - B + B * state.lengths / state.average_length)
        for term in query_terms:
            df = state.document_frequency.get(term, 0)
            if not df:
                continue
            idf = _idf(state.live, df)
            rows, tfs = state.base.get(term, (np.zeros(0, np.int32), np.zeros(0, np.float32)))
            extra = state.delta.get(term)
            if extra:
                rows = np.concatenate([rows, np.fromiter((r for r, _ in extra), np.int32, len(extra))])
                tfs = np.concatenate([tfs, np.fromiter((f for _, f in extra), np.float32, len(extra))])
            out[rows] += idf * tfs / (tfs + norm[rows])
        out[~state.alive] = 0.0
        return out

    def search(self, query: str, k: int, doc_ids: set[str] | None = None) -> list[tuple[StoredPassage, float]]:
        """Top ``k`` passages by BM25 (score > 0), optionally only from ``doc_ids``."""
        state = self.state()
        query_terms = [t for t in terms(query) if t in state.document_frequency]
        if not state.live or not query_terms:
            return []
        scores = self.scores(query_terms, state)
        if doc_ids is not None:
            allowed = [r for d in doc_ids for r in state.rows_of_doc.get(d, ())]
            mask = np.zeros(len(scores), dtype=bool)
            mask[allowed] = True
            scores = np.where(mask, scores, 0.0)
        top = np.flatnonzero(scores > 0)
        if len(top) > k:
            top = top[np.argpartition(-scores[top], k - 1)[:k]]
        top = top[np.lexsort((top, -scores[top]))]  # best first; ties in row order
        return [(p, float(scores[i])) for i in top if (p := state.passages[i]) is not None]


def _idf(n: int, df: int) -> float:
    return math.log(1 + (max(1, n) - df + 0.5) / (df + 0.5))
