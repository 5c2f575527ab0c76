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
    row: int  # index into the matrix of the state it came from
    doc_id: str
    text: str
    page: int | None
    char_start: int  # offsets in the page (or document) text, like passages
    char_end: int
    terms: frozenset[str]  # content terms, computed once per rebuild
    role: str = "text"  # heading / lead / item / text (see assistant.structure)
    section: str = ""  # the heading the sentence sits under
    para: int = 0  # line of the page: sentences of one paragraph or list item share it


@dataclass(frozen=True)
class SentenceState:
    matrix: np.ndarray  # (sentences, dim), normalised
    rows: list[SentenceRow]
    groups: dict[tuple[str, str, int | None], list[SentenceRow]]  # (doc_id, doc_hash, page) -> rows


def row_from(row: int, text: str, meta: dict) -> SentenceRow:
    """One stored sentence as the index keeps it (the one place metadata is read)."""
    return SentenceRow(
        row, str(meta.get("doc_id", "")), text, meta.get("page"), int(meta.get("char_start", 0)),
        int(meta.get("char_end", 0)), frozenset(terms(text)), str(meta.get("role", "text")),
        str(meta.get("section", "")), int(meta.get("para", 0)),
    )


class SentenceIndex(Snapshot[SentenceState]):
    def _build(self) -> SentenceState:
        _ids, texts, metas, matrix = self.store.all_sentences()
        rows: list[SentenceRow] = []
        groups: dict[tuple[str, str, int | None], list[SentenceRow]] = defaultdict(list)
        for i, (text, meta) in enumerate(zip(texts, metas, strict=True)):
            row = row_from(i, text, meta)
            rows.append(row)
            groups[(row.doc_id, str(meta.get("doc_hash", "")), row.page)].append(row)
        for group in groups.values():
            group.sort(key=lambda r: r.char_start)
        return SentenceState(matrix, rows, dict(groups))

    def page_rows(self, passage: Passage) -> list[SentenceRow]:
        """Every stored sentence of the passage's page (its document version), in reading order."""
        key = (passage.doc_id, str(passage.metadata.get("doc_hash", "")), passage.page)
        return self.state().groups.get(key, [])

    def in_passage(self, passage: Passage, query_vector: np.ndarray) -> list[tuple[SentenceRow, float]]:
        """The stored sentences inside ``passage`` in reading order, with their similarity to the query."""
        state = self.state()
        key = (passage.doc_id, str(passage.metadata.get("doc_hash", "")), passage.page)
        rows = [
            r for r in state.groups.get(key, [])
            if r.char_start >= passage.char_start and r.char_end <= passage.char_end
        ]
        if not rows:
            return []
        sims = state.matrix[[r.row for r in rows]] @ query_vector
        return list(zip(rows, (float(s) for s in sims), strict=True))

    def search(
        self, query_vector: np.ndarray, n: int, doc_ids: set[str] | None = None
    ) -> list[tuple[SentenceRow, float]]:
        """The ``n`` sentences most similar to the query, anywhere (or in ``doc_ids``)."""
        state = self.state()
        if not state.rows:
            return []
        sims = state.matrix @ query_vector
        out = []
        for i in np.argsort(-sims):
            row = state.rows[i]
            if doc_ids is None or row.doc_id in doc_ids:
                out.append((row, float(sims[i])))
                if len(out) >= n:
                    break
        return out
