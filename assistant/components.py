"""Builds the shared pieces from settings, once per process.

Everything else receives these as arguments, so a test can pass a fake embedder or an in-memory
Chroma client instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from assistant.embedding.embedder import Embedder
from assistant.settings import Settings, get_settings
from assistant.store.store import Store


@dataclass
class Components:
    settings: Settings
    embedder: Embedder
    store: Store


@cache
def _embedder(model: str, batch_size: int, backend: str, cache_dir: Path) -> Embedder:
    return Embedder(model, batch_size, backend=backend, cache_dir=cache_dir)


def build(settings: Settings | None = None, client: object = None) -> Components:
    """Embedder (shared per model) and store for ``settings``."""
    settings = settings or get_settings()
    embedder = _embedder(settings.embedding_model, settings.batch_size, settings.embedding_backend,
                         settings.models_dir)
    return Components(settings, embedder, Store(settings, embedder, client=client))
