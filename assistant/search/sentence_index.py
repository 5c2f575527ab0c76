"""Stored sentence vectors, grouped by document version, for ranking sentences inside passages.

Sentence vectors are computed once at ingestion and kept in the store, so answering a question
costs one query embedding and a small matrix product, not an embedding per candidate sentence.

Two ways to hold them, chosen by size at each full build (``SCAN_MAX_SENTENCES``, measured with
``python -m eval.bench_scale``): up to that many sentences the vectors are kept in memory and a
question scans them all (exact, and faster than a round trip to Chroma); beyond it nothing is read at
open: ``search`` asks Chroma's HNSW index on the sentences collection, and the sentences (rows and
vectors) of the few pages being answered are read from the store when a question first needs them and
kept in a small cache keyed by document version (a version's sentences never change, so the cache
needs no invalidation). At 100k passages (837k sentences) reading every row at open took 276 s and
~1 GB; in this mode the open is free and memory is the cache.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from assistant.answer import Passage
from assistant.reading.text import terms
from assistant.search.snapshot import Snapshot
from assistant.store.store import Store

#: Largest sentence count scanned in memory; above it, Chroma's ANN index answers ``search``.
SCAN_MAX_SENTENCES = 50_000


@dataclass(frozen=True)
class SentenceRow:
    row: int  # index into the rows (and vectors) of the state it came from; -1 for an ANN hit
    doc_id: str
    text: str
    page: int | None
    char_start: int  # offsets in the page (or document) text, like passages
    char_end: int
    role: str = "text"  # heading / lead / item / text (see assistant.structure)
    section: str = ""  # the heading the sentence sits under
    para: int = 0  # line of the page: sentences of one paragraph or list item share it
    speaker: str = ""  # who speaks in it, as the text attributes it (``assistant.reading.speakers``)
    id: str = field(default="", compare=False)  # the sentence's id in the store
    doc_hash: str = field(default="", compare=False)

    @cached_property
    def terms(self) -> frozenset[str]:
        """Content terms, computed when first needed (most rows are never read by a question)."""
        return frozenset(terms(self.text))


def row_from(row: int, text: str, meta: dict, sentence_id: str = "") -> SentenceRow:
    """One stored sentence as the index keeps it (the one place metadata is read)."""
    return SentenceRow(
        row, sys.intern(str(meta.get("doc_id", ""))), text, meta.get("page"), int(meta.get("char_start", 0)),
        int(meta.get("char_end", 0)), sys.intern(str(meta.get("role", "text"))),
        sys.intern(str(meta.get("section", ""))), int(meta.get("para", 0)), sys.intern(str(meta.get("speaker", ""))),
        sentence_id, sys.intern(str(meta.get("doc_hash", ""))),
    )


GroupKey = tuple[str, str, int | None]  # (doc_id, doc_hash, page)


@dataclass(frozen=True)
class SentenceState:
    rows: list[SentenceRow | None]  # None once removed
    groups: dict[GroupKey, tuple[SentenceRow, ...]]  # in reading order
    rows_of_doc: dict[str, tuple[int, ...]]
    alive: np.ndarray  # bool per row
    base: np.ndarray | None  # vectors of rows [0, len(base)), normalised; None: vectors stay in Chroma
    delta: np.ndarray | None  # vectors of the rows added since, in row order

    @property
    def in_memory(self) -> bool:
        return self.base is not None

    def vectors(self, rows: list[int]) -> np.ndarray:
        assert self.base is not None and self.delta is not None
        split = len(self.base)
        idx = np.asarray(rows, dtype=np.int64)
        out = np.empty((len(idx), self.base.shape[1]), dtype=np.float32)
        low = idx < split
        out[low] = self.base[idx[low]]
        out[~low] = self.delta[idx[~low] - split]
        return out


def _grouped(rows: list[SentenceRow]) -> dict[GroupKey, tuple[SentenceRow, ...]]:
    groups: dict[GroupKey, list[SentenceRow]] = {}
    for r in rows:
        groups.setdefault((r.doc_id, r.doc_hash, r.page), []).append(r)
    return {k: tuple(sorted(v, key=lambda r: r.char_start)) for k, v in groups.items()}


class SentenceIndex(Snapshot[SentenceState]):
    scan_max = SCAN_MAX_SENTENCES  # instances (the benchmark) may override it
    cache_max = 50_000  # sentences (of whole document versions) kept from the store in ANN mode: ~80 MB

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self._versions: OrderedDict[tuple[str, str], dict[int | None, tuple[tuple[SentenceRow, ...], np.ndarray]]]
        self._versions = OrderedDict()
        self._cached_rows = 0
        self._cache_lock = threading.Lock()

    def _stored_page(self, key: GroupKey) -> tuple[tuple[SentenceRow, ...], np.ndarray]:
        """ANN mode: the sentences of one page of one document version, in reading order, with their
        vectors. The whole version is read from the store at once (by id, see
        ``Store.version_sentences``) and kept in a small LRU cache of versions."""
        doc_id, doc_hash, page = key
        version = (doc_id, doc_hash)
        with self._cache_lock:
            pages = self._versions.get(version)
            if pages is not None:
                self._versions.move_to_end(version)
        if pages is None:
            pages = self._read_version(doc_id, doc_hash)
            self._remember(version, pages)
        return pages.get(page, ((), np.zeros((0, 0), dtype=np.float32)))

    def prefetch(self, passages: list[Passage]) -> None:
        """ANN mode: read the sentences of every passage's version not cached yet, in one store call
        (a question scores ~6 passages; one call each cost ~4 x 15 ms at 100k passages)."""
        if not passages or self.state().in_memory:
            return
        with self._cache_lock:
            missing = list(dict.fromkeys(p.version for p in passages if p.version not in self._versions))
        if missing:
            for version, read in self.store.versions_sentences(missing).items():
                self._remember(version, self._grouped_version(*read))

    def _remember(self, version: tuple[str, str], pages: dict) -> None:
        with self._cache_lock:
            if version in self._versions:
                return
            self._versions[version] = pages
            self._cached_rows += sum(len(rows) for rows, _ in pages.values())
            while self._cached_rows > self.cache_max and len(self._versions) > 1:
                _, dropped = self._versions.popitem(last=False)
                self._cached_rows -= sum(len(rows) for rows, _ in dropped.values())

    def _read_version(self, doc_id: str, doc_hash: str) -> dict[int | None, tuple[tuple[SentenceRow, ...], np.ndarray]]:
        return self._grouped_version(*self.store.version_sentences(doc_id, doc_hash))

    @staticmethod
    def _grouped_version(
        ids: list[str], texts: list[str], metas: list[dict], matrix: np.ndarray
    ) -> dict[int | None, tuple[tuple[SentenceRow, ...], np.ndarray]]:
        rows = [row_from(n, t, m, sid) for n, (sid, t, m) in enumerate(zip(ids, texts, metas, strict=True))]
        by_page: dict[int | None, list[SentenceRow]] = {}
        for r in rows:
            by_page.setdefault(r.page, []).append(r)
        out = {}
        for page, page_rows in by_page.items():
            page_rows.sort(key=lambda r: r.char_start)
            out[page] = tuple(page_rows), np.ascontiguousarray(matrix[[r.row for r in page_rows]])
        return out

    def _build(self) -> SentenceState:
        in_memory = self.store.sentences.count() <= self.scan_max
        if not in_memory:  # nothing to hold: questions read what they need (see the module's docstring)
            return SentenceState([], {}, {}, np.zeros(0, dtype=bool), None, None)
        ids, texts, metas, matrix = self.store.all_sentences(vectors=in_memory)
        rows = [row_from(i, t, m, sid) for i, (sid, t, m) in enumerate(zip(ids, texts, metas, strict=True))]
        rows_of_doc: dict[str, list[int]] = {}
        for r in rows:
            rows_of_doc.setdefault(r.doc_id, []).append(r.row)
        dim = self.store.embedder.dimension if in_memory else 0
        return SentenceState(
            list(rows), _grouped(rows), {d: tuple(v) for d, v in rows_of_doc.items()},
            np.ones(len(rows), dtype=bool), matrix if in_memory else None,
            np.zeros((0, dim), dtype=np.float32) if in_memory else None,
        )

    def _apply(self, state: SentenceState, doc_ids: set[str]) -> SentenceState:
        """Remove every row of ``doc_ids``, then add what the store holds for them now."""
        if not state.in_memory:
            return state  # ANN mode holds no rows; pages are cached by version, which a write never changes
        where = {"doc_id": {"$in": sorted(doc_ids)}}
        ids, texts, metas, matrix = self.store.all_sentences(where=where, vectors=state.in_memory)
        rows = list(state.rows)
        rows_of_doc = dict(state.rows_of_doc)
        alive = state.alive.copy()
        for doc_id in doc_ids:
            for i in rows_of_doc.pop(doc_id, ()):
                rows[i] = None
                alive[i] = False
        start = len(rows)
        fresh = [row_from(start + n, t, m, sid) for n, (sid, t, m) in enumerate(zip(ids, texts, metas, strict=True))]
        rows.extend(fresh)
        added: dict[str, list[int]] = {}
        for r in fresh:
            added.setdefault(r.doc_id, []).append(r.row)
        for doc_id, new_rows in added.items():
            rows_of_doc[doc_id] = (*rows_of_doc.get(doc_id, ()), *new_rows)
        groups = {k: v for k, v in state.groups.items() if k[0] not in doc_ids}
        groups.update(_grouped(fresh))
        delta = state.delta
        if state.in_memory:
            assert delta is not None and matrix is not None
            delta = np.vstack([delta, matrix]) if len(matrix) else delta
            if len(delta) > max(20_000, len(rows) // 5):
                self._rebuild_in_background()
        return SentenceState(
            rows, groups, rows_of_doc, np.concatenate([alive, np.ones(len(fresh), dtype=bool)]), state.base, delta
        )

    # --- lookups -------------------------------------------------------------------------

    def page_rows(self, passage: Passage) -> list[SentenceRow]:
        """Every stored sentence of the passage's page (its document version), in reading order."""
        key = (*passage.version, passage.page)
        state = self.state()
        if not state.in_memory:
            return list(self._stored_page(key)[0])
        return list(state.groups.get(key, ()))

    def in_passage(self, passage: Passage, query_vector: np.ndarray) -> list[tuple[SentenceRow, float]]:
        """The stored sentences inside ``passage`` in reading order, with their similarity to the query."""
        state = self.state()
        key = (*passage.version, passage.page)
        if not state.in_memory:
            page_rows, matrix = self._stored_page(key)
            picked = [i for i, r in enumerate(page_rows)
                      if r.char_start >= passage.char_start and r.char_end <= passage.char_end]
            rows, vectors = [page_rows[i] for i in picked], matrix[picked]
        else:
            rows = [
                r for r in state.groups.get(key, ())
                if r.char_start >= passage.char_start and r.char_end <= passage.char_end
            ]
            vectors = state.vectors([r.row for r in rows]) if rows else np.zeros((0, 0), np.float32)
        if not rows:
            return []
        sims = vectors @ query_vector
        return list(zip(rows, (float(s) for s in sims), strict=True))

    def search(
        self, query_vector: np.ndarray, n: int, doc_ids: set[str] | None = None
    ) -> list[tuple[SentenceRow, float]]:
        """The ``n`` sentences most similar to the query, anywhere (or in ``doc_ids``)."""
        state = self.state()
        if not state.in_memory:
            where = {"doc_id": {"$in": sorted(doc_ids)}} if doc_ids else None
            hits = self.store.search_sentences(np.asarray(query_vector).tolist(), n, where)
            return [(row_from(-1, text, meta, sid), sim) for sid, text, meta, sim in hits]
        assert state.base is not None and state.delta is not None
        sims = np.concatenate([state.base @ query_vector, state.delta @ query_vector])
        usable = state.alive
        if doc_ids is not None:
            usable = np.zeros(len(sims), dtype=bool)
            usable[[i for d in doc_ids for i in state.rows_of_doc.get(d, ())]] = True
        candidates = np.flatnonzero(usable)
        if len(candidates) > n:
            candidates = candidates[np.argpartition(-sims[candidates], n - 1)[:n]]
        candidates = candidates[np.lexsort((candidates, -sims[candidates]))]
        return [(row, float(sims[i])) for i in candidates if (row := state.rows[i]) is not None]
