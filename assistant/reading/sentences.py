"""Sentence spans in a text, without a downloaded tokenizer model.

Shared by ingestion (chunks, stored sentences) and answering (checking generated text), so it lives
in the bottom layer.

Returned as (start, end) character offsets so chunks and answer quotes point at the exact text.
A line break always ends a sentence: in our normalised texts it separates paragraphs, list items
and headings, none of which should be glued to the next line.
"""

from __future__ import annotations

import re

# Words after which a full stop does not end the sentence.
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "gen", "sen", "rep", "gov", "no", "vs",
    "etc", "inc", "ltd", "co", "corp", "dept", "fig", "approx", "est", "e.g", "i.e", "u.s", "u.k",
    "u.n", "op", "cit", "al", "vol", "pp", "art", "para", "jan", "feb", "mar", "apr", "jun",
    "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    # German
    "vgl", "bzw", "ca", "evtl", "ggf", "inkl", "usw", "nr", "abs", "kap", "hr", "fr", "jh", "bspw", "sog",
}
# A day number before a month is an ordinal, not a sentence end ("am 3. Oktober", "the 3. March").
_MONTHS = re.compile(
    r"(?:Jan|Feb|Mär|Mar|Apr|Mai|May|Jun|Jul|Aug|Sep|Okt|Oct|Nov|Dez|Dec)[a-zä]*\b"
)
_CLOSERS = "\"'”’)]»“"  # “ closes a German quotation („...“); in English it follows a space, never a stop
_BOUNDARY = re.compile(rf"[.!?…]+[{re.escape(_CLOSERS)}]*(?=\s+\S)")
_NEXT_START = re.compile(r"\s+([\"“‘'(\[«]*)(\S)")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans of the sentences of ``text[start:end]``, whitespace trimmed, in order."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    line_start = start
    for line_end in _line_ends(text, start, end):
        spans.extend(_split_line(text, line_start, line_end))
        line_start = line_end + 1
    return spans


def _line_ends(text: str, start: int, end: int):
    pos = text.find("\n", start, end)
    while pos != -1:
        yield pos
        pos = text.find("\n", pos + 1, end)
    yield end


def _split_line(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    sent_start = start
    for match in _BOUNDARY.finditer(text, start, end):
        cut = match.end()
        if not _is_boundary(text, match.start(), cut, end):
            continue
        spans.append((sent_start, cut))
        sent_start = cut
    spans.append((sent_start, end))
    return [s for s in (_trim(text, a, b) for a, b in spans) if s]


def _is_boundary(text: str, punct_start: int, cut: int, end: int) -> bool:
    nxt = _NEXT_START.match(text, cut, end)
    if not nxt:
        return False
    first = nxt.group(2)
    if not (first.isupper() or first.isdigit() or nxt.group(1)):
        return False  # "e.g. the", "approx. 20" continue the sentence
    if text[punct_start] != ".":
        return True
    word = re.search(r"([\w.]+)$", text[max(0, punct_start - 12) : punct_start])
    token = word.group(1).lower() if word else ""
    if token in _ABBREVIATIONS or token.rstrip(".") in _ABBREVIATIONS:
        return False
    if len(token) == 1 and token.isalpha():
        return False  # an initial: "Marites N. Sison"
    if token.isdigit() and punct_start - len(token) <= _line_start(text, punct_start):
        return False  # a list number at the start of a line: "1. Leadership"
    if token.isdigit() and len(token) <= 2 and _MONTHS.match(text, nxt.start(2)):
        return False
    return True


def _line_start(text: str, pos: int) -> int:
    nl = text.rfind("\n", 0, pos)
    start = nl + 1
    while start < pos and text[start] in " \t•*-":
        start += 1
    return start


def _trim(text: str, a: int, b: int) -> tuple[int, int] | None:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return (a, b) if a < b else None
