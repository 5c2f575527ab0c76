"""The calibrated "not in the documents" decision.

Signals, all computed from retrieval and the stored index, never from lists of words or questions:
- ``best_similarity``: cosine similarity of the best sentence of the retrieved passages;
- ``best_coverage``: how much of the question's (idf-weighted) key terms that sentence holds;
- ``known_terms``: idf-weighted share of the question's terms that occur anywhere in the corpus
  (a question about "penalty shoot-outs" has terms the corpus never uses);
- ``agreement``: whether dense and keyword search put the same passage near the top;
- ``focus_held``: the question's focus terms (its names and rarest content words) must be held
  *together* by one sentence and its setting (title, section, paragraph): the largest idf-weighted
  share any retrieved sentence holds. "What did Jack Ma say about cryptocurrency?" finds Jack Ma
  everywhere and cryptocurrency nowhere; "Which city hosted the third meeting?" finds the third
  meeting but no city with it;
- ``typed``: for "how many / when / who / where" questions, whether a sentence holding at least half
  the focus also holds a value of the asked type (a number, a date, a name, a place); 1 otherwise;
- ``focus_unknown``: a focus term the corpus never uses, not even in a variant form ("cryptocurrency").
  A strong sign, but not decisive on its own: a paraphrase ("deliver" for "report back") is unknown too.
They are combined by a logistic model into ``confidence``, the estimated probability that the
documents answer the question; below ``Settings.abstain_threshold`` the assistant abstains. The
weights were fitted on the regression set and the threshold chosen by leave-one-out validation so
that at most ~1 in 10 answerable questions is refused (``python -m eval.calibrate`` re-fits them and
prints the figures). ``best_coverage`` and ``agreement`` are measured and shown but did not improve
the held-out result, so their weights are zero. The conjunction signals (``focus_held``, ``typed``,
``focus_unknown``) separate near-topic questions only weakly on the regression set: questions people
write paraphrase freely, so an answerable question has a word the corpus never uses as often as an
unanswerable one (see the closing note of the trust-layer issue).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from assistant.answering.evidence import ScoredSentence
from assistant.keyword_index import KeywordIndex
from assistant.retrieval import Retrieval
from assistant.text import query_terms, stem, words

#: Logistic weights of the signals and the intercept, fitted by ``python -m eval.calibrate``.
WEIGHTS = {
    "best_similarity": 1.863, "known_terms": 0.473, "top_dense": 1.829, "focus_held": -0.595, "typed": 0.572,
    "focus_unknown": 0.298,
}
BIAS = -1.641


FOCUS_RARE = 2  # rarest non-name terms of the question that join its names as focus terms
VARIANT_PREFIX = 5  # a term unknown as such is known when a corpus term shares this many first letters


@dataclass
class SupportSignals:
    best_similarity: float
    best_coverage: float
    known_terms: float
    agreement: float
    top_dense: float
    focus_held: float = 1.0
    typed: float = 1.0
    focus_unknown: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass
class Focus:
    """The terms a question is about, and which of them the documents never use."""

    terms: dict[str, float]  # focus term -> idf weight
    names: list[str]  # the question's names, as written
    unknown: list[str]  # focus words (as written in the question) the corpus never uses


def focus_of(question: str, keyword: KeywordIndex, names: list[str]) -> Focus:
    name_terms = {stem(w) for n in names for w in words(n)}
    asked = query_terms(question)
    rare = sorted((t for t in asked if t not in name_terms), key=lambda t: -keyword.idf(t))[:FOCUS_RARE]
    focus = {t: keyword.idf(t) for t in asked if t in name_terms or t in rare}
    surface = {stem(w): w for w in reversed(words(question))}
    unknown = [surface.get(t, t) for t in focus if not known(t, keyword)]
    return Focus(focus, names, unknown)


def known(term: str, keyword: KeywordIndex) -> bool:
    """In the corpus as such, or as a variant sharing its first ``VARIANT_PREFIX`` letters."""
    if keyword.contains(term):
        return True
    return len(term) >= VARIANT_PREFIX and keyword.has_prefix(term[:VARIANT_PREFIX])


def support_signals(
    question: str, retrieval: Retrieval, scored: list[ScoredSentence], keyword: KeywordIndex,
    focus: Focus | None = None, expected_type: str | None = None,
) -> SupportSignals:
    best = max(scored, key=lambda s: s.similarity + s.coverage, default=None)
    weights = {t: keyword.idf(t) for t in query_terms(question)}
    total = sum(weights.values())
    known = sum(w for t, w in weights.items() if keyword.contains(t)) / total if total else 0.0
    top_dense = set(retrieval.dense_ids[:3])
    agreement = 1.0 if top_dense & set(retrieval.keyword_ids[:3]) else 0.0
    signals = SupportSignals(
        best_similarity=best.similarity if best else 0.0,
        best_coverage=best.coverage if best else 0.0,
        known_terms=known,
        agreement=agreement,
        top_dense=retrieval.top_dense_similarity,
    )
    if focus and focus.terms:
        total_focus = sum(focus.terms.values()) or 1.0
        held = [(sum(w for t, w in focus.terms.items() if t in s.setting_terms) / total_focus, s) for s in scored]
        signals.focus_held = max((h for h, _ in held), default=0.0)
        if expected_type:
            signals.typed = float(any(s.typed for h, s in held if h >= 0.5))
        signals.focus_unknown = float(bool(focus.unknown))
    return signals


def why_not(focus: Focus, signals: SupportSignals, expected_type: str | None) -> str:
    """One sentence saying which part of the question the documents don't cover, when we can tell."""
    mentioned = " and ".join(focus.names)
    if focus.unknown:
        missing = " or ".join(f"“{w}”" for w in focus.unknown)
        if mentioned:
            return f"The documents mention {mentioned} but say nothing about {missing}."
        return f"The documents never mention {missing}."
    if expected_type and signals.typed < 1 and mentioned:
        return f"The documents mention {mentioned} but give no {TYPE_NOUN[expected_type]} for what you asked."
    if signals.focus_held < 1 and mentioned:
        return f"The documents mention {mentioned}, but no passage answers what you asked about them."
    return ""


TYPE_NOUN = {"number": "number", "date": "date", "person": "name", "place": "place"}


def confidence(signals: SupportSignals, weights: dict[str, float] | None = None, bias: float = BIAS) -> float:
    """Estimated probability that the retrieved passages answer the question."""
    values = signals.as_dict()
    z = bias + sum(w * values[name] for name, w in (weights or WEIGHTS).items())
    return 1.0 / (1.0 + math.exp(-z))


class AbstentionPolicy:
    def __init__(self, threshold: float, weights: dict[str, float] | None = None, bias: float = BIAS) -> None:
        self.threshold = threshold
        self.weights = weights or WEIGHTS
        self.bias = bias

    def confidence(self, signals: SupportSignals) -> float:
        return confidence(signals, self.weights, self.bias)

    def answers(self, signals: SupportSignals, confidence: float) -> bool:
        return confidence >= self.threshold
