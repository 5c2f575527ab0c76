"""Turns a follow-up question into a self-contained retrieval query using the conversation so far.

"What did she propose at the second meeting?" cannot be searched on its own: "she" lives in the
previous turn. Without an LLM to rewrite, we add the previous user question (and the names of the
previous answer, when there is one) to a question that points back at them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from assistant.answer import NOT_COVERED
from assistant.text import query_terms

MAX_NAMES = 6  # names carried over from the previous answer; more would drown the question

_REFERS_BACK = re.compile(
    r"\b(she|he|her|him|his|hers|they|them|their|theirs|it|its|this|that|these|those|there|then|"
    r"the same|such|former|latter|also|else|other|another|more)\b",
    re.IGNORECASE,
)
_CONTINUES = re.compile(r"^\s*(and|but|also|what about|how about|why|so|then)\b", re.IGNORECASE)
_MARKER = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")
_NAME = re.compile(r"\b[A-Z][a-z]+(?:\s+(?:[A-Z][a-z]+|&))*\b")


def user_turns(history: Sequence[Any] | None) -> tuple[list[str], list[str]]:
    """Split a history into user questions and assistant answers.

    Accepts plain strings (earlier user questions, as in the regression set), (user, assistant)
    pairs, or chat messages ``{"role": ..., "content": ...}`` as Gradio sends them.
    """
    questions: list[str] = []
    answers: list[str] = []
    for turn in history or []:
        if isinstance(turn, str):
            questions.append(turn)
        elif isinstance(turn, dict):
            content = turn.get("content")
            text = content if isinstance(content, str) else ""
            (questions if turn.get("role") == "user" else answers).append(text)
        elif isinstance(turn, list | tuple) and len(turn) == 2:
            user, bot = turn
            if user:
                questions.append(str(user))
            if bot:
                answers.append(str(bot))
    return [q for q in questions if q.strip()], [a for a in answers if a.strip()]


def is_follow_up(question: str) -> bool:
    return bool(_REFERS_BACK.search(question) or _CONTINUES.search(question) or len(query_terms(question)) < 2)


def retrieval_query(question: str, history: Sequence[Any] | None = None) -> str:
    """The question itself, or, for a follow-up, the question with the context it points back to."""
    questions, answers = user_turns(history)
    if not questions or not is_follow_up(question):
        return question
    context = [questions[-1]]
    if answers and answers[-1].strip() != NOT_COVERED:  # an abstention names nothing worth searching
        names = [n for n in _NAME.findall(_MARKER.sub("", answers[-1])) if len(n) > 2]
        context.extend(list(dict.fromkeys(names))[:MAX_NAMES])
    return " ".join([*context, question])
