"""Synthetic indexes of any size for ``eval.bench_scale``, grown from a real one.

Embedding 100k passages for real takes about an hour here, so a large index is built from the real
index of the bundled corpus and test PDFs (passages, their sentences and their model vectors):
every real document is copied as many times as needed. In copy ``j`` each page's text has about a
third of its words swapped for other corpus words of the same length (so every passage and sentence
keeps its character offsets, and BM25 sees a growing, realistic vocabulary), and every vector is
the real one plus Gaussian noise (cosine ~0.97 to the original), re-normalised. Copy 0 is the real
document unchanged. Each copy gets its own doc_id, doc_hash and ingestion record, so the ingester
treats it as a real document.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass

import numpy as np

from assistant.store.store import SourceRecord, Store

NOISE = 0.012  # per-dimension standard deviation added to a copied vector
SWAP_SHARE = 0.33  # share of words replaced in a copy
_WORD = re.compile(r"[A-Za-z]{3,}")


@dataclass
class Version:
    """One real document version: its pages' text, passages and sentences with their vectors."""

    doc_id: str
    title: str
    pages: dict[int | None, str]
    passages: list[tuple[dict, np.ndarray]]  # (metadata, vector)
    sentences: list[tuple[dict, np.ndarray]]


def read_versions(store: Store) -> list[Version]:
    """The real documents of ``store``, with their pages rebuilt from the passages' offsets."""
    passages = store.all_passages()
    p_vectors = store.passage_vectors([p.id for p in passages])
    s_ids, _s_texts, s_metas, s_vectors = store.all_sentences()
    versions: dict[str, Version] = {}
    for p, vector in zip(passages, p_vectors, strict=True):
        m = p.metadata
        v = versions.setdefault(m["doc_id"], Version(m["doc_id"], str(m.get("title", "")), {}, [], []))
        page = m.get("page")
        text = v.pages.get(page, "")
        start, end = int(m["char_start"]), int(m["char_end"])
        if len(text) < end:
            text = text.ljust(end)
        v.pages[page] = text[:start] + p.text + text[end:]
        v.passages.append((dict(m), vector))
    for meta, vector in zip(s_metas, s_vectors, strict=True):
        if meta.get("doc_id") in versions:
            versions[meta["doc_id"]].sentences.append((dict(meta), vector))
    del s_ids
    return sorted(versions.values(), key=lambda v: v.doc_id)


class Perturber:
    """Swaps words for other corpus words of the same length, reproducibly per copy."""

    def __init__(self, versions: list[Version]) -> None:
        by_length: dict[int, set[str]] = {}
        for v in versions:
            for text in v.pages.values():
                for w in _WORD.findall(text):
                    by_length.setdefault(len(w), set()).add(w.lower())
        self.by_length = {n: sorted(ws) for n, ws in by_length.items()}

    def __call__(self, text: str, rng: np.random.Generator) -> str:
        def swap(m: re.Match[str]) -> str:
            word = m.group()
            pool = self.by_length.get(len(word))
            if not pool or rng.random() > SWAP_SHARE:
                return word
            return pool[int(rng.integers(len(pool)))]

        return _WORD.sub(swap, text)


def _noisy(vectors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = vectors + rng.normal(0.0, NOISE, vectors.shape).astype(np.float32)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def build_synthetic(store: Store, versions: list[Version], passages: int, seed: int = 11,
                    flush_every: int = 4000) -> dict[str, float]:
    """Fill ``store`` (empty) with copies of ``versions`` until it holds about ``passages`` passages."""
    rng = np.random.default_rng(seed)
    perturb = Perturber(versions)
    started = time.perf_counter()
    pending: dict[str, list] = {"p": [], "s": []}
    written = {"passages": 0, "sentences": 0, "documents": 0}

    def flush() -> None:
        for kind, add in (("s", store.add_sentences), ("p", store.add_passages)):
            rows = pending[kind]
            if rows:
                ids, texts, metas, vectors = zip(*rows, strict=True)
                add(list(ids), list(texts), list(metas), np.vstack(vectors))
            pending[kind] = []

    copy = 0
    while written["passages"] < passages:
        for v in versions:
            if written["passages"] >= passages:
                break
            p_vecs = np.vstack([vec for _, vec in v.passages])
            s_vecs = np.vstack([vec for _, vec in v.sentences]) if v.sentences else np.zeros((0, p_vecs.shape[1]))
            if copy == 0:  # the real document, as ingested: the regression questions still find it
                doc_id, doc_hash, pages = v.doc_id, str(v.passages[0][0].get("doc_hash", "")), v.pages
            else:
                doc_id = f"{v.doc_id}-x{copy:04d}"
                doc_hash = hashlib.sha256(doc_id.encode()).hexdigest()[:16]
                pages = {page: perturb(text, rng) for page, text in v.pages.items()}
                p_vecs, s_vecs = _noisy(p_vecs, rng), _noisy(s_vecs, rng) if len(s_vecs) else s_vecs
            for i, ((meta, _), vec) in enumerate(zip(v.passages, p_vecs, strict=True)):
                text = pages[meta.get("page")][int(meta["char_start"]) : int(meta["char_end"])]
                source = f"synthetic/{doc_id}.md"
                m = {**meta, "doc_id": doc_id, "doc_hash": doc_hash, "source": source}
                pending["p"].append((f"{doc_id}-{doc_hash[:12]}-{i:05d}", text, m, vec[None, :]))
            for i, ((meta, _), vec) in enumerate(zip(v.sentences, s_vecs, strict=True)):
                text = pages[meta.get("page")][int(meta["char_start"]) : int(meta["char_end"])]
                m = {**meta, "doc_id": doc_id, "doc_hash": doc_hash}
                pending["s"].append((f"{doc_id}-{doc_hash[:12]}-s{i:05d}", text, m, vec[None, :]))
            store.put_record(SourceRecord(
                f"synthetic/{doc_id}.md", doc_id, doc_hash, f"{v.title} (copy {copy})", len(v.passages),
                len(v.pages), time.time(), {"sentences": len(v.sentences), "index_format": 2},
            ))
            written["passages"] += len(v.passages)
            written["sentences"] += len(v.sentences)
            written["documents"] += 1
            if len(pending["p"]) >= flush_every:
                flush()
        copy += 1
    flush()
    return {**written, "seconds": time.perf_counter() - started}
