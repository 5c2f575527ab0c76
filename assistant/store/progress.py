"""Progress marks of document versions being written window by window (``<name>_progress``).

A large document is stored a window of pages at a time; after each window its mark says how far the
version got (pages, passages, sentences), so a killed ingestion resumes there and embeds nothing
already stored. The mark lives in the store, next to the rows it describes, so an embedded index and
a Chroma server resume alike. The rows of a marked version stay invisible (no record names them)
until the whole version is in. ``ingest`` is the only writer; ``--check`` reads the marks.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from typing import Any

from assistant.settings import Settings
from assistant.store.store import RECORD_DIM


@dataclass(frozen=True)
class PartialVersion:
    """How far the writing of one source's new version got."""

    source: str
    doc_id: str
    content_hash: str
    recipe: str  # index format and chunking: a resume must cut the rest of the pages the same way
    page_count: int  # pages in the file
    pages_done: int = 0  # file pages (from the first) whose passages and sentences are stored
    chunks: int = 0  # passages stored so far (the next one's chunk_index)
    sentences: int = 0  # sentences stored so far (the next one's number)
    pages: int = 0  # pages with text among ``pages_done``
    started_at: float = 0.0

    @property
    def version(self) -> tuple[str, str]:
        return self.doc_id, self.content_hash

    def advanced(self, pages_done: int, chunks: int, sentences: int, pages: int) -> PartialVersion:
        return replace(
            self, pages_done=pages_done, chunks=self.chunks + chunks, sentences=self.sentences + sentences,
            pages=self.pages + pages,
        )


def progress_collection_name(settings: Settings) -> str:
    return f"{settings.collection}_progress"


def _collection(client: Any, settings: Settings) -> Any:
    return client.get_or_create_collection(progress_collection_name(settings), embedding_function=None)


def list_partials(client: Any, settings: Settings) -> dict[str, PartialVersion]:
    """Every mark in the store, by source."""
    got = _collection(client, settings).get(include=["metadatas"])
    fields = PartialVersion.__dataclass_fields__
    return {
        i: PartialVersion(**{k: v for k, v in (m or {}).items() if k in fields})
        for i, m in zip(got["ids"], got["metadatas"], strict=True)
    }


def put_partial(client: Any, settings: Settings, mark: PartialVersion) -> None:
    if not mark.started_at:
        mark = replace(mark, started_at=time.time())
    _collection(client, settings).upsert(ids=[mark.source], metadatas=[asdict(mark)], embeddings=[[1.0] * RECORD_DIM])


def delete_partials(client: Any, settings: Settings, sources: list[str]) -> None:
    if sources:
        _collection(client, settings).delete(ids=list(sources))


def stored_vectors(collection: Any, ids: list[str]) -> dict[str, tuple[str, list[float]]]:
    """The text and vector of each of ``ids`` already stored in ``collection`` (a window a killed
    run wrote but had not yet marked done: its vectors are reused, not computed again)."""
    if not ids:
        return {}
    got = collection.get(ids=list(ids), include=["documents", "embeddings"])
    return {i: (d or "", e) for i, d, e in zip(got["ids"], got["documents"], got["embeddings"], strict=True)}
