"""Turns a follow-up question into a self-contained retrieval query using the conversation so far.

"What did she propose at the second meeting?" cannot be searched on its own: "she" lives in the
previous turn. Without an LLM to rewrite, a question is treated as a follow-up only when its form
points back, and then searched with the salient words of the previous turn appended:
- **cues** (``is_follow_up``): a personal pronoun or a demonstrative with no antecedent in the question
  itself ("she", "they", "that", "these proposals", "at that meeting"), ellipsis ("And the second?",
  "What about Ma?", "which one of them", "the eighth one" anywhere: "the first meeting" names its own
  subject), or a question too short to name its own subject ("Why?"). Wh-words and a leading
  "And"/"So" are not cues on their own: "Why did Guterres set up the panel?" names its subject.
- **resolution** (``retrieval_query``): the question, then the names and key terms of the previous
  question, then the names of the previous answer's first sentence. For "the second (one)" or
  "which of them" after a list answer, the item the ordinal picks stands in its place (or all items
  are appended).
The retrieval query is what ``Answer.query`` shows. Evidence is still scored on the question itself,
with this context as a lesser signal, so the quoted sentence answers what was asked now.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from assistant.answer import CLOSEST, NOT_COVERED
from assistant.reading.text import STOPWORDS, query_terms, words

MAX_NAMES = 6  # names carried over from the previous turn; more would drown the question
MAX_TERMS = 6  # key terms of the previous question carried over
ITEM_WORDS = 6  # words of each list item carried over for "which of them"
OWN_TERMS = 2  # content words before a pronoun that make it refer inside the question

ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "last": -1,
}
_ORDINAL = "|".join(ORDINALS)
_PERSONAL = re.compile(r"\b(she|he|her|him|his|hers|they|them|their|theirs|it|its)\b", re.I)
_DEMONSTRATIVE = re.compile(
    r"\b(?:(these|those|this)\b|(that)\s*(?:\?|$|[,.;])|(?:about|of|on|with|do|did|does|mean|means|by)\s+(that)\b|"
    r"(the same|the former|the latter|the other(?:s| ones?)?|such))",
    re.I,
)
_ELLIPSIS = re.compile(
    r"^\s*(?:(?:and|but|so)\s+)?(?:what|how)\s+about\b|"
    r"^\s*(?:and|but|also)\s+(?:the\s+)?\w+(?:\s+\w+)?\s*\??\s*$|"
    r"\b(?:which|what)\s+(?:one|ones)\b|\b(?:one|two|both|all|each|either|neither|any|none|some)\s+of\s+"
    r"(?:them|those|these)\b|\bthe two\b|"
    rf"^\s*(?:and\s+)?the\s+(?:{_ORDINAL})\b|"
    rf"\bthe\s+(?:{_ORDINAL})\s+(?:one|item|point)\b",
    re.I,
)
#: "at that meeting", "in that report": "that" pointing at something named earlier, never inside the question.
_THAT_NOUN = re.compile(
    r"\b(?:at|in|from|during|for|after|before|since|under|to|of)\s+that\s+(?!is\b|was\b|are\b|were\b|the\b)[a-z]+",
    re.I,
)
_ORDINAL_PICK = re.compile(
    rf"\bthe\s+({_ORDINAL})\s*(?:one|item|point|area|of them|\?|$)", re.I
)
_MARKER = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")
_NAME = re.compile(r"\b[A-Z][a-z]+(?:\s+(?:[A-Z][a-z]+|&))*\b")
_LIST_LINE = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+(.*)$", re.M)
_TITLE_LINE = re.compile(r"^\*\*.*\*\*\s*$", re.M)
#: Capitalised words that start a sentence or a question without being names.
_NOT_NAMES = frozenset(
    "what which who whom whose when where why how did does do is are was were and but so the a an in on at "
    "of for to by with from it its this that these those he she they his her their there then also all".split()
)


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
    """Whether ``question`` points back at an earlier turn (see the module docstring for the cues)."""
    if _ELLIPSIS.search(question) or _THAT_NOUN.search(question) or len(query_terms(question)) < 2:
        return True
    for cue in (*_PERSONAL.finditer(question), *_DEMONSTRATIVE.finditer(question)):
        if not _has_antecedent(question[: cue.start()], cue.group(0)):
            return True
    return False


def _has_antecedent(before: str, pronoun: str) -> bool:
    """A pronoun refers inside the question when a name (for he/she) or enough content words precede it."""
    pronoun = pronoun.lower()
    if pronoun in ("she", "he", "her", "him", "his", "hers"):
        return bool(names(before))
    content = [w for w in words(before) if w not in STOPWORDS and len(w) > 2]
    if pronoun in ("they", "them", "their", "theirs", "these", "those"):
        return any(w.endswith("s") and not w.endswith("ss") for w in content)
    return len(content) >= OWN_TERMS


def names(text: str) -> list[str]:
    """Capitalised word runs that are not just a capitalised question or function word."""
    found = []
    text = _MARKER.sub("", text)
    for match in _NAME.finditer(text):
        parts = [p for p in match.group(0).split() if p.lower() not in _NOT_NAMES]
        if match.start() == len(text) - len(text.lstrip()) and len(parts) == 1 and match.group(0) == parts[0]:
            continue  # one capitalised word opening the text: capitalised for the sentence, not a name
        if parts and len(" ".join(parts)) > 2:
            found.append(" ".join(parts))
    return list(dict.fromkeys(found))


def list_items(answer: str) -> list[str]:
    """The items of a list answer (Markdown bullets or numbers), markers removed."""
    return [_MARKER.sub("", m.group(1)).strip() for m in _LIST_LINE.finditer(answer)]


def _first_sentence(answer: str) -> str:
    text = _TITLE_LINE.sub("", answer).strip().removeprefix(CLOSEST).lstrip(" \n-")
    end = re.search(r"\[\d+\]", text)
    return text[: end.start()] if end else text.split("\n")[0]


def retrieval_query(question: str, history: Sequence[Any] | None = None) -> str:
    """The question itself, or, for a follow-up, the question with the context it points back to."""
    questions, answers = user_turns(history)
    if not questions or not is_follow_up(question):
        return question
    previous = questions[-1]
    answer = answers[-1] if answers and not answers[-1].strip().startswith(NOT_COVERED) else ""
    # an uncertain answer's bullets are candidates for one answer, not a list to point into
    items = [] if answer.lstrip().startswith(CLOSEST) else list_items(answer)
    if items:  # "the second one", "which of them": the list is what is pointed at
        pick = _ORDINAL_PICK.search(question)
        if pick:
            index = ORDINALS[pick.group(1).lower()]
            chosen = items[-1] if index == -1 else items[index - 1] if index <= len(items) else ""
            if chosen:  # the item's opening words stand where the ordinal was: "eighth" is not searched for
                name, colon, _ = chosen.partition(":")  # "Trust: Before the General Assembly ..." -> "Trust"
                head = name if colon and len(name.split()) <= ITEM_WORDS else " ".join(chosen.split()[:ITEM_WORDS])
                head = head.rstrip(" ,.;:")
                rest = question[pick.end():].strip()
                return f"{question[: pick.start()]}{head}{' ' + rest if rest not in ('', '?') else '?'}".strip()
            return question
        heads = [" ".join(item.split()[:ITEM_WORDS]) for item in items]  # an item's name opens it
        return " ".join([question, previous, *heads])
    context = [*names(previous), *query_terms(previous)[:MAX_TERMS]]
    if answer:  # an abstention names nothing worth searching
        context.extend(names(_first_sentence(answer)))
    carried = list(dict.fromkeys(c for c in context if c.lower() not in question.lower()))
    return " ".join([question, *carried[: MAX_NAMES + MAX_TERMS]])
