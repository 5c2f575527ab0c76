"""Running heads, running feet and page numbers found by where they sit on the page, and taken out.

pypdf's text has no positions, so a page number lands inside a sentence ("… a blind text like this
gives 2 you information …"). The same extraction pass records each text run's height on the page
(``visitor_text``); from those:

- a **page number** is a line of its own that is a bare number (``7``, ``- 7 -``, ``Page 7``,
  ``7 of 12``, ``vii``) at the very top or bottom of the page, set apart from the text by a gap
  wider than the page's usual line spacing;
- a **running head or foot** is the top-most or bottom-most line repeated, digits aside, at the same
  height on at least half the pages of its block (and on two at least).

The pages judged together are fixed blocks of ``MARGIN_BLOCK`` pages (a short tail joins the block
before it), never the window of pages read at once: a page's text must not depend on
``PANEL_PAGE_WINDOW``, or a resumed ingest would store other passages than a run in one go.

Only whole lines are removed, each the first (head) or last (foot) line of its text equal to the
found line. The first heading of page 1 (a short top line set larger than the text) is also found
here: a PDF without a metadata title takes it as its title.
"""

from __future__ import annotations

import itertools
import math
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

PAGE_NUMBER = re.compile(
    r"^(?:page\s+|p\.\s*)?[-–—]?\s*(?:\d{1,4}|[ivxlcdm]{1,7})\s*[-–—]?(?:\s*(?:of|/)\s*\d{1,4})?$", re.IGNORECASE
)
#: Headings that open a document yet do not name it.
NOT_TITLES = {"contents", "table of contents", "abstract", "preface", "foreword", "summary", "introduction"}
SAME_HEIGHT = 2.0  # points: runs this close vertically are one line
MIN_GAP_FACTOR = 1.5  # a page number sits further from the text than the text's own line spacing
MARGIN_BLOCK = 10  # pages judged together for running heads and feet; divides the default page window


@dataclass
class Line:
    y: float  # height on the page (points, from the bottom)
    text: str
    size: float  # the largest effective font size on the line


@dataclass
class PageLayout:
    number: int
    text: str  # pypdf's text of the page, as extracted
    lines: list[Line] = field(default_factory=list)  # top to bottom

    def margin_lines(self) -> tuple[Line | None, Line | None]:
        return (self.lines[0], self.lines[-1]) if self.lines else (None, None)


def extract_layout(page, number: int) -> PageLayout:
    """One pypdf page's text and its lines with their heights, in one extraction pass."""
    runs: list[tuple[float, str, float]] = []

    def visit(text: str, cm: Sequence[float], tm: Sequence[float], _font, size: float) -> None:
        if not text.strip():
            return
        a, b, c, d = (tm[0] * cm[0] + tm[1] * cm[2], tm[0] * cm[1] + tm[1] * cm[3],
                      tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3])
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = math.sqrt(abs(a * d - b * c)) or 1.0
        runs.append((y, text, float(size or 0) * scale))

    text = page.extract_text(visitor_text=visit) or ""
    return PageLayout(number, text, _group_lines(runs))


def _group_lines(runs: list[tuple[float, str, float]]) -> list[Line]:
    lines: list[Line] = []
    for y, text, size in sorted(runs, key=lambda r: -r[0]):
        if lines and abs(lines[-1].y - y) <= SAME_HEIGHT:
            lines[-1].text += " " + text
            lines[-1].size = max(lines[-1].size, size)
        else:
            lines.append(Line(y, text, size))
    for line in lines:
        line.text = " ".join(line.text.split())
    return [line for line in lines if line.text]


def _spacing(lines: list[Line]) -> float:
    gaps = [a.y - b.y for a, b in itertools.pairwise(lines) if a.y - b.y > SAME_HEIGHT]
    return statistics.median(gaps) if gaps else 0.0


def _set_apart(lines: list[Line], index: int) -> bool:
    """The line at ``index`` (0: top, -1: bottom) is further from its neighbour than lines usually are."""
    if len(lines) < 2:
        return True
    neighbour = lines[1] if index == 0 else lines[-2]
    gap = abs(lines[index].y - neighbour.y)
    return gap >= MIN_GAP_FACTOR * _spacing(lines)


def _shape(text: str) -> str:
    return re.sub(r"\d+", "#", text.lower())


