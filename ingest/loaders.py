"""Readers: a file becomes page texts plus metadata, or a ``LoadError`` saying why not.

Every format yields a list of ``Page``s. PDFs keep their 1-based page numbers; other formats are
one page with ``number=None``. The text of a page is what chunk offsets point into, so whatever
normalisation happens here is the text a reader sees when a citation is opened.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import yaml

SUPPORTED_SUFFIXES = (".pdf", ".txt", ".md", ".markdown", ".html", ".htm")
NO_PDF_TEXT = "no extractable text (scanned or image-only PDF?)"


class LoadError(Exception):
    """A file that cannot be ingested; ``reason`` is one plain sentence for the user."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


@dataclass(frozen=True)
class Page:
    number: int | None  # 1-based for PDFs, None for single-page formats
    text: str
    next_page_at: int | None = None  # where text carried back from the next page begins (a sentence over the break)


@dataclass
class LoadedDocument:
    path: Path
    title: str
    pages: list[Page]
    content_hash: str  # of the file's bytes: same bytes under two names are one document
    metadata: dict[str, str] = field(default_factory=dict)  # kind, date, publisher, ...

    @property
    def page_count(self) -> int:
        return len(self.pages)


def read_bytes(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise LoadError(path, f"cannot be read ({exc.strerror or exc})") from exc


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class OpenedDocument:
    """A file opened for reading a window of pages at a time (large PDFs are never held whole).

    ``page_count`` counts the file's pages (blank ones included); ``read(start, stop)`` returns the
    pages at those 0-based positions that hold text, with their 1-based numbers.
    """

    def __init__(self, path: Path, title: str, page_count: int, digest: str, metadata: dict[str, str],
                 read: Callable[..., list[Page]]) -> None:
        self.path = path
        self.title = title
        self.page_count = page_count
        self.content_hash = digest
        self.metadata = metadata
        self._read = read

    @property
    def is_pdf(self) -> bool:
        return self.path.suffix.lower() == ".pdf"

    def read(self, start: int, stop: int, on_page: Callable[[int], None] | None = None) -> list[Page]:
        """``on_page(n)`` is told each 1-based page number once it is read (progress while reading)."""
        return self._read(max(0, start), min(stop, self.page_count), on_page)


def open_document(path: Path, data: bytes | None = None, max_pages: int | None = None) -> OpenedDocument:
    """Open one file (or its already-read bytes) without reading a PDF's pages; ``LoadError`` if unusable.

    ``max_pages`` refuses a PDF with more pages before any page is read. A non-PDF is read whole here
    (it is one page) and refused here if it holds no text.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(sorted({s.lstrip(".") for s in SUPPORTED_SUFFIXES}))
        raise LoadError(path, f"unsupported file type '{suffix or '(none)'}' (supported: {supported})")
    if data is None:
        data = read_bytes(path)
    if not data.strip():
        raise LoadError(path, "empty file (0 bytes)" if not data else "file holds only whitespace")
    if suffix == ".pdf":
        title, count, meta, read = _open_pdf(path, data, max_pages)
    else:
        text = _decode(path, data)
        if suffix in (".md", ".markdown"):
            title, pages, meta = _read_markdown(path, text)
        elif suffix in (".html", ".htm"):
            title, pages, meta = _read_html(text)
        else:
            title, pages, meta = "", [Page(None, normalise_text(text))], {}
        if not any(p.text.strip() for p in pages):
            raise LoadError(path, "no text")
        count = len(pages)

        def read(start: int, stop: int, on_page: Callable[[int], None] | None = None) -> list[Page]:
            return pages[start:stop]

    meta.setdefault("kind", _default_kind(suffix))
    return OpenedDocument(
        path, (title or _title_from_name(path)).strip(), count, content_hash(data),
        {k: str(v) for k, v in meta.items() if v not in (None, "")}, read,
    )


def load(path: Path, data: bytes | None = None, max_pages: int | None = None) -> LoadedDocument:
    """Read one whole file (or its already-read bytes); raise ``LoadError`` for anything unusable.

    Hostile files are also bounded in time: the ingester reads through ``ingest.parse_worker``.
    """
    opened = open_document(path, data, max_pages)
    pages = opened.read(0, opened.page_count)
    if not pages:
        raise LoadError(opened.path, NO_PDF_TEXT)
    return LoadedDocument(opened.path, opened.title, pages, opened.content_hash, opened.metadata)


# --- text ------------------------------------------------------------------------------

def _decode(path: Path, data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(
            path,
            f"not UTF-8 text (invalid byte 0x{data[exc.start]:02x} at position {exc.start}); "
            "re-save it as UTF-8",
        ) from exc
    if "\x00" in text:
        raise LoadError(path, "looks like a binary file, not text")
    return text


_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_BLANKS = re.compile(r"\n{3,}")


def normalise_text(text: str) -> str:
    """Unify line endings, collapse runs of spaces, keep paragraph breaks (one blank line)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


def _title_from_name(path: Path) -> str:
    return re.sub(r"[-_]+", " ", path.stem).strip().capitalize()


def _default_kind(suffix: str) -> str:
    return {".pdf": "pdf document", ".html": "web page", ".htm": "web page"}.get(suffix, "text")


# --- markdown --------------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)


def _read_markdown(path: Path, text: str) -> tuple[str, list[Page], dict]:
    text = text.replace("\r\n", "\n")
    meta: dict = {}
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            loaded = yaml.safe_load(match.group(1)) or {}
        except yaml.YAMLError as exc:
            raise LoadError(path, f"front matter is not valid YAML ({exc.__class__.__name__})") from exc
        if not isinstance(loaded, dict):
            raise LoadError(path, "front matter must be a mapping of 'key: value' lines")
        meta = {str(k): v for k, v in loaded.items()}
        text = text[match.end() :]
    title = str(meta.pop("title", "") or "")
    if not title:
        heading = re.search(r"^#\s+(.+)$", text, re.MULTILINE)
        title = heading.group(1) if heading else ""
    return title, [Page(None, normalise_text(text))], meta


# --- html ------------------------------------------------------------------------------

class _VisibleText(HTMLParser):
    HIDDEN = {"script", "style", "head", "noscript", "template", "svg", "iframe", "object"}
    BLOCK = {
        "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
        "section", "article", "header", "footer", "blockquote", "pre", "hr", "dd", "dt", "main",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title_parts: list[str] = []
        self._hidden = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "title":
            self._in_title = True
        elif tag in self.HIDDEN:
            self._hidden += 1
        elif tag in self.BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in self.HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)
        elif not self._hidden:
            self.parts.append(data.replace("\n", " "))


def _read_html(text: str) -> tuple[str, list[Page], dict]:
    parser = _VisibleText()
    parser.feed(text)
    parser.close()
    title = " ".join("".join(parser.title_parts).split())
    return title, [Page(None, normalise_text("".join(parser.parts)))], {}


# --- pdf -------------------------------------------------------------------------------

_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"})
_HYPHEN_BREAK = re.compile(r"(\w)-\n(?=[a-z])")
_SENTENCE_END = re.compile(r"[.!?:;\"”’)\]]$")


def _margins():
    """``ingest/pdf_margins.py``: the parse worker loads it beside this file (as it loads this file, without
    the ``ingest`` package, whose import would cost the worker's start), anything else imports it."""
    margins = sys.modules.get("panel_pdf_margins")
    if margins is None:
        from ingest import pdf_margins as margins
    return margins


@contextmanager
def _pdf_errors(path: Path) -> Iterator[None]:
    """Whatever pypdf raises while opening or reading becomes one plain ``LoadError``."""
    from pypdf.errors import LimitReachedError, PdfReadError

    try:
        yield
    except LoadError:
        raise
    except LimitReachedError as exc:
        if "decompress" in str(exc).lower():
            why = "a compressed stream in it expands beyond the safety limit (a decompression bomb?); skipped"
        else:
            why = f"exceeds the PDF reader's safety limits ({str(exc).rstrip('.')}); skipped"
        raise LoadError(path, why) from exc
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError) as exc:
        raise LoadError(path, f"not a readable PDF: corrupt or truncated ({exc.__class__.__name__})") from exc
    except Exception as exc:
        raise LoadError(path, f"not a readable PDF ({exc.__class__.__name__}: {exc})") from exc


