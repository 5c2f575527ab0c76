"""A question's separate asks: two questions in one message, or the sides of a comparison.

Classes of language, not lists of questions:
- **two asks**: a second wh-clause after "and", "but", "also", ";" or a second question mark
  ("Where did the panel first meet, and who opened the meeting?"); a bare wh-word after "and" borrows
  the rest of the first ask ("When did it meet, and where?" -> "Where did it meet?"); "and how many"
  after a "how many" ask likewise;
- **comparisons**: "compare A and/with/to B", "A vs/versus B", "how did/does A differ from B",
  "difference(s) between A and B", "A compared with B", "which came first, A or B", "is the same X
  given in A and B", "did A and B agree/differ". Each side is asked as its own question: the
  question with the pair replaced by one side, the comparison words removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WH = r"(?:who|whom|whose|what|when|where|why|which|how)"
#: ", and who ...", "; when ...", " and also where ...": a second ask starts at the wh-word. A comma alone
#: is not enough (", which was launched in June" is a relative clause), nor is a space ("the person who").
_SECOND_ASK = re.compile(rf"(?:\s*;\s*|\s*,?\s+(?:and|but|plus)\s+(?:also\s+)?|\s*,?\s+also\s+)(?={_WH}\b)", re.I)
_AUX = r"(?:did|does|do|is|was|were|are|has|have|had|can|could|would|will|should)"
_BARE_WH = re.compile(rf"^\s*({_WH}(?:\s+(?:many|much|long|often|exactly|precisely))?)\s*[?.!]*\s*$", re.I)
_INVERTED = re.compile(rf"^\s*{_WH}(?:\s+(?:many|much|long|often|exactly|precisely)(?:\s+\w+)?)?\s+{_AUX}\b", re.I)
_LEAD_WH = re.compile(rf"^\s*{_WH}(?:\s+(?:many|much|long|often|exactly|precisely))?\b", re.I)

_SIDE = r"(.+?)"
_COMPARISONS = [
    # "compare A and B (on X)", "comparison of A and B", "contrast A with B"
    (re.compile(rf"^\s*(?:please\s+)?(?:can you\s+)?(?:compare|contrast|comparison (?:of|between))\s+{_SIDE}"
                rf"\s+(?:and|with|to|versus|vs\.?)\s+{_SIDE}(?:\s*[,:;]\s*(.+?))?\s*[?.!]*\s*$", re.I), "pair"),
    # "how did A differ from B", "how does A compare with B"
    (re.compile(rf"^\s*(?:so\s+|and\s+)?how\s+(?:did|does|do|was|is|were|are)\s+{_SIDE}\s+"
                rf"(?:differ|compare|contrast|stack up)\s+(?:from|with|to|against)\s+{_SIDE}\s*[?.!]*\s*$", re.I),
     "pair"),
    # "difference(s) between A and B"
    (re.compile(rf"\bdifferen(?:ce|ces|t)\s+between\s+{_SIDE}\s+and\s+{_SIDE}\s*[?.!]*\s*$", re.I), "pair"),
    # "which came first, A or B", "what happened first: A or B?", "A or B - which was earlier?"
    (re.compile(rf"^\s*(?:which|what)\s+(?:came|happened|was|took place|one was)\s+(?:first|earlier)\s*[,:;-]?\s*"
                rf"{_SIDE}\s+or\s+{_SIDE}\s*[?.!]*\s*$", re.I), "first"),
    (re.compile(rf"^\s*{_SIDE}\s+or\s+{_SIDE}\s*[,:;-]+\s*which\s+(?:came|happened|was)\s+(?:first|earlier)\b.*$",
                re.I), "first"),
    # "A vs B on X", "A versus B"
    (re.compile(rf"^\s*{_SIDE}\s+(?:vs\.?|versus)\s+{_SIDE}(?:\s*[,:;]\s*(.+?))?\s*[?.!]*\s*$", re.I), "pair"),
    # "A compared with B"
    (re.compile(rf"^\s*{_SIDE}\s+compared\s+(?:with|to)\s+{_SIDE}\s*[?.!]*\s*$", re.I), "pair"),
]
#: "the same X in A and B", "did A and B agree": the pair sits inside a question that stays whole.
_INNER_PAIR = re.compile(
    r"\b(?:(?:the\s+)?same\b.*?\b(?:in|from|by|at)\s+(.+?)\s+and\s+(?:in\s+|from\s+|by\s+|at\s+)?(.+?)\s*[?.!]*\s*$|"
    r"(?:did|do|does)\s+(.+?)\s+and\s+(.+?)\s+(?:agree|disagree|differ)\b)",
    re.I,
)
_TRAILING_TOPIC = re.compile(r"\s+(?:on|about|regarding|concerning|in terms of|when it comes to)\s+.+$", re.I)
_ONE = re.compile(r"^((?:the\s+)?\w+\s+)one$", re.I)
_LEAD_FILLER = re.compile(r"^\s*(?:what|how)\s+(?:did|does|do|was|were|is|are)\s+", re.I)


@dataclass(frozen=True)
class Ask:
    """One ask of a question: its own text and the label it is answered under."""

    text: str
    label: str


@dataclass(frozen=True)
class Comparison:
    sides: tuple[Ask, ...]
    which_first: bool = False  # "which came first": answered from the dates the documents give


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip(" ,;:-")
    return text[0].upper() + text[1:] if text else text


def _question(text: str) -> str:
    text = _tidy(text).rstrip("?.! ")
    return f"{text}?" if text else text


def _label(text: str, words: int = 8) -> str:
    parts = text.rstrip("?.! ").split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


def split_asks(question: str) -> list[Ask]:
    """Two or more asks in one message, each as its own question; one ask: an empty list."""
    pieces = [p for p in re.split(r"\?\s+(?=\S)", question.strip()) if p.strip()]
    asks: list[str] = []
    for piece in pieces:
        asks.extend(_split_piece(piece))
    if len(asks) < 2:
        return []
    return [Ask(_question(a), _label(_question(a))) for a in asks]


def _split_piece(piece: str) -> list[str]:
    cuts = [m for m in _SECOND_ASK.finditer(piece) if m.start() > 0]
    if not cuts:
        return [piece]
    out: list[str] = []
    start = 0
    for m in cuts:
        head = piece[start:m.start()]
        if len(re.findall(r"[^\W_]+", head)) < 2:  # "how and why" / "who, when": not an ask of its own
            continue
        out.append(head)
        start = m.end()
    tail = piece[start:]
    if not out:
        return [piece]
    first = out[0]
    bare = _BARE_WH.match(tail)
    if bare and _INVERTED.match(first):  # "When did it meet, and where?" -> "where did it meet"
        tail = bare.group(1) + _LEAD_WH.sub("", first, count=1)
    out.append(tail)  # a bare "and why?" after "Who said ...": read as a follow-up of the first ask
    return out


def comparison(question: str) -> Comparison | None:
    """The sides of a comparison, each asked as its own question; None when it compares nothing."""
    q = question.strip()
    for pattern, how in _COMPARISONS:
        m = pattern.search(q)
        if not m:
            continue
        a, b = m.group(1), m.group(2)
        topic = m.group(3) if m.lastindex and m.lastindex >= 3 else None
        a, b = _tidy(_LEAD_FILLER.sub("", a)), _tidy(b)
        trailing = _TRAILING_TOPIC.search(b)
        if trailing and not topic:  # "Gates vs Ma on trust": the topic is both sides'
            b, topic = b[: trailing.start()].strip(), trailing.group(0).strip()
        one = _ONE.match(b)
        if one and a.split():  # "the first meeting ... the second one": the noun is the first side's
            b = one.group(1) + a.split()[-1]
        if not a or not b or len(a) > 120 or len(b) > 120:
            continue
        asks = tuple(Ask(_question(f"{side} {topic}" if topic else side), _label(side, 6)) for side in (a, b))
        return Comparison(asks, which_first=how == "first")
    m = _INNER_PAIR.search(q)
    if m:
        a, b = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        span = (m.start(1), m.end(2)) if m.group(1) else (m.start(3), m.end(4))
        sides = []
        for side in (a, b):
            text = q[: span[0]] + side + q[span[1]:]
            asked = re.sub(r"\b(?:the\s+)?same\b\s*", "the ", text, count=1)
            sides.append(Ask(_question(asked), _label(_tidy(side), 6)))
        return Comparison(tuple(sides))
    return None
