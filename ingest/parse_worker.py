"""Reading files in a separate process, so a hostile file is stopped for real.

A PDF can make pypdf spin (hundreds of thousands of text operators, a page tree of 50,000 pages)
or eat memory; a thread cannot be stopped, a process can. One worker process is started on the
first file that needs reading and reused for the rest of the run, so the cost is one interpreter
start per run (~0.3 s), not per file. When a file takes longer than the time limit the worker is
killed, the file fails with one line, and the next file gets a fresh worker.

A file is opened once (page count, title) and then read a window of pages per request, so a large
PDF is never held whole on either side; the time limit applies to each request.

The protocol is a length-prefixed pickle of plain tuples each way over the worker's stdin/stdout.
The worker is this file run as a script: it loads ``loaders.py`` by path and nothing else of the
project (importing the ``ingest`` package would pull in the assistant and cost ~0.6 s per start).
"""

from __future__ import annotations

import logging
import os
import pickle
import select
import struct
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from ingest.loaders import LoadedDocument, Page

_HEADER = struct.Struct("!Q")


@dataclass(frozen=True)
class DocumentHeader:
    """What opening a file tells: enough to plan its windows and name its version."""

    path: Path
    title: str
    page_count: int  # pages in the file, blank ones included
    content_hash: str
    metadata: dict[str, str]

    @property
    def is_pdf(self) -> bool:
        return self.path.suffix.lower() == ".pdf"


class ParseWorker:
    """Parses files in a child process under a time limit and a page limit."""

    def __init__(self, timeout: float = 60.0, max_pages: int = 5000) -> None:
        self.timeout = timeout
        self.max_pages = max_pages
        self._proc: subprocess.Popen | None = None
        self._path = Path()  # the file open in the worker
        self.started = 0  # worker processes started (one per run unless a file had to be stopped)
        self.on_page: Callable[[int], None] | None = None  # told each page number as the worker reads it

    def load(self, path: Path, data: bytes) -> LoadedDocument:
        """The whole file at once (``open`` then ``read`` of every page); small files and tests use it."""
        from ingest.loaders import NO_PDF_TEXT, LoadedDocument, LoadError

        header = self.open(path, data)
        pages = self.read(0, header.page_count)
        if not pages:
            raise LoadError(path, NO_PDF_TEXT)
        return LoadedDocument(Path(path), header.title, pages, header.content_hash, header.metadata)

    def open(self, path: Path, data: bytes) -> DocumentHeader:
        """Open ``path`` in the worker (page count, title; no page read yet); it stays open for ``read``."""
        self._path = Path(path)
        title, count, digest, metadata = self._ask(("open", str(path), data, self.max_pages), "open it")
        return DocumentHeader(Path(path), title, count, digest, metadata)

    def read(self, start: int, stop: int) -> list[Page]:
        """The pages at 0-based positions ``start:stop`` of the open file that hold text.

        The time limit applies to each call: a window of pages, not the whole of a large file, has
        ``timeout`` seconds, so a 1,700-page document is read in steps while a runaway page is stopped.
        """
        from ingest.loaders import Page

        if start >= stop:
            return []
        what = f"read pages {start + 1}-{stop}" if stop - start > 1 or start else "read it"
        return [Page(n, t, at) for n, t, at in self._ask(("read", start, stop), what)]

    def _ask(self, request: tuple, what: str) -> object:
        """One request to the worker; every failure becomes a ``LoadError`` with one plain reason."""
        from ingest.loaders import LoadError

        path = self._path
        proc = self._ensure()
        try:
            _send(proc.stdin, request)
            deadline = time.monotonic() + self.timeout
            status, payload = _receive(proc.stdout.fileno(), deadline)
            while status == "page":  # a page of the window read: progress, then the rest of the answer
                if self.on_page is not None:
                    self.on_page(int(payload))
                status, payload = _receive(proc.stdout.fileno(), deadline)
        except TimeoutError:
            self._kill()
            took = "to read" if what in ("open it", "read it") else f"to {what}"
            raise LoadError(
                path, f"took longer than {self.timeout:g} s {took}; skipped (the limit is PANEL_PARSE_TIMEOUT)"
            ) from None
        except (EOFError, BrokenPipeError, OSError):
            code = self._kill()
            raise LoadError(path, f"the reader stopped unexpectedly while reading it (exit code {code})") from None
        if status == "ok":
            return payload
        raise LoadError(path, payload)

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            proc.stdin.close()
            proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
        proc.stdout.close()

    def __enter__(self) -> ParseWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ensure(self) -> subprocess.Popen:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        self._kill()
        self._proc = subprocess.Popen(
            [sys.executable, "-I", str(Path(__file__).resolve())], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        self.started += 1
        return self._proc

    def _kill(self) -> int | None:
        proc, self._proc = self._proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            proc.kill()
        code = proc.wait()
        for pipe in (proc.stdin, proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        return code


def _send(pipe, message: object) -> None:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    pipe.write(_HEADER.pack(len(body)) + body)
    pipe.flush()


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes:
    chunks: list[bytes] = []
    while size:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimeoutError
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _receive(fd: int, deadline: float | None) -> object:
    (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size, deadline))
    return pickle.loads(_read_exact(fd, size, deadline))


def _answer(loaders, request: tuple, opened: list, answers=None) -> tuple[str, object]:
    """One request: ``("open", path, data, max_pages)`` keeps the file open in ``opened[0]``;
    ``("read", start, stop)`` returns its pages at those positions, after a ``("page", n)`` message on
    ``answers`` for each page read (progress)."""
    try:
        if request[0] == "open":
            _, path, data, max_pages = request
            opened[:] = [None]
            doc = opened[0] = loaders.open_document(Path(path), data, max_pages=max_pages)
            return "ok", (doc.title, doc.page_count, doc.content_hash, doc.metadata)
        _, start, stop = request
        def on_page(n: int) -> None:
            if answers is not None:
                _send(answers, ("page", n))

        return "ok", [(p.number, p.text, p.next_page_at) for p in opened[0].read(start, stop, on_page)]
    except loaders.LoadError as exc:
        return "error", exc.reason
    except MemoryError:
        return "error", "needs more memory than is available to read it; skipped"
    except RecursionError:
        return "error", "is nested too deeply to read; skipped"
    except Exception as exc:  # a reader bug must not take the run down: the file fails with its name
        return "error", f"could not be read ({exc.__class__.__name__})"


def serve() -> None:
    """The worker's loop: one request in, one answer out, until stdin closes."""
    import importlib.util

    for name, file in (("panel_pdf_margins", "pdf_margins.py"), ("panel_loaders", "loaders.py")):
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(file))
        module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    loaders = sys.modules["panel_loaders"]
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # a damaged file's repair notes are not the user's concern
    requests = os.dup(0)
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print must not corrupt the protocol
    opened: list = [None]
    while True:
        try:
            request = _receive(requests, None)
        except EOFError:
            return
        _send(answers, _answer(loaders, request, opened, answers))


if __name__ == "__main__":
    serve()
