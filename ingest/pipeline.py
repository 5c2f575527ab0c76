"""``sync``: bring the index in line with a set of files, embedding only what changed.

The rules, in the order they apply to each file:
- same bytes as last time under the same source  -> unchanged (not even parsed);
- same bytes as another ingested source          -> duplicate: recorded, stored once;
- new or changed bytes                           -> chunked, embedded, written; the old version's
  passages are deleted only after the new ones are stored;
- a file that cannot be read                     -> failed, with the reason; what was stored for it
  before stays as it was.
After the files, for every *folder* that was synced: a source recorded under that folder whose file
is gone is removed (its passages go once no other source shares them). Files named one by one are
never pruned. Each file is committed on its own, so an interrupted run keeps what it finished.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from assistant.sentences import sentence_spans
from assistant.settings import PROJECT_ROOT, Settings
from assistant.store import SourceRecord, Store, StoreUnavailableError, crash_point
from assistant.structure import annotate
from ingest.chunking import Chunk, SentenceChunker
from ingest.loaders import LoadedDocument, LoadError, content_hash, read_bytes
from ingest.parse_worker import ParseWorker
from ingest.writer_lock import WriterLock

log = logging.getLogger(__name__)

#: What a stored version holds; a record of an older format is re-processed even when its bytes are
#: unchanged (2: sentences carry their layout role, section and paragraph; 3: German abbreviations,
#: ordinal dates and „…“ quotations split as sentences).
INDEX_FORMAT = 3

STATUSES = ("added", "updated", "duplicate", "unchanged", "removed", "failed")


class Progress(Protocol):
    """What a progress display is told; the CLI draws tqdm bars, the UI a Gradio bar."""

    def file_started(self, source: str, index: int, total: int) -> None: ...
    def embedded(self, done: int, total: int) -> None: ...


class _Silent:
    def file_started(self, source: str, index: int, total: int) -> None:
        pass

    def embedded(self, done: int, total: int) -> None:
        pass


@dataclass
class FileOutcome:
    source: str
    status: str
    doc_id: str = ""
    chunks: int = 0
    pages: int = 0
    reason: str = ""


@dataclass
class SyncReport:
    outcomes: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0
    embedded: int = 0  # passages whose vectors were computed in this run
    planned: list[str] = field(default_factory=list)  # every source the run set out to sync

    @property
    def unfinished(self) -> list[str]:
        """Sources the run did not get to (it stopped early: the store went away)."""
        done = {o.source for o in self.outcomes}
        return [s for s in self.planned if s not in done]

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(o.status for o in self.outcomes)
        return {s: found.get(s, 0) for s in STATUSES}

    @property
    def failures(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def usable(self) -> bool:
        """False only when files were given and none of them could be ingested."""
        return not self.outcomes or any(o.status != "failed" for o in self.outcomes)


@dataclass
class DocumentInfo:
    doc_id: str
    title: str
    sources: list[str]
    chunks: int
    pages: int
    ingested_at: float
    kind: str = ""
    date: str = ""
    publisher: str = ""


def source_key(path: Path) -> str:
    """How a file is recorded: relative to the project when inside it, so clones agree."""
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return resolved.as_posix()


def source_path(key: str) -> Path:
    path = Path(key)
    return path if path.is_absolute() else PROJECT_ROOT / path


def expand(paths: Iterable[Path]) -> tuple[list[Path], list[Path]]:
    """Files to sync and the folders they came from (folders are pruned, files are not).

    Inside folders, hidden files and README files (which describe a folder) are skipped.
    """
    files: list[Path] = []
    folders: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            folders.append(path)
            files.extend(
                p for p in sorted(path.rglob("*"))
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
                and not p.name.lower().startswith("readme")
            )
        else:
            files.append(path)
    unique = list(dict.fromkeys(files))
    return unique, folders


class Ingester:
    """Turns files into stored passages; the CLI and the UI both call ``sync``."""

    def __init__(self, settings: Settings, store: Store, chunker: SentenceChunker | None = None) -> None:
        self.settings = settings
        self.store = store
        embedder = store.embedder
        max_tokens = min(settings.chunk_tokens, embedder.max_tokens - 2)
        self.chunker = chunker or SentenceChunker(
            embedder.count_tokens, max_tokens, settings.chunk_overlap_sentences
        )
        self._writing = threading.RLock()
        self._writer: WriterLock | None = None
        self._depth = 0  # nested ``writing()`` blocks of the thread holding the lock

    # --- public ------------------------------------------------------------------------

    @contextmanager
    def writing(self, notify: Callable[[str], None] | None = None) -> Iterator[None]:
        """Hold the index for writing: another process (or thread) waits until this one is done."""
        with self._writing:
            if self._depth == 0:
                self._writer = WriterLock(self.settings, self.store.client, notify)
                self._writer.acquire()
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._writer.release()
                    self._writer = None

    def sync(self, paths: Sequence[Path], progress: Progress | None = None, prune: bool = True) -> SyncReport:
        """Bring the index in line with ``paths``; waits for (or stops on) another writer first.

        ``progress.waiting(message)``, when the display has it, is told once if we have to wait.
        """
        progress = progress or _Silent()
        report = SyncReport()
        try:
            with self.writing(getattr(progress, "waiting", None)):
                return self._sync(paths, progress, prune, report)
        except StoreUnavailableError as exc:
            exc.report = report  # the files finished before the store went away
            raise

    def _sync(self, paths: Sequence[Path], progress: Progress, prune: bool, report: SyncReport) -> SyncReport:
        started = time.perf_counter()
        embedded_before = self.store.embedder.embedded_count
        files, folders = expand(paths)
        report.planned = [source_key(f) for f in files]
        records = {r.source: r for r in self.store.list_records()}
        self._parser = ParseWorker(self.settings.parse_timeout, self.settings.max_pages)
        with self._parser:
            for index, path in enumerate(files):
                key = source_key(path)
                progress.file_started(key, index, len(files))
                if not path.exists():
                    report.outcomes.append(FileOutcome(key, "failed", reason="no such file"))
                    continue
                try:
                    outcome = self._sync_file(path, key, records, progress)
                except LoadError as exc:
                    outcome = FileOutcome(key, "failed", reason=exc.reason)
                except StoreUnavailableError:
                    raise
                except Exception as exc:  # a bug or a store error on one file: the run goes on, unseen rows stay hidden
                    log.exception("ingesting %s failed", key)
                    outcome = FileOutcome(key, "failed", reason=f"could not be processed ({exc.__class__.__name__})")
                report.outcomes.append(outcome)
        if prune and folders:
            seen = {source_key(f) for f in files}
            roots = [source_key(f).rstrip("/") + "/" for f in folders]
            for key in sorted(records):
                if key not in seen and any(key.startswith(root) for root in roots):
                    report.outcomes.append(self._remove_source(key, records))
        self._drop_orphans(records)
        report.embedded = self.store.embedder.embedded_count - embedded_before
        report.seconds = time.perf_counter() - started
        return report

    def remove_document(self, doc_id: str) -> list[str]:
        """Forget a document and every source that holds it; returns those sources."""
        with self.writing():
            records = {r.source: r for r in self.store.list_records()}
            sources = [k for k, r in records.items() if r.doc_id == doc_id]
            for key in sources:
                self._remove_source(key, records)
            return sources

    def documents(self) -> list[DocumentInfo]:
        """One entry per stored document (sources with equal bytes share one)."""
        docs: dict[str, DocumentInfo] = {}
        for rec in self.store.list_records():
            info = docs.get(rec.doc_id)
            if info:
                info.sources.append(rec.source)
                continue
            docs[rec.doc_id] = DocumentInfo(
                doc_id=rec.doc_id, title=rec.title, sources=[rec.source], chunks=rec.chunks,
                pages=rec.pages, ingested_at=rec.ingested_at, kind=str(rec.extra.get("kind", "")),
                date=str(rec.extra.get("date", "")), publisher=str(rec.extra.get("publisher", "")),
            )
        return sorted(docs.values(), key=lambda d: (d.date or "9999", d.title))

    # --- one file ----------------------------------------------------------------------

    def _sync_file(self, path: Path, key: str, records: dict[str, SourceRecord], progress: Progress) -> FileOutcome:
        data = read_bytes(path)
        digest = content_hash(data)
        old = records.get(key)
        if old and old.content_hash == digest and int(old.extra.get("index_format", 1)) == INDEX_FORMAT:
            return FileOutcome(key, "unchanged", old.doc_id, old.chunks, old.pages)
        twin = next((r for r in records.values() if r.content_hash == digest and r.source != key), None)
        if twin:
            rec = SourceRecord(
                key, twin.doc_id, digest, twin.title, twin.chunks, twin.pages, time.time(), dict(twin.extra)
            )
            self.store.put_record(rec)
            records[key] = rec
            if old:
                self._release(old, records)
            return FileOutcome(key, "duplicate", twin.doc_id, twin.chunks, twin.pages,
                               reason=f"same content as {twin.source}")
        doc = self._parser.load(path, data)  # in a worker process, under the time and page limits
        shared = old and any(r.doc_id == old.doc_id and r.source != key for r in records.values())
        doc_id = old.doc_id if old and not shared else self._new_doc_id(path, records)
        chunks = self.chunker.split(doc.pages)
        if not chunks:
            raise LoadError(path, "no text to index")
        sentences = self._write(doc, doc_id, key, chunks, progress)
        crash_point("passages-written")
        rec = SourceRecord(
            key, doc_id, digest, doc.title, len(chunks), doc.page_count, time.time(),
            {**doc.metadata, "size_bytes": len(data), "file_name": path.name, "sentences": sentences,
             "index_format": INDEX_FORMAT},
        )
        self.store.put_record(rec)
        crash_point("record-written")
        records[key] = rec
        if old and not shared:  # the old version's passages go only now that the new ones are stored
            self.store.delete_document(doc_id, keep_hash=digest)
        elif old:
            self._release(old, records)
        return FileOutcome(key, "updated" if old else "added", doc_id, len(chunks), doc.page_count)

    def _write(self, doc: LoadedDocument, doc_id: str, key: str, chunks: list[Chunk], progress: Progress) -> int:
        """Embed and store passages and their sentences; returns the number of sentences."""
        texts = [c.text for c in chunks]
        done = 0

        def on_batch(n: int) -> None:
            nonlocal done
            done += n
            progress.embedded(done, total)

        sentences = []
        for page in doc.pages:
            spans = sentence_spans(page.text)
            for (a, b), layout in zip(spans, annotate(page.text, spans), strict=True):
                sentences.append((page.number, a, b, page.text[a:b], layout))
        total = len(texts) + len(sentences)
        vectors = self.store.embedder.encode(texts + [s[3] for s in sentences], on_batch=on_batch)
        prefix = f"{doc_id}-{doc.content_hash[:12]}"
        # Sentences first: passages are what make a version visible, so they are written last.
        self.store.add_sentences(
            [f"{prefix}-s{i:05d}" for i in range(len(sentences))],
            [s[3] for s in sentences],
            [
                {"doc_id": doc_id, "doc_hash": doc.content_hash, "char_start": a, "char_end": b, **layout,
                 **({"page": page} if page is not None else {})}
                for page, a, b, _, layout in sentences
            ],
            vectors[len(texts) :],
        )
        crash_point("sentences-written")
        ids = [f"{prefix}-{c.index:05d}" for c in chunks]
        metadatas = [self._chunk_metadata(doc, doc_id, key, c) for c in chunks]
        self.store.add_passages(ids, texts, metadatas, vectors[: len(texts)])
        return len(sentences)

    @staticmethod
    def _chunk_metadata(doc: LoadedDocument, doc_id: str, key: str, chunk: Chunk) -> dict:
        meta = {
            "doc_id": doc_id, "title": doc.title, "source": key, "chunk_index": chunk.index,
            "char_start": chunk.char_start, "char_end": chunk.char_end,
            "content_hash": chunk.content_hash, "doc_hash": doc.content_hash, "tokens": chunk.tokens,
            "kind": doc.metadata.get("kind", ""), "date": doc.metadata.get("date", ""),
            "publisher": doc.metadata.get("publisher", ""),
        }
        if chunk.page is not None:
            meta["page"] = chunk.page
        return meta

    def _new_doc_id(self, path: Path, records: dict[str, SourceRecord]) -> str:
        base = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "document"
        taken = {r.doc_id for r in records.values()}
        candidate, n = base, 2
        while candidate in taken:
            candidate, n = f"{base}-{n}", n + 1
        return candidate

    # --- removal -----------------------------------------------------------------------

    def _remove_source(self, key: str, records: dict[str, SourceRecord]) -> FileOutcome:
        rec = records.pop(key)
        self.store.delete_records([key])
        crash_point("record-deleted")
        self._release(rec, records)
        return FileOutcome(key, "removed", rec.doc_id, rec.chunks, rec.pages)

    def _release(self, rec: SourceRecord, records: dict[str, SourceRecord]) -> None:
        """``rec`` no longer holds its document: delete the passages unless a twin still does."""
        heirs = [r for r in records.values() if r.doc_id == rec.doc_id and r.source != rec.source]
        if not heirs:
            self.store.delete_document(rec.doc_id)
            return
        passages = self.store.all_passages(where={"doc_id": rec.doc_id}, with_text=False)
        moved = [p for p in passages if p.metadata.get("source") == rec.source]
        self.store.update_passage_metadata(
            [p.id for p in moved], [{**p.metadata, "source": heirs[0].source} for p in moved]
        )

    def _drop_orphans(self, records: dict[str, SourceRecord]) -> None:
        """Passages no record explains (an interrupted run) are deleted; cheap when counts agree."""
        docs = {r.doc_id: r for r in records.values()}.values()
        expected = sum(r.chunks for r in docs), sum(int(r.extra.get("sentences", 0)) for r in docs)
        if (self.store.count(), self.store.sentences.count()) == expected:
            return
        self.store.delete_versions_except({(r.doc_id, r.content_hash) for r in records.values()})


def ensure_corpus(ingester: Ingester, progress: Progress | None = None) -> SyncReport | None:
    """Ingest the bundled corpus when the index is empty (first start); otherwise do nothing."""
    if ingester.store.count() > 0:
        return None
    return ingester.sync([ingester.settings.corpus_dir], progress=progress)
