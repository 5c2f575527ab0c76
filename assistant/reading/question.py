"""The question, read once: every stage after this receives the ``Question`` and reads nothing again.

Reading removes markup (a question pasted from a web page, or with tags typed into it, is read as
its words), finds the language, the kind and the expected type (``kind``), the topic, the names, the
key terms, the separate asks (``parts``: two questions in one message, or the sides of a comparison,
each read as a ``Question`` of its own) and the follow-up resolution (``follow_up``). Vectors come
from the embedding model, a stage below this one's callers: the service adds them with ``with_vectors``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from assistant.reading.follow_up import names, retrieval_query
from assistant.reading.kind import QuestionForm, classify
from assistant.reading.language import question_language
from assistant.reading.parts import Comparison, comparison, split_asks
from assistant.reading.text import query_terms, stem, words

_SCRIPT = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_TAG = re.compile(r"</?[A-Za-z][\w:-]*(?:\s+[^<>]*?)?/?>|<!--.*?-->", re.S)
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_MARKS = re.compile(r"(?<!\w)(?:\*\*|__|\*|_|`+|~~)(?=\S)|(?<=\S)(?:\*\*|__|\*|_|`+|~~)(?!\w)")
_SPACE = re.compile(r"\s+")
_BEFORE_MARK = re.compile(r"\s+([?!,;:.])(?=\s|$)")  # where a removed tag left a space: "panel ?"


def clean(text: str) -> str:
    """The question as words: HTML tags, scripts, entities and Markdown emphasis and links removed."""
    text = _SCRIPT.sub(" ", text)
    text = _TAG.sub(" ", text)
    text = html.unescape(text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_MARKS.sub("", text)
    return _BEFORE_MARK.sub(r"\1", _SPACE.sub(" ", text)).strip()


@dataclass(frozen=True)
class Vectors:
    """The embeddings a question is searched and scored with."""

    query: np.ndarray  # of the retrieval query (the follow-up resolution, if any)
    asked: np.ndarray  # what sentences are ranked by: the question's own words, names weighed down


@dataclass(frozen=True)
class Question:
    raw: str  # as typed
    text: str  # markup removed
    form: QuestionForm  # kind, expected type, topic
    asked: str  # what is searched and scored: the topic ("Summarize X" -> X) or the text
    query: str  # the retrieval query: ``asked``, or for a follow-up, with the context it points back to
    names: tuple[str, ...]  # the names ``asked`` gives
    query_names: tuple[str, ...]  # ... and those the query carries over from earlier turns
    terms: tuple[str, ...]  # key terms of ``asked``, in order
    language: str | None  # ISO 639-1 code when the detector is sure, else None
    asks: tuple[Question, ...] = ()  # two or more asks in one message, each read on its own
    labels: tuple[str, ...] = ()  # ... the label each is answered under
    sides: tuple[Question, ...] = ()  # the sides of a comparison
    which_first: bool = False  # a comparison asking which came first
    vectors: Vectors | None = field(default=None, compare=False)

    @property
    def kind(self) -> str:
        if self.sides:
            return "comparison"
        return "multipart" if self.asks else self.form.kind

    @property
    def expected_type(self) -> str | None:
        return self.form.expected_type

    @property
    def is_follow_up(self) -> bool:
        return self.query != self.asked

    @property
    def anchors(self) -> frozenset[str]:
        """Stems of the names the question gives: a sentence's setting may hold them for it."""
        return frozenset(stem(w) for n in self.names for w in words(n))

    def with_vectors(self, vectors: Vectors) -> Question:
        return replace(self, vectors=vectors)


def read(question: str, history: Sequence[Any] | None = None, split: bool = True) -> Question:
    """Read ``question`` (with the conversation before it) once, into the value every stage receives."""
    text = clean(question)
    form = classify(text)
    asked = form.topic or text  # "Summarize X" searches and scores on X
    query = retrieval_query(asked, history)
    q = Question(
        raw=question, text=text, form=form, asked=asked, query=query, names=tuple(names(asked)),
        query_names=tuple(names(query)), terms=tuple(query_terms(asked)), language=question_language(text),
    )
    if not split or not text:
        return q
    compared: Comparison | None = comparison(text)
    if compared:
        sides = tuple(read(side.text, history, split=False) for side in compared.sides)
        return replace(q, sides=sides, labels=tuple(s.label for s in compared.sides), which_first=compared.which_first)
    asks = split_asks(text)
    if asks:
        read_asks: list[Question] = []
        for ask in asks:  # a later ask may point back at an earlier one: "... and who opened it?"
            earlier = [*(history or []), *(a.text for a in read_asks)] if read_asks else history
            read_asks.append(read(ask.text, earlier, split=False))
        return replace(q, asks=tuple(read_asks), labels=tuple(a.label for a in asks))
    return q
