"""One answer from several: the asks of a two-part question or the sides of a comparison, each under
its label, with their citations numbered once across the whole answer; and the status they add up to.

A part the documents don't answer keeps its own "The documents don't say ..." line: it never sinks
the part they do answer. The whole is ``answered`` when every part is, ``not_covered`` when none is
covered, else ``uncertain``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from assistant.answer import ANSWERED, NOT_COVERED, NOT_COVERED_STATUS, UNCERTAIN, Answer, Citation, Passage

_MARKER = re.compile(r"\[(\d+)\]")


@dataclass
class Section:
    label: str
    answer: Answer
    note: str = ""  # shown after the label: the document's date, for a comparison


def _escape(label: str) -> str:
    return label.replace("*", "\\*")


def combine(sections: list[Section]) -> tuple[str, list[Citation], list[Passage]]:
    """The sections' texts under bold labels, markers renumbered; citations and passages merged."""
    citations: list[Citation] = []
    numbers: dict[tuple[str, tuple[int, int]], int] = {}
    passages: dict[str, Passage] = {}
    blocks = []
    for section in sections:
        answer = section.answer
        mapping: dict[int, int] = {}
        for c in answer.citations:
            key = (c.passage_id, tuple(c.span))
            if key not in numbers:
                numbers[key] = len(citations) + 1
                citations.append(replace(c, number=numbers[key]))
            mapping[c.number] = numbers[key]
        for p in answer.passages:
            passages.setdefault(p.id, p)
        body = _renumber(answer.text, mapping)
        if answer.status == NOT_COVERED_STATUS:
            body = unanswered(answer)
        head = f"**{_escape(section.label)}**" + (f" ({section.note})" if section.note else "")
        blocks.append(f"{head}\n\n{body}")
    return "\n\n".join(blocks), citations, list(passages.values())


def _renumber(text: str, mapping: dict[int, int]) -> str:
    return _MARKER.sub(lambda m: f"[{mapping.get(int(m.group(1)), int(m.group(1)))}]", text)


def unanswered(answer: Answer) -> str:
    """A part's own line when the documents don't answer it: what they don't say, if known."""
    reason = answer.abstention_reason or ""
    return f"The documents don't say. {reason}".strip() if reason else "The documents don't say."


def status_of(answers: list[Answer]) -> str:
    statuses = {a.status for a in answers}
    if statuses == {ANSWERED}:
        return ANSWERED
    if statuses == {NOT_COVERED_STATUS}:
        return NOT_COVERED_STATUS
    return UNCERTAIN


def not_covered_text(reason: str) -> str:
    return f"{NOT_COVERED} {reason}".strip()