def margin_blocks(count: int) -> list[range]:
    """The 0-based page positions judged together, covering ``0..count`` in order."""
    starts = list(range(0, count, MARGIN_BLOCK))
    if len(starts) > 1 and count - starts[-1] < MARGIN_BLOCK // 2:
        starts.pop()  # a tail of a few pages has too few to show what repeats: it joins the block before
    return [range(a, b) for a, b in zip(starts, [*starts[1:], count], strict=True)]


def find_margins(layouts: Sequence[PageLayout]) -> dict[int, list[tuple[str, str]]]:
    """Per page number: the (``"head"`` | ``"foot"``, line text) to remove."""
    found: dict[int, list[tuple[str, str]]] = {p.number: [] for p in layouts}
    repeated: Counter[tuple[str, int, str]] = Counter()
    for p in layouts:
        for where, line in zip(("head", "foot"), p.margin_lines(), strict=True):
            if line is not None:
                repeated[(where, round(line.y), _shape(line.text))] += 1
    enough = max(2, math.ceil(len(layouts) / 2))
    for p in layouts:
        for where, index in (("head", 0), ("foot", -1)):
            if len(p.lines) < 2:
                continue
            line = p.lines[index]
            key = (where, round(line.y), _shape(line.text))
            number = PAGE_NUMBER.match(line.text) and _set_apart(p.lines, index)
            if number or (len(layouts) >= 2 and repeated[key] >= enough):
                found[p.number].append((where, line.text))
        if len(found[p.number]) == 2 and found[p.number][0][1] == found[p.number][1][1] and len(p.lines) < 3:
            found[p.number].pop()  # a page of one line twice over: keep it
    return found


def _norm(line: str) -> str:
    return " ".join(line.split())


def strip_margins(text: str, removals: Sequence[tuple[str, str]]) -> tuple[str, list[str]]:
    """``text`` without the lines ``find_margins`` named: a head's first match, a foot's last one."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    removed: list[str] = []
    for where, target in removals:
        want = _norm(target)
        order = range(len(lines)) if where == "head" else range(len(lines) - 1, -1, -1)
        hit = next((i for i in order if lines[i] is not None and _norm(lines[i]) == want), None)
        if hit is None:  # pypdf split or merged the line differently: leave the text as it is
            continue
        removed.append(lines[hit].strip())
        lines[hit] = None  # type: ignore[call-overload]
    return "\n".join(line for line in lines if line is not None), removed


def first_heading(layout: PageLayout) -> str:
    """Page 1's top line when it reads as a heading: short, set larger than the text, not a number."""
    lines = [line for line in layout.lines if not PAGE_NUMBER.match(line.text)]
    if len(lines) < 2:
        return ""
    top = lines[0]
    body = statistics.median(line.size for line in lines)
    words = top.text.split()
    if not (1 <= len(words) <= 14 and len(top.text) <= 100) or top.text.rstrip()[-1:] in ".,;:":
        return ""
    if top.text.lower().strip() in NOT_TITLES or not re.search(r"[A-Za-z]", top.text):
        return ""
    return top.text if top.size >= 1.15 * body else ""


# --- a sentence over a page break ------------------------------------------------------------------

_ENDS_SENTENCE = re.compile(r"[.!?:;…][\"'”’)\]]*\s*$")
_FIRST_END = re.compile(r"[.!?…][\"'”’)\]]*(?=\s|$)")
MAX_CARRIED = 600  # characters of the next page carried back: the rest of one sentence, not a paragraph


def carried_over(text: str, following: str) -> int:
    """How many characters at the start of ``following`` (the next page's cleaned text) finish the
    sentence ``text`` (a page's cleaned text) leaves open; 0 when it ends a sentence or none runs on.

    A sentence runs on when the page ends without a sentence mark and the next page opens in lower
    case; its rest is the next page's text up to the first sentence end, within its first paragraph.
    A page that is all one unfinished sentence stays where it is.
    """
    if not text.strip() or _ENDS_SENTENCE.search(text) or not following[:1].islower():
        return 0
    paragraph = following.split("\n", 1)[0][:MAX_CARRIED]
    end = _FIRST_END.search(paragraph)
    if end is None or not following[end.end():].strip():
        return 0
    return end.end()


def joined(text: str, following: str, carried: int) -> tuple[str, int]:
    """``text`` with the first ``carried`` characters of ``following`` after it, and the offset in the
    result where the next page's text begins (a word hyphenated over the break is made whole)."""
    text = text.rstrip()
    if text.endswith("-") and text[-2:-1].isalpha():
        text = text[:-1]
        return text + following[:carried], len(text)
    return f"{text} {following[:carried]}", len(text) + 1
