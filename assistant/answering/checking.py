"""Checking a language model's cited answer against the passages it was given.

The model is never trusted: every sentence must carry ``[n]`` markers that point at passages it was
shown, and the passage it cites must support it (``assistant.answering.verify``: content words,
numbers, dates, names and negation). What fails is dropped, noted, and listed in ``Draft.removed``;
when nothing survives, or the model says the documents do not hold the answer, the result is an
abstention. Pure functions, so every rule is unit-tested without a model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.answer import NOT_COVERED, Citation, Passage, page_break_in
from assistant.answering.base import Draft
from assistant.answering.verify import verify, verify_cited
from assistant.reading.sentences import sentence_spans
from assistant.reading.text import STOPWORDS, stem

#: Share of a sentence's (weighted) content words that its cited passages must contain.
MIN_SUPPORT = 0.5
#: Share one cited passage must contain on its own for its marker to stay on a multi-marker sentence.
MIN_MARKER_SUPPORT = 0.25

# "[1]", "[1, 2]", "[1; 3]", "[1-2]", "[Passage 1]", "[source 2]"
_MARKER = re.compile(r"\[\s*(?:(?:passages?|sources?|doc(?:ument)?s?)\s*)?(\d+(?:\s*[,;\-–]\s*\d+)*)\s*\]", re.I)
# A sentence end followed by markers ("... 2018. [1]") -> move the markers before the end mark.
_TRAILING_MARKERS = re.compile(rf"([.!?…]+[\"'”’)]*)((?:[ \t]*{_MARKER.pattern})+)", re.I)
_LEADING_MARKER = re.compile(rf"\s*(?:[-*•]\s*)?{_MARKER.pattern}", re.I)
_BULLET = re.compile(r"^\s*(?:[-*•]+|\d+[.)])\s+")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_NUMBER_WORDS = frozenset(
    "two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million billion "
    "first second third fourth fifth sixth seventh eighth ninth tenth dozen".split()
)
_NEGATIONS = frozenset("not no never none nor neither nobody nothing without cannot".split())
_NOT_IN_DOCUMENTS = re.compile(r"not\s+in\s+the\s+(?:documents?|passages?)", re.I)
_ABSTAIN = re.compile(
    r"\b(?:"
    r"(?:documents?|passages?|context|sources?|texts?|information\s+provided)\s+(?:do|does|did)\s*(?:not|n[o']t)\s+"
    r"(?:contain|mention|say|cover|provide|include|specify|state|address|discuss|give)"
    r"|(?:i|we)\s+(?:cannot|can\s*not|can[’']t|am\s+unable\s+to|are\s+unable\s+to|[’']m\s+unable\s+to)\s+"
    r"(?:answer|find|determine|tell)"
    r"|unable\s+to\s+(?:answer|find|determine)"
    r"|no\s+(?:relevant\s+)?information\s+(?:about|on|regarding|is|in|was)"
    r"|there\s+is\s+no\s+(?:relevant\s+)?information"
    r"|not\s+(?:mentioned|provided|stated|covered|specified|given|found)\s+in\s+the\s+(?:documents?|passages?|context)"
    r")",
    re.I,
)


@dataclass
class GeneratedSentence:
    """One sentence of the model's output: its text without markers and the numbers it cited."""

    text: str
    markers: list[int]


@dataclass
class Support:
    """How well passages back a sentence: the weighted share of its content words they contain."""

    score: float
    missing: list[str] = field(default_factory=list)  # content words not found
    missing_numbers: list[str] = field(default_factory=list)  # numbers not found: always fatal
    negation_missing: bool = False  # the sentence negates, the passages never do: always fatal

    @property
    def fatal(self) -> str | None:
        """Why the sentence fails whatever its score, if it does."""
        if self.missing_numbers:
            return f"number(s) {', '.join(self.missing_numbers)} not in the passage"
        if self.negation_missing:
            return "a negation the passage does not make"
        return None


# --- parsing -------------------------------------------------------------------------------------


def parse_markers(text: str) -> list[int]:
    """Citation numbers in ``text`` in order, repeats removed: ``[1, 2]``, ``[1][3]``, ``[2-4]``."""
    numbers: list[int] = []
    for match in _MARKER.finditer(text):
        for part in re.split(r"\s*[,;]\s*", match.group(1)):
            bounds = [int(n) for n in re.split(r"\s*[-–]\s*", part)]
            if len(bounds) == 2 and 0 <= bounds[1] - bounds[0] <= 10:
                bounds = list(range(bounds[0], bounds[1] + 1))
            numbers.extend(n for n in bounds if n not in numbers)
    return numbers


