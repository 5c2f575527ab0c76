"""Stored sentence vectors, grouped by document version, for ranking sentences inside passages.

Sentence vectors are computed once at ingestion and kept in the store, so answering a question
costs one query embedding and a small matrix product, not an embedding per candidate sentence.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from assistant.answer import Passage
from assistant.snapshot import Snapshot
from assistant.text import terms


@dataclass(frozen=True)
class SentenceRow:
    row: int  # index into the matrix
    text: str
    page: int | None
    char_start: int  # offsets in the page (or document) text, like passages
    char_end: int
    terms: frozenset[str]  # content terms, computed once per rebuild


class SentenceIndex(Snapshot):
    def _rebuild(self) -> None:
        _ids, texts, metas, matrix = self.store.all_sentences()
        self.matrix = matrix
        self.locations = [
            (m.get("doc_id", ""), m.get("doc_hash", ""), m.get("page"), int(m.get("char_start", 0)),
             int(m.get("char_end", 0)))
            for m in metas
        ]
        groups: dict[tuple[str, str, int | None], list[SentenceRow]] = defaultdict(list)
        for row, (text, meta) in enumerate(zip(texts, metas, strict=True)):
            page = meta.get("page")
            groups[(meta.get("doc_id", ""), meta.get("doc_hash", ""), page)].append(
                SentenceRow(
                    row, text, page, int(meta.get("char_start", 0)), int(meta.get("char_end", 0)),
                    frozenset(terms(text)),
                )
            )
        for rows in groups.values():
            rows.sort(key=lambda r: r.char_start)
        self.groups = dict(groups)

    def sentences_in(self, passage: Passage) -> list[SentenceRow]:
        """The stored sentences lying inside ``passage``, in reading order."""
        self.fresh()
        key = (passage.doc_id, str(passage.metadata.get("doc_hash", "")), passage.page)
        return [
            r for r in self.groups.get(key, [])
            if r.char_start >= passage.char_start and r.char_end <= passage.char_end
        ]

    def search(
        self, query_vector: np.ndarray, n: int, doc_ids: set[str] | None = None
    ) -> list[tuple[str, int, int, int | None, float]]:
        """The ``n`` most similar sentences as (doc_id, char_start, char_end, page, similarity)."""
        self.fresh()
        if not len(self.matrix):
            return []
        sims = self.matrix @ query_vector
        out = []
        for row in np.argsort(-sims):
            doc_id, _hash, page, start, end = self.locations[row]
            if doc_ids is not None and doc_id not in doc_ids:
                continue
            out.append((doc_id, start, end, page, float(sims[row])))
            if len(out) >= n:
                break
        return out

    def similarities(self, query_vector: np.ndarray, rows: list[SentenceRow]) -> np.ndarray:
        if not rows:
            return np.zeros(0, dtype=np.float32)
        return self.matrix[[r.row for r in rows]] @ query_vector
