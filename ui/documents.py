"""Documents tab callbacks: list, upload (copy to the uploads folder, then sync), delete, re-sync.

The work is the ingest package's (``Ingester.sync`` / ``remove_document``); this file only copies
uploaded files into place, reports progress to a Gradio bar and puts the outcome into words.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import gradio as gr

from ingest.pipeline import SyncReport, source_key, source_path
from ingest.uploads import UploadError, save_upload, waiting_line, writer_failure
from ui import render
from ui.services import Services

log = logging.getLogger("ui.documents")

SUPPORTED = ".pdf, .txt, .md, .html"
#: Upload reports a tab keeps: the newest is shown, the rest folded under "Earlier uploads".
KEPT_REPORTS = 10


class GradioProgress:
    """The ingest ``Progress`` protocol drawn on a ``gr.Progress`` bar: files, and within one its pages
    read (the first ``READ_SHARE`` of its part of the bar) and its texts embedded (the rest), so the bar
    moves with every page and every batch."""

    READ_SHARE = 0.2

    def __init__(self, progress: gr.Progress | None, names: dict[str, str] | None = None) -> None:
        self.progress = progress
        self.names = names or {}
        self.index, self.total, self.name = 0, 1, ""
        self.read, self.embedded_share = 0.0, 0.0
        self._of = ""

    def _within(self) -> float:
        return self.READ_SHARE * self.read + (1 - self.READ_SHARE) * self.embedded_share

    def _show(self, fraction: float, desc: str) -> None:
        if self.progress is not None:
            self.progress(min(max(fraction, 0.0), 1.0), desc=desc)

    def file_started(self, source: str, index: int, total: int) -> None:
        self.index, self.total = index, max(total, 1)
        self.name = self.names.get(source, Path(source).name)
        self.read, self.embedded_share = 0.0, 0.0
        self._of = f" ({index + 1} of {total})" if total > 1 else ""
        self._show(index / self.total, f"Reading {self.name}{self._of}")

    def pages_read(self, done: int, total: int) -> None:
        self.read = max(self.read, done / total if total else 1.0)
        self._show((self.index + self._within()) / self.total, f"Reading {self.name}{self._of}: page {done} of {total}")

    def waiting(self, message: str) -> None:
        self._show(self.index / self.total, waiting_line(message))

    def embedded(self, done: int, total: int) -> None:
        self.read = 1.0 if self.read == 0.0 else self.read  # a text file has no pages to count
        self.embedded_share = done / total if total else 1.0
        desc = f"Embedding {self.name}{self._of}: {done} of {total} passages and sentences"
        self._show((self.index + self._within()) / self.total, desc)


def _is_under(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


@dataclass
class UploadQueue:
    """One tab's dropped files waiting for ingestion, the batch being ingested, the latest reports."""

    files: list[Path] = field(default_factory=list)
    busy_name: str = ""
    reports: list[str] = field(default_factory=list)