def strip_markers(text: str) -> str:
    """``text`` without citation markers, whitespace tidied, no space before punctuation."""
    text = _MARKER.sub(" ", text)
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"\s+([.,;:!?…])", r"\1", text)


def split_generated(text: str) -> list[GeneratedSentence]:
    """Sentences of model output with their markers; markers after a full stop go to the sentence before.

    ``assistant.reading.sentences`` would start a new sentence at "[1]" in "... 2018. [1] The ...", so markers that
    follow an end mark on the same line are moved in front of it first, unless the output opens with a
    marker (the model then puts markers first: "[1] The ... [2] The ...").
    """
    if not _LEADING_MARKER.match(text):
        text = _TRAILING_MARKERS.sub(lambda m: f"{m.group(2)}{m.group(1)}", text)
    out = []
    for start, end in sentence_spans(text):
        raw = _BULLET.sub("", text[start:end])
        clean = strip_markers(raw)
        if clean and _WORD.search(clean):
            out.append(GeneratedSentence(clean, parse_markers(raw)))
        elif out:  # a line holding only markers belongs to the sentence before it
            out[-1].markers.extend(n for n in parse_markers(raw) if n not in out[-1].markers)
    return out


def is_abstention(text: str) -> bool:
    """Whether the model said the documents do not answer ("NOT IN THE DOCUMENTS" and variants)."""
    return bool(_NOT_IN_DOCUMENTS.search(text) or _ABSTAIN.search(text))


# --- support -------------------------------------------------------------------------------------


def _weighted_terms(sentence: str) -> dict[str, float]:
    """Content terms with weights: names and numbers count double, being what a wrong answer gets wrong."""
    weights: dict[str, float] = {}
    for i, match in enumerate(_WORD.finditer(sentence)):
        raw = match.group(0)
        word = raw.lower().replace("’", "'")
        if word in STOPWORDS and not _is_number(word):
            continue
        key = any(c.isdigit() for c in raw) or _is_number(word) or (i > 0 and raw[0].isupper())
        term = stem(word)
        weights[term] = max(weights.get(term, 0.0), 2.0 if key else 1.0)
    return weights


def _is_number(word: str) -> bool:
    return word.isdigit() or word in _NUMBER_WORDS


def passage_terms(text: str) -> set[str]:
    """Every stemmed word of a passage (stopwords too: cheap, and a sentence's terms never include them)."""
    return {stem(w.lower().replace("’", "'")) for w in _WORD.findall(text)}


def support(sentence: str, passage_texts: list[str]) -> Support:
    """Weighted share of ``sentence``'s content words found in the passages; numbers must all be there."""
    weights = _weighted_terms(sentence)
    if not weights:
        return Support(0.0)
    found: set[str] = set().union(*(passage_terms(t) for t in passage_texts)) if passage_texts else set()
    missing = [t for t in weights if t not in found]
    total = sum(weights.values())
    score = 1.0 - sum(weights[t] for t in missing) / total
    numbers = [w.lower() for w in _WORD.findall(sentence) if _is_number(w.lower())]
    missing_numbers = [n for n in dict.fromkeys(numbers) if stem(n) not in found]
    negation_missing = _negated(sentence) and not any(_negated(t) for t in passage_texts)
    return Support(round(score, 3), missing, missing_numbers, negation_missing)


def _negated(text: str) -> bool:
    return any(w in _NEGATIONS or w.endswith("n't") for w in (w.lower().replace("’", "'") for w in _WORD.findall(text)))


def best_sentence(sentence: str, passage_text: str) -> tuple[int, int]:
    """Span of the passage sentence sharing most (weighted) content words with ``sentence``.

    Ties go to the sentence with fewer words beside the shared ones, then to the earlier one.
    """
    spans = sentence_spans(passage_text) or [(0, len(passage_text))]
    weights = _weighted_terms(sentence)

    def score(span: tuple[int, int]) -> tuple[float, float]:
        terms = passage_terms(passage_text[span[0] : span[1]])
        shared = sum(w for t, w in weights.items() if t in terms)
        return shared, shared / (len(terms) or 1)

    return max(spans, key=score)  # max keeps the first of equal scores


