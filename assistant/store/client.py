"""The Chroma client, the collections' names, and the rows the store hands out.

Split from ``assistant.store.store`` (which re-exports all of it) so that the store module holds the
store's behaviour: versions, visibility, revisions.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass, field
from typing import Any

from assistant.settings import Settings
from assistant.store.outage import Retrying, retrying


class IndexMismatchError(RuntimeError):
    """The index was built with another embedding model; mixing vectors would give nonsense."""


@dataclass
class StoredPassage:
    id: str
    text: str
    metadata: dict[str, Any]
    similarity: float | None = None  # cosine similarity to the query, when searched


@dataclass
class SourceRecord:
    """One ingested file. Several sources may share a ``doc_id`` when their bytes are equal."""

    source: str
    doc_id: str
    content_hash: str
    title: str
    chunks: int
    pages: int
    ingested_at: float
    extra: dict[str, Any] = field(default_factory=dict)  # kind, date, publisher, size, ...

    def to_metadata(self) -> dict[str, Any]:
        meta = {k: v for k, v in self.extra.items() if v not in (None, "")}
        meta.update(
            doc_id=self.doc_id, content_hash=self.content_hash, title=self.title,
            chunks=self.chunks, pages=self.pages, ingested_at=self.ingested_at,
        )
        return meta

    @classmethod
    def from_stored(cls, source: str, meta: dict[str, Any]) -> SourceRecord:
        meta = dict(meta)
        return cls(
            source=source, doc_id=meta.pop("doc_id"), content_hash=meta.pop("content_hash"),
            title=meta.pop("title", ""), chunks=int(meta.pop("chunks", 0)),
            pages=int(meta.pop("pages", 0)), ingested_at=float(meta.pop("ingested_at", 0.0)),
            extra=meta,
        )


def make_client(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    if settings.chroma_host:
        where = f"{settings.chroma_host}:{settings.chroma_port}"
        client = retrying(
            lambda: chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings),
            settings.store_retries, where,
        )
        return Retrying(client, settings.store_retries, where)
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


def forget_embedded(settings: Settings) -> None:
    """Drop Chroma's per-path cache of the embedded client, so the next one reads the index afresh."""
    from chromadb.api.shared_system_client import SharedSystemClient

    path = str(settings.chroma_dir)
    SharedSystemClient._identifier_to_system.pop(path, None)
    SharedSystemClient._identifier_to_refcount.pop(path, None)


def stop_client(client: Any) -> None:
    """Stop an embedded client's system (a retired one: its cache holds what it read of the index)."""
    system = getattr(client, "_system", None)
    if system is not None:
        try:
            system.stop()
        except Exception:  # already stopped, or a server client: nothing held here
            pass


def _collection_names(settings: Settings) -> tuple[str, ...]:
    name = settings.collection
    return name, f"{name}_sentences", f"{name}_records", f"{name}_progress"  # progress: see store_progress


def drop_index(settings: Settings, client: Any = None) -> None:
    """Delete the passages, sentences, records and progress collections, whatever model built them."""
    client = client if client is not None else make_client(settings)
    for name in _collection_names(settings):
        try:
            client.delete_collection(name)
        except Exception:
            pass


def crash_point(name: str) -> None:
    """Where the crash tests kill a real writer (``PANEL_TEST_KILL_AT=name``); otherwise nothing."""
    if os.environ.get("PANEL_TEST_KILL_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