def _open_pdf(
    path: Path, data: bytes, max_pages: int | None = None
) -> tuple[str, int, dict, Callable[..., list[Page]]]:
    """Title, page count, metadata and a reader of page windows; no page's text is extracted yet."""
    import io

    from pypdf import PdfReader

    with _pdf_errors(path):
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                unlocked = reader.decrypt("")
            except Exception:
                unlocked = 0
            if not unlocked:
                raise LoadError(path, "password-protected PDF (no password given); skipped")
        count = len(reader.pages)
        if max_pages is not None and count > max_pages:
            raise LoadError(path, f"has {count:,} pages; the limit is {max_pages:,} (PANEL_MAX_PAGES)")
        info = reader.metadata or {}
        title = " ".join(str(info.get("/Title") or "").split()) if info else ""
        if not title and count:  # no metadata title: the first page's heading, when it has one
            title = _margins().first_heading(_margins().extract_layout(reader.pages[0], 1))
            reader.resolved_objects.clear()
    if not count:
        raise LoadError(path, "PDF has no pages")

    blocks = _margins().margin_blocks(count)
    last: dict[int, Any] = {}  # the layouts of the last block read: consecutive windows share a block

    def texts(wanted: range, window: range, on_page: Callable[[int], None] | None) -> dict[int, str]:
        """Clean text of the pages at the 0-based positions ``wanted``, running heads, feet and page
        numbers judged over each page's whole block; ``on_page`` hears the pages of ``window``."""
        nonlocal last
        out: dict[int, str] = {}
        for block in (b for b in blocks if b.start < wanted.stop and b.stop > wanted.start):
            layouts = []
            for n in block:
                layouts.append(last.get(n) or _margins().extract_layout(reader.pages[n], n + 1))
                if on_page is not None and n in window:
                    on_page(n + 1)
            last = {layout.number - 1: layout for layout in layouts}
            margins = _margins().find_margins(layouts)
            out.update({p.number - 1: clean_pdf_text(_margins().strip_margins(p.text, margins[p.number])[0])
                        for p in layouts if p.number - 1 in wanted})
        return out

    def read(start: int, stop: int, on_page: Callable[[int], None] | None = None) -> list[Page]:
        with _pdf_errors(path):
            # the pages either side too: a sentence may run in from the one before or on into the next
            text = texts(range(max(start - 1, 0), min(stop + 1, count)), range(start, stop), on_page)
            # pypdf keeps every object it resolved (content streams, fonts): forget those of this window,
            # so reading a large file window by window holds one window's objects, not the whole file's.
            reader.resolved_objects.clear()
        pages = []
        for n in range(start, stop):
            own = text[n]
            if n - 1 in text and (lead := _margins().carried_over(text[n - 1], own)):
                own = own[lead:].lstrip()  # it ends the sentence of the page before, and is stored there
            following = text.get(n + 1, "")
            if carried := _margins().carried_over(text[n], following):
                own, at = _margins().joined(own, following, carried)
                pages.append(Page(n + 1, own, next_page_at=at))
            elif own.strip():
                pages.append(Page(n + 1, own))
        return pages

    return title, count, {"pdf_pages": str(count)}, read


def clean_pdf_text(text: str) -> str:
    """Undo PDF line layout: join hyphenated words, reflow lines into paragraphs.

    A line break stays a paragraph break only where the line ends a sentence or is short and the
    next one starts with a capital (a heading); elsewhere it was just the layout's line wrap and becomes a space.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00ad\n", "")
    text = text.translate(_LIGATURES)
    text = _HYPHEN_BREAK.sub(r"\1", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if not line:
            if out and out[-1] != "\n\n":
                out.append("\n\n")
            continue
        if out and out[-1] != "\n\n":
            prev = out[-1]
            heading = len(prev) < 40 and (line[0].isupper() or line[0].isdigit())
            out.append("\n" if _SENTENCE_END.search(prev) or heading else " ")
        out.append(line)
    return _BLANKS.sub("\n\n", "".join(out)).strip()