class DocumentHandlers:
    def __init__(self, services: Services) -> None:
        self.services = services

    @property
    def ingester(self):
        return self.services.ingester

    # --- views -----------------------------------------------------------------------

    def views(self, scope: Sequence[str] | None = None) -> tuple:
        """(table rows, scope selector update, delete selector update, status line).

        The scope keeps its selection minus documents that are gone (a stale id would be refused).
        """
        try:
            docs = self.ingester.documents()
        except Exception:
            log.exception("listing documents failed")
            gr.Warning("The document list could not be read (the details are in the server log).")
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        choices = render.document_choices(docs)
        ids = {doc_id for _, doc_id in choices}
        return (
            render.document_rows(docs),
            gr.update(choices=choices, value=[s for s in scope or [] if s in ids]),
            gr.update(choices=choices, value=None),
            self.services.status_line(),
        )

    # --- actions (each returns a report followed by ``views()``) ---------------------------

    def receive(self, files: Sequence[str] | None, queue: UploadQueue | None) -> tuple:
        """(file box, upload status): dropped files join the tab's queue and the box is free again at once.

        Files dropped while an ingestion runs wait here and are ingested right after it, so none is lost.
        """
        if queue is None:
            gr.Warning("The page is still loading; drop the files again in a moment.")
            return gr.skip(), gr.skip()
        for f in files or []:
            src = Path(f if isinstance(f, str) else getattr(f, "name", str(f)))
            queue.files.append(src)
        return None, render.upload_status_html(queue.busy_name, [p.name for p in queue.files])

    def ingest_queued(self, queue: UploadQueue | None, scope: list[str] | None, progress=gr.Progress()) -> tuple:  # noqa: B008 (Gradio idiom)
        """(report, table, scope, delete choice, status, upload status) once the tab's queue is empty.

        Files that arrive meanwhile are taken as the next batch; a second call while one runs returns at
        once (the running one takes its files). The progress bar is drawn right under the upload box.
        """
        if queue is None or queue.busy_name or not queue.files:
            return (gr.skip(),) * 6
        try:
            while queue.files:
                batch, queue.files = queue.files, []
                queue.busy_name = ", ".join(p.name for p in batch)
                queue.reports.insert(0, self._ingest(batch, progress))
                del queue.reports[KEPT_REPORTS:]
        finally:
            queue.busy_name = ""
        return (render.upload_reports_html(queue.reports), *self.views(scope), render.upload_status_html("", []))

    def _ingest(self, files: list[Path], progress) -> str:
        """Copy the files into the uploads folder, ingest them; the report as HTML."""
        uploads = self.services.settings.uploads_dir
        stored: list[Path] = []
        fresh: set[Path] = set()
        names: dict[str, str] = {}
        refused: list[tuple[str, str]] = []
        limit = int(self.services.settings.max_upload_mb * 1_000_000)  # as ui.layout.upload_limit_bytes
        for src in files:
            try:
                saved = save_upload(src, src.name, uploads, limit, temporary_source=True)
            except UploadError as exc:  # too large, not what its name says, unreadable: refused as such
                refused.append((exc.name, exc.reason))
                continue
            target, new = saved.path, saved.new
            stored.append(target)
            if new:
                fresh.add(target)
            names[source_key(target)] = src.name if src.name == target.name else f"{src.name} (saved as {target.name})"
        heading = f"Upload at {time.strftime('%H:%M:%S')}: {len(files)} file{'s' if len(files) != 1 else ''}"
        if not stored:
            return render.sync_report_html(None, refused=refused, heading=heading)
        report = self._sync(stored, GradioProgress(progress, names), prune=False)
        if isinstance(report, str) or report is None:
            return render.notice_html(f"{heading}: {report or 'the ingestion failed; see the server log.'}", "error")
        for outcome in report.failures:  # a file that could not be ingested is not kept
            path = source_path(outcome.source)
            if path in fresh:
                path.unlink(missing_ok=True)
        return render.sync_report_html(report, names, refused, heading)

    def resync(self, scope: list[str] | None, progress=gr.Progress()) -> tuple:  # noqa: B008
        corpus = self.services.settings.corpus_dir
        if not corpus.is_dir():
            message = f"The corpus folder ({corpus.name}/) does not exist on the server."
            return (render.notice_html(message, "error"), *self.views(scope))
        report = self._sync([corpus], GradioProgress(progress), prune=True)
        if isinstance(report, str) or report is None:
            line = report or "The re-sync failed; see the server log."
            return (render.notice_html(line, "error"), *self.views(scope))
        return (render.sync_report_html(report), *self.views(scope))

    def delete(self, doc_id: str | None, scope: list[str] | None) -> tuple:
        if not doc_id:
            return (render.notice_html("Choose a document to delete first."), *self.views(scope))
        docs = {d.doc_id: d for d in self.ingester.documents()}
        doc = docs.get(doc_id)
        title = doc.title if doc else doc_id
        try:
            sources = self.ingester.remove_document(doc_id)
        except Exception:
            log.exception("deleting %s failed", doc_id)
            gr.Warning("The document could not be deleted (the details are in the server log).")
            return (render.notice_html(f"“{title}” could not be deleted.", "error"), *self.views(scope))
        uploads = self.services.settings.uploads_dir
        removed_files, kept = [], []
        for key in sources:
            path = source_path(key)
            if _is_under(path, uploads) and path.is_file():
                path.unlink()
                removed_files.append(path.name)
            else:
                kept.append(key)
        log.info("deleted document %s (sources %s, files removed %s)", doc_id, sources, removed_files)
        message = f"Deleted “{title}”"
        if removed_files:
            message += f" and its uploaded file {', '.join(removed_files)}"
        message += "."
        if any(_is_under(source_path(k), self.services.settings.corpus_dir) for k in kept):
            message += " Its file is still in the corpus folder, so a re-sync of the corpus brings it back."
        return (render.notice_html(message, "ok"), *self.views(scope))

    def _sync(self, paths: list[Path], progress: GradioProgress, prune: bool) -> SyncReport | str | None:
        """The report; or the line to show when another writer held on or the store went away; or None."""
        try:
            report = self.ingester.sync(paths, progress=progress, prune=prune)
            log.info("synced %s: %s", [p.name for p in paths], report.counts)
            return report
        except Exception as exc:
            if (line := writer_failure(exc)) is not None:
                log.warning("sync of %s stopped: %s", [str(p) for p in paths], line)
                return line

            log.exception("sync of %s failed", [str(p) for p in paths])
            gr.Warning("The ingestion stopped with an error (the details are in the server log).")
            return None
