"""The source viewer: a citation's PDF page with the quote marked, or its paragraph in the document.

A card's button asks for ``"<turn>:<number>"`` of the open conversation; the answer is a dialog
drawn over the page (``#source-viewer``), closed by its button or Escape. The page image is sent
inline (a data URL), so no server path appears on the page.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable, Sequence
from html import escape
from pathlib import Path

from assistant.answer import Citation, Passage, page_words
from ui.cards import highlighted_passage, is_pdf_page
from ui.pages import PageRenderer, text_context

log = logging.getLogger("ui.viewer")


def _dialog(title: str, body: str, quote: str) -> str:
    # the timestamp makes every opening a new value, so asking for the same source twice reopens it
    return (
        f'<div class="viewer-backdrop" data-opened="{time.time_ns()}"><div class="viewer" role="dialog" '
        f'aria-modal="true" aria-label="{escape(title)}"><div class="viewer-head"><span class="viewer-title">'
        f'{escape(title)}</span><button type="button" class="viewer-close" aria-label="Close">Close ✕</button>'
        f'</div><div class="viewer-body">{body}<aside class="viewer-quote"><div class="viewer-label">'
        f"Quoted in the answer</div><blockquote>{escape(quote)}</blockquote></aside></div></div></div>"
    )


def page_dialog(citation: Citation, images: Sequence[tuple[int, bytes, Sequence[float] | None]], pages: int) -> str:
    """The page images (page number, PNG, mark): one, or two for a sentence that runs over a page break.

    A mark (left, top, right, bottom as fractions) lets the page script scroll to the first one.
    """
    found = all(mark is not None for _, _, mark in images)
    note = ("The quoted sentence is marked in yellow." if found
            else "The sentence could not be located in the page's layout; compare it with the quote.")
    if len(images) > 1 and found:
        note = "The quoted sentence runs over the page break: its lines are marked in yellow on both pages."
    body = '<div class="viewer-pages">' + "".join(
        f'<figure class="viewer-page" data-mark="{",".join(f"{v:.4f}" for v in mark or [])}"><div class="page-scroll">'
        f'<img alt="Page {page} of {escape(citation.title)}" src="data:image/png;base64,'
        f'{base64.b64encode(png).decode("ascii")}"></div><figcaption>'
        f'{escape(note if n == len(images) - 1 else f"Page {page}")}</figcaption></figure>'
        for n, (page, png, mark) in enumerate(images)
    ) + "</div>"
    title = f"{citation.title} — {page_words(int(citation.page), citation.page_break)} of {pages} " \
            f"({Path(citation.source).name})"
    return _dialog(title, body, citation.sentence)


def text_dialog(citation: Citation, excerpt: str, span: tuple[int, int] | None) -> str:
    body = f'<div class="viewer-text">{highlighted_passage(excerpt, span)}</div>'
    return _dialog(f"{citation.title} ({Path(citation.source).name})", body, citation.sentence)


def error_dialog(message: str, citation: Citation | None = None) -> str:
    """A source that cannot be shown: under its own title, with its quote, when the citation is known."""
    title = f"{citation.title} ({Path(citation.source).name})" if citation else "Source"
    body = f'<div class="viewer-text viewer-missing">{escape(message)}</div>'
    return _dialog(title, body, citation.sentence if citation else "")


class SourceViewer:
    """Builds the viewer for a citation of the open conversation."""

    def __init__(self, renderer: PageRenderer, live_documents: Callable[[], set[str]] | None = None) -> None:
        self.renderer = renderer
        self.live_documents = live_documents  # ids of the documents in the index now

    def _deleted(self, citation: Citation) -> bool:
        if self.live_documents is None:
            return False
        try:
            return citation.doc_id not in self.live_documents()
        except Exception:
            log.exception("listing documents for the source viewer failed")
            return False

    def show(self, key: str | None, session) -> str:
        try:
            turn_no, number = (int(x) for x in (key or "").split(":")[:2])
            turn = session.conversation.turns[turn_no - 1]
            citation = turn.answer.citation(number)
        except (ValueError, IndexError, AttributeError, TypeError):
            citation = None
        if citation is None:
            return error_dialog("That source is no longer in this conversation.")
        from ingest.pipeline import source_path

        if self._deleted(citation):
            return error_dialog(f"“{citation.title}” has been deleted from the documents since this answer, so "
                                "its page can no longer be shown. The quote beside is what the answer cited.",
                                citation)
        path = source_path(citation.source)
        if not path.is_file():
            return error_dialog(f"The file {Path(citation.source).name} is no longer available, so only the "
                                "passage in the sources panel can be shown.", citation)
        try:
            if is_pdf_page(citation.source, citation.page):
                return self._pages(path, citation)
            passage = next((p for p in turn.answer.passages if p.id == citation.passage_id), None)
            excerpt, span = self._context(path, citation, passage)
            return text_dialog(citation, excerpt, span)
        except Exception:
            log.exception("showing %s of %s failed", key, citation.source)
            return error_dialog(f"{Path(citation.source).name} could not be shown (the details are in the server log).",
                                citation)

    def _pages(self, path: Path, citation: Citation) -> str:
        """The cited page with the sentence marked; a sentence over a page break, its part on each page."""
        page, cut = int(citation.page), citation.page_break
        parts = [(page, citation.sentence)]
        if cut:
            parts = [(page, citation.sentence[:cut]), (page + 1, citation.sentence[cut:])]
        images = [self.renderer.render(path, n, part, citation.passage if n == page else "") for n, part in parts]
        return page_dialog(citation, [(i.page, i.path.read_bytes(), i.mark) for i in images], images[0].pages)

    @staticmethod
    def _context(path: Path, citation: Citation, passage: Passage | None) -> tuple[str, tuple[int, int] | None]:
        """The paragraph around the passage in the document's text, the quoted sentence located in it."""
        from ingest.loaders import load

        doc = load(path)
        page = next((p for p in doc.pages if p.number == citation.page), doc.pages[0] if doc.pages else None)
        text = page.text if page else ""
        start = -1
        if passage is not None and text[passage.char_start:passage.char_end] == citation.passage:
            start = passage.char_start
        if start < 0:
            start = text.find(citation.passage)
        if start < 0:  # the file changed since it was ingested: the passage alone
            return citation.passage, tuple(citation.span)
        a, b = start + citation.span[0], start + citation.span[1]
        excerpt, a, b = text_context(text, a, b)
        return excerpt, (a, b)
