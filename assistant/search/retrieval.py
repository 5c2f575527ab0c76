"""Hybrid retrieval: dense search in Chroma plus BM25, fused by reciprocal rank, near-duplicates collapsed.

Dense search finds paraphrases; BM25 finds exact names, numbers and rare words that a small
embedding model blurs. Reciprocal rank fusion needs no score calibration between the two.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from assistant.answer import Passage
from assistant.embedding.embedder import Embedder
from assistant.reading.text import terms
from assistant.search.keyword_index import KeywordIndex
from assistant.search.sentence_index import SentenceIndex
from assistant.store.store import Store, StoredPassage

RRF_K = 60  # the usual constant: dampens the difference between rank 1 and rank 2


@dataclass
class Retrieval:
    query: str
    query_vector: np.ndarray
    passages: list[Passage]
    top_dense_similarity: float  # best cosine similarity of any passage, before fusion
    dense_ids: list[str] = field(default_factory=list)
    keyword_ids: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def to_passage(stored: StoredPassage) -> Passage:
    m = stored.metadata
    return Passage(
        id=stored.id, doc_id=str(m.get("doc_id", "")), title=str(m.get("title", "")),
        source=str(m.get("source", "")), text=stored.text,
        page=int(m["page"]) if m.get("page") not in (None, "") else None,
        char_start=int(m.get("char_start", 0)), char_end=int(m.get("char_end", 0)), metadata=dict(m),
    )


class Retriever:
    def __init__(
        self, store: Store, embedder: Embedder, keyword_index: KeywordIndex, k: int = 6, fetch_k: int = 30,
        sentence_index: SentenceIndex | None = None,
    ) -> None:
        self.sentences = sentence_index
        self.store = store
        self.embedder = embedder
        self.keyword = keyword_index
        self.k = k
        self.fetch_k = fetch_k

    def retrieve(
        self, query: str, k: int | None = None, doc_ids: list[str] | None = None, vector: np.ndarray | None = None
    ) -> Retrieval:
        """``vector``: the query's embedding when the caller has it already (a ``Question``'s vectors)."""
        k = k or self.k
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        if vector is None:
            vector = np.asarray(self.embedder.embed_query(query), dtype=np.float32)
        timings["embed"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        where = {"doc_id": {"$in": list(doc_ids)}} if doc_ids else None
        dense = self.store.search(vector.tolist(), self.fetch_k, where=where)
        timings["dense"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        keyword = self.keyword.search(query, self.fetch_k, set(doc_ids) if doc_ids else None)
        timings["keyword"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        by_sentence = self._sentence_hits(vector, set(doc_ids) if doc_ids else None)
        timings["sentences"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        fused = self._fuse(dense, keyword, by_sentence)
        passages = collapse_near_duplicates(fused, self.keyword.term_set, limit=k)
        timings["fuse"] = time.perf_counter() - t0
        return Retrieval(
            query=query, query_vector=vector, passages=passages,
            top_dense_similarity=max((p.similarity or 0.0 for p in dense), default=0.0),
            dense_ids=[p.id for p in dense], keyword_ids=[p.id for p, _ in keyword], timings=timings,
        )

    def _sentence_hits(self, vector: np.ndarray, doc_ids: set[str] | None) -> list[StoredPassage]:
        """Passages ranked by their best single sentence: a precise answer sentence inside a long
        passage is diluted in the passage vector but stands out on its own."""
        if self.sentences is None:
            return []
        ranked: dict[str, StoredPassage] = {}
        for row, _sim in self.sentences.search(vector, self.fetch_k, doc_ids):
            for stored in self.keyword.passages_containing(row.doc_id, row.page, row.char_start, row.char_end):
                ranked.setdefault(stored.id, stored)
        return list(ranked.values())[: self.fetch_k]

    @staticmethod
    def _fuse(
        dense: list[StoredPassage], keyword: list[tuple[StoredPassage, float]], by_sentence: list[StoredPassage]
    ) -> list[Passage]:
        found: dict[str, Passage] = {}
        for rank, stored in enumerate(by_sentence, start=1):
            p = found.setdefault(stored.id, to_passage(stored))
            p.score += 1.0 / (RRF_K + rank)
        for rank, stored in enumerate(dense, start=1):
            p = found.setdefault(stored.id, to_passage(stored))
            p.dense_rank, p.dense_similarity = rank, stored.similarity
            p.score += 1.0 / (RRF_K + rank)
        for rank, (stored, score) in enumerate(keyword, start=1):
            p = found.setdefault(stored.id, to_passage(stored))
            p.keyword_rank, p.keyword_score = rank, score
            p.score += 1.0 / (RRF_K + rank)
        return sorted(found.values(), key=lambda p: -p.score)


def collapse_near_duplicates(
    passages: list[Passage], terms_of: Callable[[str], frozenset[str] | None] | None = None, threshold: float = 0.8,
    limit: int | None = None,
) -> list[Passage]:
    """Drop a passage whose terms are mostly those of a better-ranked one (overlapping chunks,
    the same text in two documents). Containment, not Jaccard: a short passage inside a long one
    counts as a duplicate. Stops once ``limit`` are kept (the rest of 90 candidates cost ~10 ms)."""
    kept: list[tuple[Passage, frozenset[str]]] = []
    for p in passages:
        if limit is not None and len(kept) >= limit:
            break
        words = (terms_of(p.id) if terms_of else None) or frozenset(terms(p.text))
        if any(
            words and len(words & other) / min(len(words), len(other) or 1) >= threshold
            for _, other in kept
        ):
            continue
        kept.append((p, words))
    return [p for p, _ in kept]
