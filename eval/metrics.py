"""Scoring answers against the regression set: retrieval, facts, citations, abstention, latency.

Pure functions over ``Answer`` objects (no model, no index), so any pipeline that returns an
``Answer`` is measured by the same code, and the metrics are unit-tested on hand-made answers.
Text comparisons fold case, whitespace and curly quotes, so layout never decides a score.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.answer import Answer
from assistant.reading.sentences import sentence_spans
from eval.dataset import Question
from eval.shape import shape_scores, shape_summary, strip_layout
from eval.status import risk_coverage, status_scores, status_summary

#: Share of a generated sentence's content words its cited passage must hold to count as support.
SUPPORT_OVERLAP = 0.6

_MARKER = re.compile(r"\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]")
_MARKER_RUN = re.compile(r"(?:\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])+")
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "\u00a0": " "})
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_STOPWORDS = frozenset(
    """a about after all also an and any are as at be been being but by can could did do does for from
    had has have he her his i if in into is it its may might more most must no not of on or our she
    should so some such than that the their them then there these they this those to too was we were
    what when where which while who whom why will with would you your""".split()
)


# --- text ----------------------------------------------------------------------------------

def normalise(text: str) -> str:
    """Case-folded, curly quotes straightened, whitespace runs collapsed."""
    return _SPACE.sub(" ", text.translate(_QUOTES)).strip().casefold()


def strip_markers(text: str) -> str:
    """The answer text without its ``[n]`` / ``[1, 2]`` citation markers."""
    return _SPACE.sub(" ", _MARKER_RUN.sub("", text)).strip()


def contains(haystack: str, needle: str) -> bool:
    return normalise(needle) in normalise(haystack)


def content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(normalise(text)) if w not in _STOPWORDS}


@dataclass
class CitedSentence:
    text: str
    numbers: tuple[int, ...]


def cited_sentences(text: str) -> list[CitedSentence]:
    """The answer split on its markers: each piece of text with the citation numbers that close it.

    A trailing piece without a marker is kept (with no numbers): it is an uncited sentence.
    """
    pieces: list[CitedSentence] = []
    pos = 0
    for match in _MARKER_RUN.finditer(text):
        segment = text[pos : match.start()].strip().lstrip(".,;:!?)]”’\"' ").strip()
        numbers = tuple(int(n) for n in re.findall(r"\d+", match.group()))
        if _WORD.search(segment):
            pieces.append(CitedSentence(segment, numbers))
        elif pieces:
            pieces[-1].numbers += numbers
        pos = match.end()
    tail = text[pos:].strip().lstrip(".,;:!?)]”’\"' ").strip()
    if _WORD.search(tail):
        pieces.append(CitedSentence(tail, ()))
    return pieces


def supports(sentence: str, passage: str) -> bool:
    """Whether ``passage`` backs ``sentence``: it quotes it, or holds >= 60% of its content words."""
    if not passage:
        return False
    if contains(passage, sentence):
        return True
    words = content_words(sentence)
    return bool(words) and len(words & content_words(passage)) / len(words) >= SUPPORT_OVERLAP


def answer_length(answer: Answer) -> tuple[int, int]:
    """(sentences, words) of the answer text without markers."""
    text = strip_markers(answer.text)
    return len(sentence_spans(text)), len(text.split())


# --- one question ----------------------------------------------------------------------------

@dataclass
class QuestionScore:
    """Every measurement of one answer; ``None`` where a metric does not apply to the question."""

    id: str
    answerable: bool
    abstained: bool
    latency: float
    rank: int | None = None  # 1-based rank of the first top-k passage holding an evidence string
    hit: bool | None = None
    hit_at_1: bool | None = None
    reciprocal_rank: float | None = None
    facts_covered: list[bool] = field(default_factory=list)
    coverage: bool | None = None  # every fact group covered
    partial_coverage: float | None = None  # share of groups covered
    citations: int = 0  # (sentence, citation) pairs
    citations_correct: int = 0
    sentences: int = 0  # answer sentences split on the markers
    sentences_supported: int = 0  # ... with at least one correct citation
    citation_precision: float | None = None
    citation_recall: float | None = None
    abstention_correct: bool = True
    answer_sentences: int | None = None
    answer_words: int | None = None
    # answer shape (see eval.shape)
    kind: str | None = None
    tags: list[str] = field(default_factory=list)
    answered_kind: str | None = None
    lead_ok: bool | None = None
    list_share: float | None = None
    summary_ok: bool | None = None
    reason_ok: bool | None = None
    shape_ok: bool | None = None
    headings_quoted: int = 0
    rewritten: bool = False
    # how sure the answer says it is (see eval.status)
    status: str = ""
    right: bool | None = None
    shown_ok: bool | None = None
    parts_ok: list[bool] = field(default_factory=list)
    confidence: float | None = None
    passed: bool = True
    reasons: list[str] = field(default_factory=list)  # why it failed
    notes: list[str] = field(default_factory=list)  # worth knowing, not a failure

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def retrieval_rank(answer: Answer, evidence: Sequence[str], k: int) -> int | None:
    wanted = [normalise(e) for e in evidence]
    for rank, passage in enumerate(answer.passages[:k], start=1):
        text = normalise(passage.text)
        if any(e in text for e in wanted):
            return rank
    return None


def citation_counts(answer: Answer) -> tuple[int, int, int, int, list[str]]:
    """(pairs, correct pairs, sentences, supported sentences, problems) for a non-abstained answer."""
    if answer.abstained:
        return 0, 0, 0, 0, []
    by_id = {p.id: p.text for p in answer.passages}
    pairs = correct = supported = 0
    problems: list[str] = []
    sentences = cited_sentences(strip_layout(answer.text))
    for sentence in sentences:
        ok_any = False
        for number in sentence.numbers:
            pairs += 1
            citation = answer.citation(number)
            passage = (citation.passage or by_id.get(citation.passage_id, "")) if citation else ""
            if citation and supports(sentence.text, passage):
                correct += 1
                ok_any = True
            else:
                problems.append(f"citation [{number}] does not support “{sentence.text[:60]}”")
        if ok_any:
            supported += 1
        elif not sentence.numbers:
            problems.append(f"uncited sentence “{sentence.text[:60]}”")
    return pairs, correct, len(sentences), supported, problems


def score_question(question: Question, answer: Answer, latency: float, k: int) -> QuestionScore:
    s = QuestionScore(id=question.id, answerable=question.answerable, abstained=answer.abstained, latency=latency)
    if question.evidence:
        s.rank = retrieval_rank(answer, question.evidence, k)
        s.hit, s.hit_at_1 = s.rank is not None, s.rank == 1
        s.reciprocal_rank = 1.0 / s.rank if s.rank else 0.0
        if not s.hit:
            s.notes.append(f"no evidence string in the top {k} passages")
    if question.answerable:
        text = "" if answer.abstained else normalise(strip_markers(answer.text))
        s.facts_covered = [any(normalise(alt) in text for alt in group) for group in question.facts]
        s.coverage = all(s.facts_covered)
        s.partial_coverage = _ratio(sum(s.facts_covered), len(s.facts_covered))
    s.citations, s.citations_correct, s.sentences, s.sentences_supported, problems = citation_counts(answer)
    s.citation_precision = _ratio(s.citations_correct, s.citations)
    s.citation_recall = _ratio(s.sentences_supported, s.sentences)
    s.abstention_correct = answer.abstained != question.answerable
    if not answer.abstained:
        s.answer_sentences, s.answer_words = answer_length(answer)
    if question.answerable and answer.abstained:
        s.reasons.append("false abstention")
    elif not question.answerable and not answer.abstained:
        s.reasons.append("answered a question the documents don't cover")
    elif question.answerable and not s.coverage:
        missing = [group[0] for group, ok in zip(question.facts, s.facts_covered, strict=True) if not ok]
        s.reasons.append("missing facts: " + "; ".join(missing))
    for name, value in {**shape_scores(question, answer), **status_scores(question, answer)}.items():
        setattr(s, name, value)
    if s.shape_ok is False and not answer.abstained:
        s.notes.append(f"answer shape: the {question.kind} is not what a reader needs (see eval/shape.py)")
    if s.headings_quoted:
        s.reasons.append(f"quoted {s.headings_quoted} heading(s) as an answer")
    s.reasons.extend(problems)
    s.passed = not s.reasons
    return s


# --- aggregates --------------------------------------------------------------------------------

def mean(values: Iterable[float | bool | None]) -> float | None:
    kept = [float(v) for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (``q`` in 0..100), as numpy's default."""
    data = sorted(values)
    if not data:
        return None
    pos = (len(data) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def abstention_metrics(answerable: Sequence[bool], abstained: Sequence[bool]) -> dict[str, float | None]:
    """Unanswerable questions are the positives. ``None`` where a denominator is zero."""
    pairs = list(zip(answerable, abstained, strict=True))
    true_pos = sum(1 for a, x in pairs if x and not a)
    return {
        "abstention_precision": _ratio(true_pos, sum(1 for _, x in pairs if x)),
        "abstention_recall": _ratio(true_pos, sum(1 for a, _ in pairs if not a)),
        "false_abstention_rate": _ratio(sum(1 for a, x in pairs if x and a), sum(1 for a, _ in pairs if a)),
    }


def _common(scores: Sequence[QuestionScore]) -> dict[str, Any]:
    """Metrics that make sense on any subset of the questions."""
    latencies = [s.latency for s in scores]
    return {
        "questions": len(scores),
        "pass_rate": mean(s.passed for s in scores),
        "abstention_rate": mean(s.abstained for s in scores),
        "citation_precision": _ratio(sum(s.citations_correct for s in scores), sum(s.citations for s in scores)),
        "citation_recall": _ratio(sum(s.sentences_supported for s in scores), sum(s.sentences for s in scores)),
        "latency_p50": percentile(latencies, 50),
        "latency_p95": percentile(latencies, 95),
        "latency_mean": mean(latencies),
        "answer_sentences": mean(s.answer_sentences for s in scores),
        "answer_words": mean(s.answer_words for s in scores),
    }


def summarise(scores: Sequence[QuestionScore], k: int) -> dict[str, Any]:
    """Overall figures; coverage and retrieval over answerable questions only. Citation figures are
    pooled over every (sentence, citation) pair of the answered questions."""
    answerable = [s for s in scores if s.answerable]
    unanswerable = [s for s in scores if not s.answerable]
    summary: dict[str, Any] = {
        "k": k,
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "hit_at_k": mean(s.hit for s in answerable),
        "hit_at_1": mean(s.hit_at_1 for s in answerable),
        "mrr": mean(s.reciprocal_rank for s in answerable),
        "fact_coverage": mean(s.coverage for s in answerable),
        "partial_coverage": mean(s.partial_coverage for s in answerable),
        **abstention_metrics([s.answerable for s in scores], [s.abstained for s in scores]),
        **_common(scores),
        **shape_summary(scores),
        **status_summary(scores),
        "risk_coverage": risk_coverage(scores),
    }
    summary["subsets"] = {"answerable": _common(answerable), "unanswerable": _common(unanswerable)}
    return summary


# --- thresholds (the CI gate) ---------------------------------------------------------------------

def check_thresholds(summary: dict[str, Any], thresholds: dict[str, dict[str, float]]) -> list[str]:
    """Every metric outside its bound, as readable lines; ``{"min": {...}, "max": {...}}``.

    An undefined metric (``None``) or a name the summary lacks fails too, so a typo never passes.
    """
    failures: list[str] = []
    for kind, bounds in thresholds.items():
        if kind not in ("min", "max"):
            failures.append(f"unknown threshold section {kind!r} (use 'min' or 'max')")
            continue
        for name, bound in bounds.items():
            value = summary.get(name, "missing")
            if value == "missing":
                failures.append(f"{name}: not a summary metric")
            elif value is None:
                failures.append(f"{name}: undefined in this run (needs {kind} {bound})")
            elif (kind == "min" and value < bound) or (kind == "max" and value > bound):
                word = "below the minimum" if kind == "min" else "above the maximum"
                failures.append(f"{name} = {value:.4f} is {word} {bound}")
    return failures


# --- comparing two runs -----------------------------------------------------------------------------

#: Summary metrics where a smaller number is the improvement; answer length has no direction.
LOWER_IS_BETTER = frozenset({"false_abstention_rate", "latency_p50", "latency_p95", "latency_mean",
                             "headings_quoted", "topic_shifts_rewritten"})
NEUTRAL = frozenset({"k", "questions", "answerable", "unanswerable", "answer_sentences", "answer_words",
                     "abstention_rate", "factoid", "list", "summary", "reason"})


def flatten(summary: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """Numeric leaves of a (nested) summary under dotted names."""
    flat: dict[str, float] = {}
    for key, value in summary.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            flat[prefix + key] = float(value)
    return flat


def direction(name: str, delta: float) -> str:
    base = name.rsplit(".", 1)[-1]
    if base in NEUTRAL or abs(delta) < 1e-9:
        return "same" if abs(delta) < 1e-9 else "neutral"
    return "better" if (delta < 0) == (base in LOWER_IS_BETTER) else "worse"


def _question_changes(old: dict[str, Any], new: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(worse, better) descriptions for one question's scores in two runs."""
    worse: list[str] = []
    better: list[str] = []
    checks = (
        ("fact coverage", "partial_coverage", lambda v: f"{v:.2f}"),
        ("evidence hit", "hit", lambda v: "yes" if v else "no"),
        ("abstention decision", "abstention_correct", lambda v: "right" if v else "wrong"),
    )
    for label, key, show in checks:
        a, b = old.get(key), new.get(key)
        if a is None or b is None or float(a) == float(b):
            continue
        (better if float(b) > float(a) else worse).append(f"{label} {show(a)} → {show(b)}")
    return worse, better


def compare_results(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Per pipeline present in both runs: questions that got worse or better, and summary deltas.

    A question is *worse* when any of fact coverage, evidence hit or the abstention decision
    regressed (even if another improved), *better* when something improved and nothing regressed.
    """
    result: dict[str, Any] = {}
    for name, run in new.get("pipelines", {}).items():
        before = old.get("pipelines", {}).get(name)
        if before is None:
            continue
        old_q = {q["id"]: q for q in before["questions"]}
        new_q = {q["id"]: q for q in run["questions"]}
        entry: dict[str, Any] = {"worse": [], "better": [], "unchanged": 0,
                                 "added": sorted(set(new_q) - set(old_q)), "removed": sorted(set(old_q) - set(new_q))}
        for qid, q in new_q.items():
            if qid not in old_q:
                continue
            worse, better = _question_changes(old_q[qid]["scores"], q["scores"])
            row = {"id": qid, "question": q.get("question", ""), "changes": worse + better}
            if worse:
                entry["worse"].append(row)
            elif better:
                entry["better"].append(row)
            else:
                entry["unchanged"] += 1
        a, b = flatten(before["summary"]), flatten(run["summary"])
        entry["summary_deltas"] = {
            key: {"old": a[key], "new": b[key], "delta": b[key] - a[key], "direction": direction(key, b[key] - a[key])}
            for key in b if key in a
        }
        result[name] = entry
    return result
