"""``python -m ingest [PATH ...]``: sync files and folders into the index, then print a summary."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from tqdm import tqdm

from assistant.components import build
from assistant.embedding.embedder import EmbeddingModelError
from assistant.settings import get_settings
from assistant.store.store import IndexMismatchError, StoreUnavailableError, drop_index
from ingest import integrity
from ingest.pipeline import STATUSES, Ingester, SyncReport
from ingest.writer_lock import IndexBusyError, WriterLock


def _say(message: str) -> None:
    tqdm.write(f"note: {message}", file=sys.stderr)


class _Bars:
    """Two tqdm bars: files, and embedding batches of the current file."""

    def __init__(self) -> None:
        self.files: tqdm | None = None
        self.embed: tqdm | None = None

    def file_started(self, source: str, index: int, total: int) -> None:
        if self.files is None:
            self.files = tqdm(total=total, unit="file", desc="files", position=0, leave=True)
        self.files.n = index
        self.files.set_postfix_str(Path(source).name[:40])
        self.files.refresh()

    def waiting(self, message: str) -> None:
        _say(message)

    def embedded(self, done: int, total: int) -> None:
        """A large document's total is an estimate refined window by window: the bar keeps going."""
        if self.embed is None or done <= (self.embed.n or 0) - 1:
            if self.embed is not None:
                self.embed.close()
            self.embed = tqdm(total=total, unit="chunk", desc="embedding", position=1, leave=False)
        self.embed.total = total
        self.embed.n = done
        self.embed.refresh()

    def close(self, finished: bool = True) -> None:
        """Close the bars; the files bar shows 100% only when the run got through every file."""
        if self.embed is not None:
            self.embed.close()
        if self.files is not None:
            if finished:
                self.files.n = self.files.total
                self.files.refresh()
            self.files.close()


def print_report(report: SyncReport, out=None) -> None:
    """The per-file lines worth reading, then one table of counts."""
    out = out or sys.stdout
    for o in report.outcomes:
        if o.status == "failed":
            print(f"FAILED   {o.source}: {o.reason}", file=out)
        elif o.status in ("added", "updated", "removed", "duplicate"):
            extra = f" ({o.reason})" if o.reason else ""
            print(f"{o.status:<8} {o.source}: {o.chunks} chunks{extra}", file=out)
    counts = report.counts
    header = " | ".join(f"{s:>9}" for s in (*STATUSES, "chunks", "embedded", "seconds"))
    chunks = sum(o.chunks for o in report.outcomes if o.status in ("added", "updated"))
    row = " | ".join(
        [f"{counts[s]:>9}" for s in STATUSES] + [f"{chunks:>9}", f"{report.embedded:>9}", f"{report.seconds:>9.2f}"]
    )
    print(header, file=out)
    print("-" * len(header), file=out)
    print(row, file=out)


def print_documents(ingester: Ingester, out=None) -> None:
    out = out or sys.stdout
    docs = ingester.documents()
    if not docs:
        print("The index is empty. Run `python -m ingest` to ingest the bundled corpus.", file=out)
        return
    print(f"{'document':<46} {'kind':<16} {'pages':>5} {'chunks':>6}  ingested          title", file=out)
    for d in docs:
        when = datetime.fromtimestamp(d.ingested_at).strftime("%Y-%m-%d %H:%M")
        print(f"{d.doc_id[:46]:<46} {d.kind[:16]:<16} {d.pages:>5} {d.chunks:>6}  {when}  {d.title}", file=out)
        for src in d.sources:
            print(f"{'':<4}{src}", file=out)
    print(f"{len(docs)} documents, {sum(d.chunks for d in docs)} chunks", file=out)


def _names(sources: list[str], most: int = 3) -> str:
    names = [Path(s).name for s in sources[:most]]
    return ", ".join(names) + (f" and {len(sources) - most} more" if len(sources) > most else "")


def outage_line(exc: StoreUnavailableError) -> str:
    """One line: what happened, what was stored, what was not, what to do."""
    report = exc.report
    line = f"error: {exc}."
    if isinstance(report, SyncReport):
        stored = [o.source for o in report.outcomes if o.status != "failed"]
        failed = len(report.failures)
        unfinished = report.unfinished
        line += f" Stored: {len(stored)} file{'s' * (len(stored) != 1)}"
        line += f" ({_names(stored)})" if stored else ""
        line += f"; not stored: {len(unfinished)}" + (f" ({_names(unfinished)})" if unfinished else "")
        line += f"; could not be read: {failed}." if failed else "."
        line += " Nothing half-written is visible; run the same command again."
    else:
        line += " Nothing was changed; run the same command again when the store is back."
    return line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest", description=__doc__)
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the corpus folder)")
    parser.add_argument("--list", action="store_true", help="list ingested documents and exit")
    parser.add_argument("--reset", action="store_true", help="drop the index and rebuild it from scratch")
    parser.add_argument("--no-prune", action="store_true", help="keep records of files gone from synced folders")
    parser.add_argument(
        "--check", action="store_true", help="compare the store with the records; exit 1 on any problem"
    )
    parser.add_argument("--repair", action="store_true", help="fix what --check finds, then check again")
    args = parser.parse_args(argv)
    settings = get_settings()
    try:
        return _run(args, settings)
    except (IndexMismatchError, EmbeddingModelError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except IndexBusyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    except StoreUnavailableError as exc:
        print(outage_line(exc), file=sys.stderr)
        return 4


def _run(args: argparse.Namespace, settings) -> int:
    if args.reset:
        with WriterLock(settings, notify=_say):
            drop_index(settings)
    components = build(settings)
    ingester = Ingester(settings, components.store)
    if args.list:
        print_documents(ingester)
        return 0
    if args.check or args.repair:
        return _check(ingester, args.repair)
    paths = args.paths or [settings.corpus_dir]
    bars = _Bars()
    finished = False
    try:
        report = ingester.sync(paths, progress=bars, prune=not args.no_prune)
        finished = True
    finally:
        bars.close(finished)
    print_report(report)
    return 0 if report.usable else 1


def _check(ingester: Ingester, repair_too: bool) -> int:
    """Print every inconsistency between the store and the records (and fix them with ``--repair``)."""
    with ingester.writing(_say):  # a writer mid-way would look like damage
        found = integrity.check(ingester.store)
    for line in found.lines():
        print(line)
    print(found.summary())
    if found.ok or not repair_too:
        if not found.ok:
            print("Run `python -m ingest --repair` to fix these.")
        return 0 if found.ok else 1
    done, _ = integrity.repair(ingester, found)
    for line in done:
        print(f"repaired  {line}")
    after = integrity.check(ingester.store)
    for line in after.lines():
        print(line)
    print(f"after repair: {after.summary()}")
    return 0 if after.ok else 1


if __name__ == "__main__":
    sys.exit(main())
