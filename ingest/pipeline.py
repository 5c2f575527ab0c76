"""``sync``: bring the index in line with a set of files, embedding only what changed.

The rules, in the order they apply to each file:
- same bytes as last time under the same source  -> unchanged (not even parsed);
- same bytes as another ingested source          -> duplicate: recorded, stored once;
- new or changed bytes                           -> read, chunked, embedded and written a window of
  pages at a time (``ingest.windows``; a killed run resumes after the last stored window); the
  record naming the new version is written after the last window, and the old version's passages
  are deleted only then;
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

from assistant.settings import PROJECT_ROOT, Settings
from assistant.store.progress import PartialVersion, delete_partials, list_partials
from assistant.store.store import SourceRecord, Store, StoreUnavailableError, crash_point
from ingest.chunking import SentenceChunker
from ingest.loaders import NO_PDF_TEXT, LoadError, content_hash, read_bytes
from ingest.parse_worker import ParseWorker
from ingest.uploads import sniff
from ingest.windows import VersionWriter
from ingest.writer_lock import WriterLock

log = logging.getLogger(__name__)

#: What a stored version holds; a record of an older format is re-processed even when its bytes are
#: unchanged (2: sentences carry their layout role, section and paragraph; 3: German abbreviations,
#: ordinal dates and „…“ quotations split as sentences; 4: PDF running heads, feet and page numbers removed,
#: passages carry their language, sentences their speaker; 5: a sentence over a PDF page break joined onto
#: its first page, margins judged in fixed blocks of pages).
INDEX_FORMAT = 5

STATUSES = ("added", "updated", "duplicate", "unchanged", "removed", "failed")


class Progress(Protocol):
    """What a progress display is told; the CLI draws tqdm bars, the UI a Gradio bar."""

    def file_started(self, source: str, index: int, total: int) -> None: ...
    def embedded(self, done: int, total: int) -> None: ...
    # optional: ``pages_read(done, total)`` after each page of a PDF is read (a display without it skips it)


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
            embedder.count_tokens, max_tokens, settings.chunk_overlap_sentences, settings.max_sentence_chars
        )
        self._writing = threading.RLock()
        self._writer: WriterLock | None = None
        self._depth = 0  # nested ``writing()`` blocks of the thread holding the lock
        self._partials: dict[str, PartialVersion] = {}  # by source, read at the start of each sync

    # --- public ------------------------------------------------------------------------

    @contextmanager
    def writing(self, notify: Callable[[str], None] | None = None) -> Iterator[None]:
        """Hold the index for writing: another process (or thread) waits until this one is done."""
        with self._writing:
            if self._depth == 0:
                self._writer = WriterLock(self.settings, self.store.client, notify)
                self._writer.acquire()
                try:
                    self.store.refresh()  # the previous writer may be another process: see its commit first
                except BaseException:
                    self._writer.release()
                    self._writer = None
                    raise
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
        self._partials = list_partials(self.store.client, self.settings)  # versions a killed run left unfinished
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
                    raise  # what was stored of the file stays marked: the rerun resumes it
                except Exception as exc:  # a bug or a store error on one file: the run goes on, unseen rows stay hidden
                    log.exception("ingesting %s failed", key)
                    outcome = FileOutcome(key, "failed", reason=f"could not be processed ({exc.__class__.__name__})")
                if outcome.status == "failed":
                    self._discard_partial(key, records)  # a file that fails is not resumed: its rows go
                report.outcomes.append(outcome)
        if prune and folders:
            seen = {source_key(f) for f in files}
            roots = [source_key(f).rstrip("/") + "/" for f in folders]
            for key in sorted(records):
                if key not in seen and any(key.startswith(root) for root in roots):
                    report.outcomes.append(self._remove_source(key, records))
            for key in sorted(self._partials):
                if key not in seen and any(key.startswith(root) for root in roots):
                    self._discard_partial(key, records)  # its file is gone: nothing to resume
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
            self._discard_partial(key, records)  # a mark of another version of these bytes is stale
            return FileOutcome(key, "unchanged", old.doc_id, old.chunks, old.pages)
        twin = next((r for r in records.values() if r.content_hash == digest and r.source != key), None)
        if twin:
            self._discard_partial(key, records)
            rec = SourceRecord(
                key, twin.doc_id, digest, twin.title, twin.chunks, twin.pages, time.time(), dict(twin.extra)
            )
            self.store.put_record(rec)
            records[key] = rec
            if old:
                self._release(old, records)
            return FileOutcome(key, "duplicate", twin.doc_id, twin.chunks, twin.pages,
                               reason=f"same content as {twin.source}")
        if path.suffix.lower() == ".pdf" and (why := sniff(path.name, data[:4096])):
            raise LoadError(path, why)  # "is a PNG image, not a PDF", as the upload says, not pypdf's guess
        header = self._parser.open(path, data)  # in a worker process, under the time and page limits
        shared = old and any(r.doc_id == old.doc_id and r.source != key for r in records.values())
        mark = self._partials.get(key)
        if mark and mark.content_hash != digest:  # the file changed since a killed run: start afresh
            self._discard_partial(key, records)
            mark = None
        if old and not shared:
            doc_id = old.doc_id
        elif mark and mark.content_hash == digest:
            doc_id = mark.doc_id  # resuming: the id the killed run chose
        else:
            doc_id = self._new_doc_id(path, records)
        writer = VersionWriter(self.store, self.chunker, self.settings.page_window, self._recipe())
        if mark and not writer.resumes(mark, doc_id, header):
            self._discard_partial(key, records)
        mark = self._partials[key] = writer.start(key, doc_id, header, mark)
        pages_read = getattr(progress, "pages_read", None)
        self._parser.on_page = (lambda n: pages_read(n, header.page_count)) if pages_read else None
        try:
            done = writer.write(mark, header, self._parser, key, progress.embedded)
        finally:
            self._parser.on_page = None
        if not done.chunks:
            raise LoadError(path, NO_PDF_TEXT if header.is_pdf else "no text to index")
        crash_point("passages-written")
        rec = SourceRecord(
            key, doc_id, digest, header.title, done.chunks, done.pages, time.time(),
            {**header.metadata, "size_bytes": len(data), "file_name": path.name, "sentences": done.sentences,
             "index_format": INDEX_FORMAT},
        )
        self.store.put_record(rec)
        crash_point("record-written")
        records[key] = rec
        self._discard_partial(key, records)  # the version is live now: only the mark goes
        if old and not shared:  # the old version's passages go only now that the new ones are stored
            self.store.delete_document(doc_id, keep_hash=digest)
        elif old:
            self._release(old, records)
        return FileOutcome(key, "updated" if old else "added", doc_id, done.chunks, done.pages)

    def _recipe(self) -> str:
        """What a resumed version must be cut with to match its stored windows."""
        return f"{INDEX_FORMAT}:{self.chunker.max_tokens}:{self.chunker.overlap}:{self.chunker.max_sentence_chars}"

    def _discard_partial(self, key: str, records: dict[str, SourceRecord]) -> None:
        """Forget ``key``'s unfinished version: the mark first (so a kill in between leaves plain
        orphans, never a mark claiming rows that are gone), then its rows unless a record names them."""
        mark = self._partials.pop(key, None)
        if mark is None:
            return
        delete_partials(self.store.client, self.settings, [key])
        if mark.version not in {(r.doc_id, r.content_hash) for r in records.values()}:
            self.store.delete_version(*mark.version)

    def _new_doc_id(self, path: Path, records: dict[str, SourceRecord]) -> str:
        base = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "document"
        taken = {r.doc_id for r in records.values()} | {m.doc_id for m in self._partials.values()}
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
        """Passages no record explains (an interrupted run) are deleted, except those of a version a
        progress mark says is unfinished (a rerun resumes it); cheap when counts agree."""
        docs = {r.doc_id: r for r in records.values()}.values()
        live = {(r.doc_id, r.content_hash) for r in records.values()}
        unfinished = {m.version: m for m in self._partials.values() if m.version not in live}.values()
        expected = (
            sum(r.chunks for r in docs) + sum(m.chunks for m in unfinished),
            sum(int(r.extra.get("sentences", 0)) for r in docs) + sum(m.sentences for m in unfinished),
        )
        if (self.store.count(), self.store.sentences.count()) == expected:
            return
        self.store.delete_versions_except(live | {m.version for m in unfinished})


def ensure_corpus(ingester: Ingester, progress: Progress | None = None) -> SyncReport | None:
    """Ingest the bundled corpus when no document is recorded (first start); otherwise do nothing.

    Records, not rows, decide: a first ingestion killed midway leaves rows (kept for the resume) but no
    record, and the next start must finish it rather than open an index with nothing to answer from.
    """
    if ingester.store.list_records():
        return None
    return ingester.sync([ingester.settings.corpus_dir], progress=progress)
