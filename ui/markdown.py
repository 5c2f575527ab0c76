"""The small Markdown of answer texts, as safe HTML: paragraphs, bulleted and numbered lists, bold.

An answer's text is Markdown (a lead-in sentence with "- item [3]" lines; a summary grouped under a
bold document title), yet most of it is quoted document text. So only what answers use is rendered
— everything is escaped first, then ``**bold**`` lines and list lines become tags; single ``*``,
``_``, links and raw HTML stay as written. The output has no line breaks at all, so a chat bubble
that holds it stays one HTML block (a blank line would let the chat's own Markdown loose on it).
"""

from __future__ import annotations

import re
from html import escape

BULLET = re.compile(r"^\s*[-*•]\s+(.*)$")
NUMBERED = re.compile(r"^\s*(\d{1,3})[.)]\s+(.*)$")
HEADING = re.compile(r"^\s*#{1,6}\s+(.*)$")
BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")


def inline(text: str) -> str:
    """One line: escaped, ``**bold**`` as ``<strong>``."""
    return BOLD.sub(r"<strong>\1</strong>", escape(text.strip()))


def markdown_html(text: str) -> str:
    """``text`` as HTML blocks (``<p>``, ``<ul>``, ``<ol>``), every character of it escaped."""
    blocks: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    list_tag = ""

    def close_paragraph() -> None:
        if paragraph:
            blocks.append("<p>" + " ".join(paragraph) + "</p>")
            paragraph.clear()

    def close_list() -> None:
        nonlocal list_tag
        if items:
            blocks.append(f"<{list_tag}>" + "".join(f"<li>{i}</li>" for i in items) + f"</{list_tag}>")
            items.clear()
        list_tag = ""

    for line in (text or "").split("\n"):
        bullet, numbered, heading = BULLET.match(line), NUMBERED.match(line), HEADING.match(line)
        if not line.strip():
            close_paragraph()
            close_list()
        elif bullet or numbered:
            close_paragraph()
            tag = "ul" if bullet else "ol"
            if list_tag and list_tag != tag:
                close_list()
            list_tag = tag
            items.append(inline(bullet.group(1) if bullet else numbered.group(2)))
        elif heading:
            close_paragraph()
            close_list()
            blocks.append(f'<p class="md-head"><strong>{inline(heading.group(1))}</strong></p>')
        elif items and line[:1] in (" ", "\t"):  # a list item's continuation line
            items[-1] += " " + inline(line)
        else:
            close_list()
            stripped = line.strip()
            if BOLD.fullmatch(stripped):  # a line of its own in bold: a group's title
                close_paragraph()
                blocks.append(f'<p class="md-head">{inline(stripped)}</p>')
            else:
                paragraph.append(inline(line))
    close_paragraph()
    close_list()
    return "".join(blocks)
