"""The one interface every answerer implements, and the draft it returns.

An answerer gets the question and the retrieved passages, and writes text whose sentences end in
``[n]`` markers; ``n`` is a citation number, and each ``Citation`` says which passage and which
sentence of it supports the text. Abstention (the calibrated "not covered" decision) happens before
an answerer is called; an answerer may still abstain on its own (an LLM saying it cannot answer).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from assistant.answer import Citation, Passage
from assistant.answering.evidence import ScoredSentence


@dataclass
class Draft:
    text: str
    citations: list[Citation]
    abstained: bool = False
    notes: list[str] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)  # cited passages beyond those given (list items, ...)
    removed: list[dict[str, str]] = field(default_factory=list)  # generated sentences the verifier removed
    check_seconds: float = field(default=0.0, compare=False)  # time the verifier took (a generated draft)


class Answerer(Protocol):
    """``evidence`` is every sentence of ``passages`` scored against the question (best first); an
    answerer may quote from it (extractive) or ignore it (an LLM reads the passages themselves).
    ``kind`` is the answer shape the question asks for (``assistant.reading.kind``)."""

    name: str

    def answer(
        self, question: str, passages: list[Passage], evidence: list[ScoredSentence] | None = None,
        kind: str = "factoid",
    ) -> Draft: ...

    def stream(
        self, question: str, passages: list[Passage], evidence: list[ScoredSentence] | None = None,
        kind: str = "factoid",
    ) -> Iterator[str | Draft]:
        """Text pieces as they are produced, then the final (checked) ``Draft``."""
        ...
