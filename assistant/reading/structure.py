"""The layout roles of a page's sentences: heading, list lead-in, list item, or running text.

Why: an answer must never quote a heading as if it said something, and a sentence that announces a
list ("... the following nine enablers:") is only useful with the items it announces. Ingestion
stores these roles beside each sentence (``annotate``), so answering can rebuild whole units
(a lead-in with its items, an item with its continuation) without reading the page again.

Rules, over the normalised page text where a line break separates paragraphs, items and headings:
- ``item``: the first sentence of a line that starts with a bullet ("•", "-", "*") or a number
  ("1.", "2)", "(a)"); the line's further sentences are ``text`` in the same paragraph;
- ``heading``: a line that is one sentence, has no sentence-ending punctuation, at most
  ``HEADING_MAX_WORDS`` words, and is followed by more text;
- ``lead``: a sentence that ends in a colon (it announces what follows);
- ``text``: everything else.
``section`` is the nearest heading above the sentence; ``para`` numbers the lines of the page, so
sentences of one paragraph or one list item share it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

ROLES = ("heading", "lead", "item", "text")
HEADING_MAX_WORDS = 12

_ITEM = re.compile(r"^\s*(?:[•◦▪‣●\-*–]\s+|\(?\d{1,2}[.)]\s+|\(?[a-z][.)]\s+)")
_ENDS_SENTENCE = re.compile(r"[.!?…;,]['\"”’)\]]*$")
_ENDS_LEAD = re.compile(r":['\"”’)\]]*$")


def is_item_start(text: str) -> bool:
    return bool(_ITEM.match(text))


def strip_item_marker(text: str) -> str:
    """``text`` without its leading bullet or number ("1. Leadership" -> "Leadership")."""
    return _ITEM.sub("", text, count=1)


def annotate(text: str, spans: Sequence[tuple[int, int]]) -> list[dict[str, str | int]]:
    """``{"role", "section", "para"}`` for each sentence span of ``text`` (same order)."""
    lines = _line_numbers(text, spans)
    per_line: dict[int, int] = {}
    for line in lines:
        per_line[line] = per_line.get(line, 0) + 1
    out: list[dict[str, str | int]] = []
    section = ""
    for i, ((start, end), line) in enumerate(zip(spans, lines, strict=True)):
        sentence = text[start:end]
        first_on_line = i == 0 or lines[i - 1] != line
        followed = i + 1 < len(spans)
        if first_on_line and is_item_start(sentence):
            role = "item"
        elif (
            first_on_line and per_line[line] == 1 and followed and not _ENDS_SENTENCE.search(sentence)
            and not _ENDS_LEAD.search(sentence) and len(sentence.split()) <= HEADING_MAX_WORDS
        ):
            role = "heading"
        elif _ENDS_LEAD.search(sentence):
            role = "lead"
        else:
            role = "text"
        if role == "heading":
            section = sentence
        out.append({"role": role, "section": section if role != "heading" else "", "para": line})
    return out


def _line_numbers(text: str, spans: Sequence[tuple[int, int]]) -> list[int]:
    """Index of the line each span is on (the splitter cuts at every line break, so a span holds none)."""
    numbers: list[int] = []
    line, pos = 0, 0
    for start, end in spans:
        if numbers and "\n" in text[pos:start]:
            line += 1
        numbers.append(line)
        pos = end
    return numbers
