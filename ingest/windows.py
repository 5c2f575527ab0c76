"""Writing one document version a window of pages at a time, resumably.

Why: a 1,700-page PDF held, embedded and written whole took ~1.7 GB and ~50 minutes, and a kill at
80% started over. Here a window of ``PANEL_PAGE_WINDOW`` pages is read (in the parse worker),
chunked, embedded and stored, then the version's progress mark (``assistant.store.progress``) moves
past it. Memory holds one window, whatever the page count. A rerun of the same bytes finds the mark
and starts after the last stored window; the first window it writes reuses any vector a killed run
already stored for it, so nothing stored is embedded again.

The passages are the same as a one-go ingest: chunks never cross a page (``SentenceChunker`` cuts
page by page), so a window edge is never a chunk edge that would not be there anyway; chunk and
sentence numbers continue from the mark. The version stays invisible (no record names it) until the
caller writes the record after the last window: see the README for why not window by window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol

import numpy as np

from assistant.reading.language import detect
from assistant.reading.speakers import speakers
from assistant.reading.structure import annotate
from assistant.search.snapshot import release_free_memory
from assistant.store.progress import PartialVersion, put_partial, stored_vectors
from assistant.store.store import Store, crash_point
from ingest.chunking import Chunk, SentenceChunker
from ingest.loaders import Page
from ingest.parse_worker import DocumentHeader


class PageReader(Protocol):
    def read(self, start: int, stop: int) -> list[Page]: ...


class VersionWriter:
    """Stores the passages and sentences of one new version, window by window, marking progress."""

    def __init__(self, store: Store, chunker: SentenceChunker, window: int, recipe: str) -> None:
        self.store = store
        self.chunker = chunker
        self.window = window
        self.recipe = recipe
        self.resuming = False

    def start(self, key: str, doc_id: str, header: DocumentHeader, mark: PartialVersion | None) -> PartialVersion:
        """The mark to continue from: ``mark`` when it is this very version, else a fresh one (stored)."""
        self.resuming = mark is not None and self.resumes(mark, doc_id, header)
        if self.resuming:
            return mark
        fresh = PartialVersion(key, doc_id, header.content_hash, self.recipe, header.page_count)
        put_partial(self.store.client, self.store.settings, fresh)
        return fresh

    def resumes(self, mark: PartialVersion, doc_id: str, header: DocumentHeader) -> bool:
        return (mark.doc_id, mark.content_hash, mark.recipe, mark.page_count) == (
            doc_id, header.content_hash, self.recipe, header.page_count,
        )

    def write(
        self, mark: PartialVersion, header: DocumentHeader, reader: PageReader, key: str,
        on_embedded: Callable[[int, int], None],
    ) -> PartialVersion:
        """Every window after ``mark.pages_done``; returns the final mark (what the record will say)."""
        first = True
        for start in range(mark.pages_done, header.page_count, self.window):
            stop = min(start + self.window, header.page_count)
            pages = reader.read(start, stop)
            chunks, sentences = self._split(pages, mark)
            texts = [c.text for c in chunks] + [s[3] for s in sentences]
            prefix = f"{mark.doc_id}-{mark.content_hash[:12]}"
            ids = [f"{prefix}-{c.index:05d}" for c in chunks]
            sentence_ids = [f"{prefix}-s{mark.sentences + i:05d}" for i in range(len(sentences))]
            # Only the first window of a resumed run can have rows already: the one a killed run was writing.
            known = self._stored(ids, sentence_ids, texts) if first and self.resuming else {}
            first = False
            # The total is an estimate until the last window: texts so far, scaled to the page count.
            expected = mark.chunks + mark.sentences + len(texts)
            if stop < header.page_count:
                expected = max(expected, round(expected * header.page_count / stop))
            vectors = self._embed(texts, known, mark.chunks + mark.sentences, expected, on_embedded)
            self.store.add_sentences(
                sentence_ids, [s[3] for s in sentences],
                [
                    {"doc_id": mark.doc_id, "doc_hash": mark.content_hash, "char_start": a, "char_end": b, **layout,
                     **({"page": page} if page is not None else {})}
                    for page, a, b, _, layout in sentences
                ],
                vectors[len(chunks) :],
            )
            crash_point("sentences-written")
            breaks = {page.number: page.next_page_at for page in pages if page.next_page_at is not None}
            self.store.add_passages(
                ids, [c.text for c in chunks], [self._chunk_metadata(header, mark, key, c, breaks) for c in chunks],
                vectors[: len(chunks)],
            )
            mark = mark.advanced(stop, len(chunks), len(sentences), len(pages))
            put_partial(self.store.client, self.store.settings, mark)
            crash_point(f"window-{-(-stop // self.window)}")  # the crash tests kill after window n
            del pages, chunks, sentences, texts, vectors, known
            release_free_memory()
        return mark

    def _split(self, pages: list[Page], mark: PartialVersion) -> tuple[list[Chunk], list[tuple]]:
        chunks = [replace(c, index=c.index + mark.chunks) for c in self.chunker.split(pages)]
        sentences = []
        for page in pages:
            spans = self.chunker.sentences(page.text)  # bounded in length, as the chunks are cut
            layouts = annotate(page.text, spans)
            said_by = speakers([page.text[a:b] for a, b in spans], [layout["para"] for layout in layouts])
            for (a, b), layout, speaker in zip(spans, layouts, said_by, strict=True):
                sentences.append((page.number, a, b, page.text[a:b], {**layout, "speaker": speaker}))
        return chunks, sentences

    def _stored(self, ids: list[str], sentence_ids: list[str], texts: list[str]) -> dict[int, Any]:
        """Positions in ``texts`` whose row is already stored with that very text -> its vector."""
        found = {**stored_vectors(self.store.passages, ids), **stored_vectors(self.store.sentences, sentence_ids)}
        return {
            n: found[row][1] for n, row in enumerate(ids + sentence_ids)
            if row in found and found[row][0] == texts[n]
        }

    def _embed(
        self, texts: list[str], known: dict[int, Any], done_before: int, expected: int,
        on_embedded: Callable[[int, int], None],
    ) -> np.ndarray:
        """Vectors of ``texts``: those in ``known`` as stored, the rest computed (progress reported)."""
        missing = [n for n in range(len(texts)) if n not in known]
        done = done_before + len(known)

        def on_batch(n: int) -> None:
            nonlocal done
            done += n
            on_embedded(done, expected)

        computed = self.store.embedder.encode([texts[n] for n in missing], on_batch=on_batch)
        out = np.empty((len(texts), self.store.embedder.dimension), dtype=np.float32)
        if missing:
            out[missing] = computed
        for n, vector in known.items():
            out[n] = np.asarray(vector, dtype=np.float32)
        if not missing:
            on_embedded(done, expected)
        return out

    @staticmethod
    def _chunk_metadata(
        header: DocumentHeader, mark: PartialVersion, key: str, chunk: Chunk, breaks: dict[int, int],
    ) -> dict:
        meta = {
            "doc_id": mark.doc_id, "title": header.title, "source": key, "chunk_index": chunk.index,
            "char_start": chunk.char_start, "char_end": chunk.char_end,
            "content_hash": chunk.content_hash, "doc_hash": mark.content_hash, "tokens": chunk.tokens,
            "kind": header.metadata.get("kind", ""), "date": header.metadata.get("date", ""),
            "publisher": header.metadata.get("publisher", ""),
            "language": detect(chunk.text)[0] or "",  # a question in a language no passage is in is told so
        }
        if chunk.page is not None:
            meta["page"] = chunk.page
            if chunk.page in breaks and chunk.char_end > breaks[chunk.page]:
                meta["next_page_at"] = breaks[chunk.page]  # it holds the end of a sentence from the next page
        return meta
