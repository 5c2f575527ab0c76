"""How sure an answer says it is, scored: is an ``answered`` answer right, is a shown candidate useful.

- *stated precision*: ``answered`` items right in their lead (the kind's own criterion: a factoid's or
  yes/no's first sentence holds every fact group, a reason's first unit, a list half its items, a
  summary ``min_facts`` groups, a two-part question or comparison every part) / ``answered`` items,
  unanswerable ones included (they are never right);
- *coverage*: answerable items ``answered`` / answerable items;
- *shown recall*: answerable items right in what is shown first (every fact group within the first 3
  units of a factoid, yes/no or reason answer; a list, summary, multipart or comparison by its own
  criterion, read whole), whether ``answered`` or ``uncertain``;
- *unanswerable answered*, *answerable not covered*, *far-off not covered*;
- *both parts right*: multipart and comparison items with every part's facts in the answer;
- a *risk-coverage* curve: ``answered`` and ``uncertain`` items ordered by confidence; at each cut, the
  coverage and precision there would be if just those were stated as answered.
Pure functions over an ``Answer``, like ``eval.metrics``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assistant.answer import ANSWERED, NOT_COVERED_STATUS, STATUSES, UNCERTAIN, Answer
from eval.dataset import Question
from eval.shape import first_sentence, found, plain, strip_layout

#: How many units a reader takes in before deciding the answer is not there.
SHOWN_UNITS = 3
#: Share of a list's items that make a list answer right.
LIST_RIGHT = 0.5


def _units(text: str, n: int) -> str:
    """The first ``n`` cited units of an answer (text up to the n-th run of markers), as read."""
    from eval.metrics import cited_sentences  # metrics imports this module

    pieces = cited_sentences(strip_layout(text))
    return " ".join(p.text for p in pieces[:n])


def _right(question: Question, answer: Answer, shown: bool = False) -> bool:
    """The kind's criterion on the lead, or (``shown``) on what is shown first: the first units."""
    text = answer.text
    kind = question.kind or "factoid"
    if kind in ("factoid", "yesno", "reason") and shown:
        return all(found(question.facts, _units(text, SHOWN_UNITS)))
    if kind in ("factoid", "yesno"):
        lead = first_sentence(_units(text, 1)) if answer.status == UNCERTAIN else first_sentence(text)
        return all(found(question.facts, lead))
    if kind == "reason":
        return all(found(question.facts, _units(text, 1)))
    if kind == "list":
        hits = found(question.facts, plain(text))
        return sum(hits) / len(hits) >= LIST_RIGHT
    if kind == "summary":
        return sum(found(question.facts, plain(text))) >= (question.min_facts or len(question.facts))
    return all(all(found(part.facts, plain(text))) for part in question.parts) if question.parts else all(
        found(question.facts, plain(text)))


def status_scores(question: Question, answer: Answer) -> dict[str, Any]:
    """The per-question fields of ``QuestionScore`` this module owns."""
    sure = (answer.signals or {}).get("lead_confidence", answer.confidence)  # how sure it is of its lead
    out: dict[str, Any] = {"status": answer.status, "right": None, "shown_ok": None, "parts_ok": [],
                           "confidence": sure}
    if not question.answerable:
        out["right"] = False
        return out
    if answer.status == NOT_COVERED_STATUS:
        out["right"], out["shown_ok"] = False, False
        out["parts_ok"] = [False] * len(question.parts)
        return out
    out["right"] = _right(question, answer)
    out["shown_ok"] = _right(question, answer, shown=True)
    out["parts_ok"] = [all(found(part.facts, plain(answer.text))) for part in question.parts]
    return out


def _share(num: int, den: int) -> float | None:
    return num / den if den else None


def risk_coverage(scores: Sequence[Any]) -> list[dict[str, float]]:
    """Precision of the most confident answers at each coverage (of the answerable items)."""
    candidates = sorted((s for s in scores if s.status in (ANSWERED, UNCERTAIN) and s.confidence is not None),
                        key=lambda s: -s.confidence)
    answerable = sum(1 for s in scores if s.answerable)
    points, right, covered = [], 0, 0
    for n, s in enumerate(candidates, start=1):
        right += bool(s.right)
        covered += s.answerable
        points.append({"confidence": s.confidence, "stated": n, "coverage": covered / answerable if answerable else 0.0,
                       "precision": right / n})
    return points


def status_summary(scores: Sequence[Any]) -> dict[str, Any]:
    """Aggregates over ``QuestionScore``s (they carry the fields of ``status_scores``)."""
    answered = [s for s in scores if s.status == ANSWERED]
    answerable = [s for s in scores if s.answerable]
    unanswerable = [s for s in scores if not s.answerable]
    far_off = [s for s in unanswerable if "far-off" in s.tags]
    parted = {kind: [s for s in scores if s.kind == kind and s.parts_ok] for kind in ("multipart", "comparison")}
    by_kind: dict[str, dict[str, Any]] = {}
    for kind in sorted({s.kind or "none" for s in answerable}):
        items = [s for s in answerable if (s.kind or "none") == kind]
        stated = [s for s in items if s.status == ANSWERED]
        by_kind[kind] = {
            "items": len(items), "answered": len(stated), "uncertain": sum(s.status == UNCERTAIN for s in items),
            "not_covered": sum(s.status == NOT_COVERED_STATUS for s in items),
            "stated_precision": _share(sum(bool(s.right) for s in stated), len(stated)),
            "shown_recall": _share(sum(bool(s.shown_ok) for s in items), len(items)),
        }
    return {
        "stated_precision": _share(sum(bool(s.right) for s in answered), len(answered)),
        "stated_coverage": _share(sum(s.status == ANSWERED for s in answerable), len(answerable)),
        "shown_recall": _share(sum(bool(s.shown_ok) for s in answerable), len(answerable)),
        "unanswerable_answered": _share(sum(s.status == ANSWERED for s in unanswerable), len(unanswerable)),
        "answerable_not_covered": _share(sum(s.status == NOT_COVERED_STATUS for s in answerable), len(answerable)),
        "far_off_not_covered": _share(sum(s.status == NOT_COVERED_STATUS for s in far_off), len(far_off)),
        "comparisons_both_right": _share(sum(all(s.parts_ok) for s in parted["comparison"]), len(parted["comparison"])),
        "multipart_both_right": _share(sum(all(s.parts_ok) for s in parted["multipart"]), len(parted["multipart"])),
        "statuses": {status: sum(s.status == status for s in scores) for status in STATUSES},
        "by_kind": by_kind,
    }
