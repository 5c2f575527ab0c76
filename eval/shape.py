"""Answer-shape metrics: what a reader sees, not whether the facts appear somewhere.

- *lead accuracy* (factoid items): every fact group is in the answer's first sentence;
- *list completeness* (list items): the share of the listed items the answer gives;
- *summary coverage* (summary items): at least ``min_facts`` fact groups (default all) are found;
- *reason accuracy* (reason items): every fact group is in the first cited unit (the text before
  the first marker), so the reason is not left for a later sentence;
- *headings quoted*: cited texts that are a heading of their passage (never an answer);
- *follow-up accuracy* (items tagged ``follow-up``): the item's own shape metric holds;
- *topic shifts rewritten* (items tagged ``topic-shift``): the retrieval query holds words the question
  does not, i.e. a self-contained question was searched with an earlier turn glued on;
- *near-topic refusal* (unanswerable items tagged ``near-topic``): the share the assistant declined.
Pure functions over an ``Answer``, like ``eval.metrics``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from assistant.answer import CLOSEST, Answer
from assistant.reading.sentences import sentence_spans
from assistant.reading.structure import annotate
from assistant.reading.text import words
from eval.dataset import Question

_MARKERS = re.compile(r"\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]")
_LINE_DECOR = re.compile(r"^[ \t]*(?:[-*•]\s+|\d{1,2}[.)]\s+|#+\s+)", re.M)
_TITLE_LINE = re.compile(r"^\*\*.*\*\*[ \t]*$", re.M)
_SPACE = re.compile(r"\s+")
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "\u00a0": " "})


def _fold(text: str) -> str:
    return _SPACE.sub(" ", text.translate(_QUOTES)).strip().casefold()


def strip_layout(text: str) -> str:
    """Answer text without its Markdown layout (title lines, bullets, numbers); markers kept. An uncertain
    answer's opening line ("No passage answers this directly. Closest:") goes with its badge: the
    candidates are what is read."""
    return _LINE_DECOR.sub("", _TITLE_LINE.sub("", text.strip().removeprefix(CLOSEST)))


def plain(text: str) -> str:
    """Answer text as read: layout and markers removed, lines kept."""
    return _MARKERS.sub("", strip_layout(text)).replace("**", "")


def first_sentence(text: str) -> str:
    body = plain(text).strip()
    spans = sentence_spans(body)
    return body[spans[0][0] : spans[0][1]] if spans else ""


def first_unit(text: str) -> str:
    """The text before the first citation marker: the first quoted unit."""
    match = _MARKERS.search(text)
    return plain(text[: match.start()] if match else text)


def found(groups: Sequence[Sequence[str]], text: str) -> list[bool]:
    folded = _fold(text)
    return [any(_fold(alt) in folded for alt in group) for group in groups]


def headings_quoted(answer: Answer) -> int:
    """Cited texts that are a heading line of their passage."""
    count = 0
    for c in answer.citations:
        spans = sentence_spans(c.passage)
        roles = annotate(c.passage, spans)
        for (start, end), layout in zip(spans, roles, strict=True):
            if layout["role"] == "heading" and start <= c.span[0] and c.span[1] <= end:
                count += 1
                break
    return count


def shape_scores(question: Question, answer: Answer) -> dict[str, Any]:
    """The per-question fields of ``QuestionScore`` this module owns."""
    out: dict[str, Any] = {
        "kind": question.kind, "tags": list(question.tags), "answered_kind": answer.kind,
        "lead_ok": None, "list_share": None, "summary_ok": None, "reason_ok": None, "shape_ok": None,
        "headings_quoted": 0 if answer.abstained else headings_quoted(answer),
        "rewritten": bool(set(words(answer.query)) - set(words(answer.question))),
    }
    if not question.answerable or question.kind is None:
        return out
    text = "" if answer.abstained else answer.text
    if question.kind == "factoid":
        out["lead_ok"] = out["shape_ok"] = all(found(question.facts, first_sentence(text)))
    elif question.kind == "list":
        hits = found(question.facts, plain(text))
        out["list_share"] = sum(hits) / len(hits)
        out["shape_ok"] = out["list_share"] >= 0.85
    elif question.kind == "summary":
        need = question.min_facts or len(question.facts)
        out["summary_ok"] = out["shape_ok"] = sum(found(question.facts, plain(text))) >= need
    elif question.kind == "reason":
        out["reason_ok"] = out["shape_ok"] = all(found(question.facts, first_unit(text)))
    return out


def _mean(values: Iterable[Any]) -> float | None:
    kept = [float(v) for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def shape_summary(scores: Sequence[Any]) -> dict[str, Any]:
    """Aggregates over ``QuestionScore``s (they carry the fields of ``shape_scores``)."""
    by_kind = {kind: [s for s in scores if s.kind == kind] for kind in ("factoid", "list", "summary", "reason")}
    near_topic = [s for s in scores if not s.answerable and "near-topic" in s.tags]
    follow_ups = [s for s in scores if "follow-up" in s.tags and s.shape_ok is not None]
    shifts = [s for s in scores if "topic-shift" in s.tags]
    return {
        "lead_accuracy": _mean(s.lead_ok for s in by_kind["factoid"]),
        "list_completeness": _mean(s.list_share for s in by_kind["list"]),
        "summary_coverage": _mean(s.summary_ok for s in by_kind["summary"]),
        "reason_accuracy": _mean(s.reason_ok for s in by_kind["reason"]),
        "kind_agreement": _mean(s.answered_kind == s.kind for s in scores if s.kind and not s.abstained),
        "headings_quoted": sum(s.headings_quoted for s in scores),
        "near_topic_refusal": _mean(s.abstained for s in near_topic),
        "follow_up_accuracy": _mean(s.shape_ok for s in follow_ups),
        "topic_shifts_rewritten": _mean(s.rewritten for s in shifts),
        "words_by_kind": {
            kind: _mean(s.answer_words for s in items if not s.abstained) for kind, items in by_kind.items()
        },
        "items_by_kind": {kind: len(items) for kind, items in by_kind.items()},
    }
