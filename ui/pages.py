"""The page beside the quote: a PDF page rendered on the server with the quoted sentence's lines marked.

pypdfium2 renders the page and gives each character's box. The quoted sentence (taken from pypdf's
text at ingestion) is found in PDFium's characters by comparing letters and digits only, so line
breaks, hyphenation and spacing that the two libraries read differently don't matter; the boxes of
the matched characters are merged line by line and drawn as translucent marks. Images are cached
under ``$PANEL_DATA_DIR/page-cache/``, keyed by the file's bytes, the page and the sentence.

For a text document, ``text_context`` gives the paragraph around the passage instead.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("ui.pages")

SCALE = 1.6  # pixels per PDF point: a page 952 px wide, sharp enough to read small print
MARK_FILL = (250, 204, 21, 110)  # translucent yellow
MARK_EDGE = (202, 138, 4, 255)


@dataclass
class PageImage:
    path: Path
    page: int
    pages: int
    found: bool  # whether the sentence was located on the page (else the page is shown unmarked)
    mark: tuple[float, float, float, float] | None = None  # the marked area: left, top, right, bottom (0-1)


def _key_chars(text: str) -> list[tuple[str, int]]:
    """(lower-cased letter or digit, index in ``text``) for every letter and digit, ligatures unfolded."""
    out = []
    for i, ch in enumerate(text):
        for c in unicodedata.normalize("NFKC", ch):
            if c.isalnum():
                out.append((c.lower(), i))
    return out


def locate(haystack: list[str], needle: str, around: str = "") -> tuple[int, int] | None:
    """First and last index in ``haystack`` (one string per character) spanning ``needle``'s letters.

    ``around`` (the passage holding the sentence) picks the right one of repeated sentences: the
    search starts where the passage starts, when the passage is found.

    When the whole sentence is not found (a word split oddly across lines), its longest findable
    start and end are tried, so most of the sentence is still marked.
    """
    keys = _key_chars("".join(ch[:1] or " " for ch in haystack))
    flat = "".join(c for c, _ in keys)
    target = "".join(c for c, _ in _key_chars(needle))
    if not target:
        return None
    whole = "".join(c for c, _ in _key_chars(around))
    origin = max(flat.find(whole[:200]), 0) if whole else 0
    at = flat.find(target, origin)
    at = at if at >= 0 else flat.find(target)
    if at >= 0:
        return keys[at][1], keys[at + len(target) - 1][1]
    for size in (len(target) * 2 // 3, len(target) // 2, 40):
        if size < 20:
            break
        head = flat.find(target[:size], origin)
        head = head if head >= 0 else flat.find(target[:size])
        tail = flat.find(target[-size:], max(head, 0))
        if head >= 0 and tail >= head:
            return keys[head][1], keys[tail + size - 1][1]
        if head >= 0:
            return keys[head][1], keys[head + size - 1][1]
    return None


def line_boxes(boxes: list[tuple[float, float, float, float]]) -> list[tuple[float, float, float, float]]:
    """Character boxes (left, bottom, right, top) merged into one box per text line."""
    lines: list[list[float]] = []
    for left, bottom, right, top in boxes:
        if right <= left or top <= bottom:
            continue
        middle = (bottom + top) / 2
        for line in lines:
            if line[1] <= middle <= line[3]:
                line[0], line[1] = min(line[0], left), min(line[1], bottom)
                line[2], line[3] = max(line[2], right), max(line[3], top)
                break
        else:
            lines.append([left, bottom, right, top])
    return [tuple(line) for line in lines]  # type: ignore[misc]


class PageRenderer:
    """Renders and caches PDF pages with a sentence marked."""

    def __init__(self, cache_dir: Path, scale: float = SCALE) -> None:
        self.cache_dir = Path(cache_dir)
        self.scale = scale
        self._lock = threading.Lock()  # PDFium is not thread-safe

    def render(self, pdf_path: Path, page: int, sentence: str, around: str = "") -> PageImage:
        """The page (1-based) as a PNG with ``sentence`` (found near ``around``) marked.

        Raises ``ValueError`` for a page the PDF doesn't have, ``OSError`` for a file that is gone.
        """
        data = Path(pdf_path).read_bytes()
        salt = f"|{page}|{self.scale}|{sentence}|{around[:200]}".encode()
        key = hashlib.sha256(data + salt).hexdigest()[:32]
        target = self.cache_dir / f"{key}.png"
        meta = target.with_suffix(".txt")
        if target.is_file() and meta.is_file():
            try:
                info = json.loads(meta.read_text())
                mark = tuple(info["mark"]) if info.get("mark") else None
                return PageImage(target, page, int(info["pages"]), mark is not None, mark)  # type: ignore[arg-type]
            except (ValueError, KeyError, TypeError):
                pass  # an unreadable cache entry is drawn again
        with self._lock:
            pages, mark = self._draw(data, page, sentence, around, target)
        meta.write_text(json.dumps({"pages": pages, "mark": mark}))
        return PageImage(target, page, pages, mark is not None, mark)

    def _draw(
        self, data: bytes, page_number: int, sentence: str, around: str, target: Path
    ) -> tuple[int, tuple[float, float, float, float] | None]:
        import pypdfium2 as pdfium
        import pypdfium2.raw as pdfium_c
        from PIL import Image, ImageDraw

        pdf = pdfium.PdfDocument(data)
        try:
            if not 1 <= page_number <= len(pdf):
                raise ValueError(f"page {page_number} is not in this PDF ({len(pdf)} pages)")
            page = pdf[page_number - 1]
            width, height = page.get_width(), page.get_height()
            mark = None
            image = page.render(scale=self.scale).to_pil().convert("RGBA")
            textpage = page.get_textpage()
            chars = [chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, i)) for i in range(textpage.count_chars())]
            span = locate(chars, sentence, around)
            if span is not None:
                boxes = [textpage.get_charbox(i) for i in range(span[0], span[1] + 1)]
                overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
                draw = ImageDraw.Draw(overlay)
                pad = 2
                lines = line_boxes(boxes)
                if lines:
                    mark = (min(b[0] for b in lines) / width, 1 - max(b[3] for b in lines) / height,
                            max(b[2] for b in lines) / width, 1 - min(b[1] for b in lines) / height)
                for left, bottom, right, top in lines:
                    rect = (left * self.scale - pad, (height - top) * self.scale - pad,
                            right * self.scale + pad, (height - bottom) * self.scale + pad)
                    draw.rectangle(rect, fill=MARK_FILL)
                    draw.line([(rect[0] - 4, rect[1]), (rect[0] - 4, rect[3])], fill=MARK_EDGE, width=4)
                image = Image.alpha_composite(image, overlay)
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".tmp")
            image.convert("RGB").save(tmp, format="PNG", optimize=True)
            tmp.replace(target)
            return len(pdf), mark
        finally:
            pdf.close()


def text_context(text: str, start: int, end: int, paragraphs: int = 1) -> tuple[str, int, int]:
    """The paragraph holding ``text[start:end]`` and ``paragraphs`` more either side.

    Returns (excerpt, start, end) with ``start``/``end`` moved into the excerpt.
    """
    start, end = max(0, start), min(len(text), max(start, end))
    left = start
    for _ in range(paragraphs + 1):
        found = text.rfind("\n\n", 0, max(0, left - 1))
        left = found + 2 if found >= 0 else 0
        if left == 0:
            break
    right = end
    for _ in range(paragraphs + 1):
        found = text.find("\n\n", right + 1)
        right = found if found >= 0 else len(text)
        if right == len(text):
            break
    excerpt = text[left:right]
    lead = len(excerpt) - len(excerpt.lstrip("\n"))
    return excerpt.strip("\n"), start - left - lead, end - left - lead