# --- the whole check -----------------------------------------------------------------------------


def check_answer(
    output: str,
    passages: list[Passage],
    *,
    max_sentences: int = 5,
    min_support: float = MIN_SUPPORT,
) -> Draft:
    """Turn raw model output into a ``Draft`` holding only cited, supported sentences, renumbered 1..N.

    A citation is one (passage, supporting sentence) pair: two answer sentences resting on different
    sentences of one passage get two numbers, so every ``Citation.span`` is the evidence for its marker.
    """
    notes: list[str] = []
    if not output.strip():
        return abstain(["the model returned no text"])
    if _NOT_IN_DOCUMENTS.search(output):
        return abstain(["the model said the documents do not contain the answer"])

    numbers: dict[tuple[int, tuple[int, int]], int] = {}  # (passage index, span) -> citation number
    citations: list[Citation] = []
    kept: list[str] = []
    removed: list[dict[str, str]] = []
    read = "\n".join(p.text for p in passages)  # what the model was shown: it says which words are names
    for position, sent in enumerate(split_generated(output)):
        if is_abstention(sent.text):
            if position == 0:
                return abstain([f"the model said it cannot answer: {sent.text!r}"])
            notes.append(f"dropped a sentence saying the documents do not answer: {sent.text!r}")
            continue
        valid = [n for n in sent.markers if 1 <= n <= len(passages)]
        bad = [n for n in sent.markers if n not in valid]
        if bad:
            notes.append(f"removed marker(s) {_fmt(bad)} pointing at no given passage (given: 1-{len(passages)})")
        if not valid:
            notes.append(f"dropped an uncited sentence: {sent.text!r}")
            removed.append({"sentence": sent.text, "reason": "cites no passage it was given", "cited": ""})
            continue
        verdict, backing = verify_cited(
            sent.text, [passages[n - 1].text for n in valid], read, min_support=min_support
        )
        if not verdict.supported:
            notes.append(f"dropped a sentence not supported by {_fmt(valid)} ({verdict.reason}): {sent.text!r}")
            removed.append({"sentence": sent.text, "reason": verdict.reason, "cited": _fmt(valid)})
            continue
        if len(kept) == max_sentences:
            notes.append(f"dropped sentences beyond the first {max_sentences}")
            break
        backing_markers = [valid[i] for i in backing]
        if len(backing_markers) < len(valid):
            weak = [n for n in valid if n not in backing_markers]
            notes.append(f"removed marker(s) {_fmt(weak)} whose passage does not support: {sent.text!r}")
        marks = []
        for n in backing_markers:
            passage = passages[n - 1]
            span = verify(sent.text, passage.text, read, min_support).span if len(backing_markers) > 1 else verdict.span
            key = (n - 1, span)
            if key not in numbers:
                numbers[key] = len(citations) + 1
                citations.append(_citation(numbers[key], passage, span))
            if numbers[key] not in marks:
                marks.append(numbers[key])
        kept.append(_with_markers(sent.text, marks))

    if not kept:
        draft = abstain([*notes, "no generated sentence was supported by the passages it cited"])
        draft.removed = removed
        return draft
    return Draft(text=" ".join(kept), citations=citations, notes=notes, removed=removed)


def abstain(notes: list[str]) -> Draft:
    """The answerer's own abstention: the fixed "not covered" text and no citations."""
    return Draft(text=NOT_COVERED, citations=[], abstained=True, notes=notes)


def _citation(number: int, passage: Passage, span: tuple[int, int]) -> Citation:
    return Citation(
        number=number,
        doc_id=passage.doc_id,
        title=passage.title,
        source=passage.source,
        page=passage.page,
        passage_id=passage.id,
        passage=passage.text,
        sentence=passage.text[span[0] : span[1]],
        span=span,
        page_break=page_break_in(passage, span),
    )


def _with_markers(text: str, numbers: list[int]) -> str:
    """``The panel met [1][2].``: markers go before the end mark (and after closing quotes) so they stay with it."""
    marks = "".join(f"[{n}]" for n in numbers)
    match = re.search(r"([.!?…]+)([\"'”’)]*)$", text)
    if match:
        return f"{text[: match.start()]}{match.group(2)} {marks}{match.group(1)}"
    return f"{text} {marks}."


def _fmt(numbers: list[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)
