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
  It decides only when the unknown word is the question's topic ("What did Jack Ma say about
  cryptocurrency?") and reads as terminology (see ``missing_topic``);
- ``topic_held``: one of the best sentences, read with the sentence before it, holds every name the
  question names and the words of its topic slot ("about ..."): the speaker and the subject of "What
  did Jack Ma say about migration?" must meet, not merely both occur in the corpus.
They are combined by a logistic model into ``confidence``, the estimated probability that the
documents answer the question; below ``Settings.abstain_threshold`` the assistant abstains. The
weights were fitted on the regression set and the threshold chosen by leave-one-out validation so
that at most 3% of answerable questions are refused (``python -m eval.calibrate`` re-fits them and
prints the figures). ``best_coverage`` and ``agreement`` are measured and shown but did not improve
the held-out result, so their weights are zero. Of the conjunction signals ``typed`` and ``topic_held`` earn a
weight (``topic_held`` lifts leave-one-out abstention recall from 0.05 to about 0.2 at about 1% false
abstentions); on the regression set ``focus_held`` and ``focus_unknown`` point the wrong way (area under the
ROC curve 0.44 and 0.47: near-topic questions reuse the documents' own words, while answerable ones
paraphrase), and so does ``known_terms`` once they are in; a model that learnt "unknown words mean
answerable" would be fitting how the questions were written, so they are shown and used to explain
an abstention, not to decide it.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field

from assistant.answering.evidence import ScoredSentence
from assistant.answering.value_types import names_someone, without_titles
from assistant.reading.follow_up import ORDINALS
from assistant.reading.question import Question
from assistant.reading.text import STOPWORDS, VARIANT_PREFIX, query_terms, stem, words
from assistant.search.keyword_index import KeywordIndex
from assistant.search.retrieval import Retrieval

#: Logistic weights of the signals and the intercept, fitted by ``python -m eval.calibrate``.
WEIGHTS = {"best_similarity": 2.233, "top_dense": 1.472, "typed": 0.995, "topic_held": 1.932}
BIAS = -3.613


#: Logistic weights of the lead model (is the first sentence the answer?), by ``python -m eval.calibrate_status``.
LEAD_WEIGHTS: dict[str, float] = {
    "lead_score": 1.146, "lead_margin": 1.352, "lead_coverage": -0.884, "lead_typed": 0.334, "best_similarity": 1.015,
    "top_dense": 0.91, "kind_list": -0.152, "kind_summary": 0.766, "kind_reason": 0.591,
}
LEAD_BIAS = -1.708
#: No passage even loosely like the question (cosine similarity of the best one): its topic is one the
#: documents never touch, whatever else the signals say.
FAR_OFF = 0.2
LEAD_KINDS = ("list", "summary", "reason")  # answer kinds with a weight of their own; factoid is the baseline

FOCUS_RARE = 2  # rarest non-name terms of the question that join its names as focus terms


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
    topic_held: float = 1.0
    # the sentence an answer would lead with: how it scores, by how much it leads, what it holds
    lead_score: float = 0.0
    lead_margin: float = 0.0
    lead_coverage: float = 0.0
    lead_typed: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


#: The topic slot of a question: what follows "about", "regarding", "concerning", "on the issue of".
_TOPIC = re.compile(r"\b(?:about|regarding|concerning|on the (?:subject|topic|issue|question) of)\s+(.+)$", re.I)
TOPIC_TOP = 8  # best sentences searched for one that holds the question's names and topic together
TERM_LETTERS = 7  # an unknown word this long (not an -ed/-ing form) reads as terminology, not a paraphrase


@dataclass
class Focus:
    """The terms a question is about, and which of them the documents never use."""

    terms: dict[str, float]  # focus term -> idf weight
    names: list[str]  # the question's names, as written
    unknown: list[str]  # focus words (as written in the question) the corpus never uses
    missing_topic: list[str] = field(default_factory=list)  # unknown words that name what is asked about
    topic: list[str] = field(default_factory=list)  # the words of the question's topic slot the corpus uses
    own_names: list[str] = field(default_factory=list)  # names the question itself gives (not a follow-up's context)


def missing_topic(question: str, unknown: list[str]) -> list[str]:
    """Unknown words in the question's topic slot that look like terminology ("cryptocurrency",
    "5G"): the documents cannot be about a topic they never name. A short or inflected unknown word
    ("link", "recalled") is more likely a paraphrase and decides nothing."""
    match = _TOPIC.search(question)
    if not match:
        return []
    slot = {w.lower() for w in words(match.group(1))}
    return [
        w for w in unknown
        if w.lower() in slot and (any(c.isdigit() for c in w) or (
            len(w) >= TERM_LETTERS and not w.lower().endswith(("ed", "ing"))
        ))
    ]


def focus_of(q: Question, keyword: KeywordIndex) -> Focus:
    """The focus of the question's search (its query): for a follow-up that holds the earlier turn's
    names, but the names the answer must hold are the question's own.

    Focus terms are the names and the rarest words the corpus knows; words it never uses (a paraphrase,
    or a topic it lacks) are listed apart: holding them together cannot be asked of any passage."""
    question, names = q.query, list(q.query_names)
    name_terms = {stem(w) for n in names for w in words(n)}
    asked = query_terms(question)
    surface = {stem(w): w for w in reversed(words(question))}
    unknown = [t for t in asked if not known(t, keyword)]
    rare = sorted(
        (t for t in asked if t not in name_terms and t not in unknown), key=lambda t: -keyword.idf(t)
    )[:FOCUS_RARE]
    focus = {t: keyword.idf(t) for t in asked if (t in name_terms or t in rare) and t not in unknown}
    unknown_words = [surface.get(t, t) for t in unknown]
    own = q.asked
    own_names = [without_titles(n) for n in q.names if names_someone(n)]
    return Focus(
        focus, names, unknown_words, missing_topic(question, unknown_words), topic_slot(own, keyword), own_names
    )


def known(term: str, keyword: KeywordIndex) -> bool:
    """In the corpus as such, or as a variant sharing its first ``VARIANT_PREFIX`` letters."""
    if keyword.contains(term):
        return True
    return len(term) >= VARIANT_PREFIX and keyword.has_prefix(term[:VARIANT_PREFIX])


def support_signals(
    q: Question, retrieval: Retrieval, scored: list[ScoredSentence], keyword: KeywordIndex,
    focus: Focus | None = None,
) -> SupportSignals:
    question, expected_type = q.query, q.expected_type
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
    if scored:
        lead = scored[0]
        signals.lead_score, signals.lead_coverage, signals.lead_typed = lead.score, lead.coverage, float(lead.typed)
        signals.lead_margin = lead.score - scored[1].score if len(scored) > 1 else lead.score
    if focus and focus.terms:
        total_focus = sum(focus.terms.values()) or 1.0
        held = [(sum(w for t, w in focus.terms.items() if t in s.setting_terms) / total_focus, s) for s in scored]
        signals.focus_held = max((h for h, _ in held), default=0.0)
        if expected_type in TYPE_NOUN:  # a quotation is not a value the calibrated model was fitted on
            signals.typed = float(any(s.typed for h, s in held if h >= 0.5))
        signals.focus_unknown = float(bool(focus.unknown))
    if focus:
        name_terms = [[stem(w) for w in words(n)] for n in focus.own_names]
        signals.topic_held = topic_held(query_terms(" ".join(focus.topic)), name_terms, scored)
    return signals


_SURFACE_WORD = re.compile(r"[\w’'-]+")
_SLOT_LEAD = re.compile(r"^(?:(?:the|a|an|his|her|their|its|this|that|these|those)\s+)*", re.I)


def topic_slot(question: str, keyword: KeywordIndex) -> list[str]:
    """The terms of the noun phrase after "about" (up to the first function word), those the corpus
    uses: "about the trust deficit disorder" -> trust, deficit, disorder; "about during the webcast" has
    none. A word the corpus never uses cannot be asked of a sentence (``missing_topic`` judges it)."""
    match = _TOPIC.search(question)
    if not match:
        return []
    phrase = []
    for w in _SURFACE_WORD.findall(_SLOT_LEAD.sub("", match.group(1))):  # as written: "eTrade", not "etrade"
        if words(w) and words(w)[0] in STOPWORDS:
            break
        if w.lower() in ORDINALS or w.lower() in ("one", "ones"):
            continue  # "about the eighth one" points at a list item; the follow-up's query names it
        phrase.append(w)
    return [w for w in phrase if all(known(t, keyword) for t in query_terms(w))]


def _held(term: str, near: frozenset[str]) -> bool:
    return term in near or (len(term) >= VARIANT_PREFIX and any(t.startswith(term[:VARIANT_PREFIX]) for t in near))


def _named(name: list[str], near: frozenset[str]) -> bool:
    """A name is held whole, or by its last word: after the first mention "Jack Ma" is "Ma"."""
    return all(_held(w, near) for w in name) or _held(name[-1], near)


def topic_held(topic: list[str], names: list[list[str]], scored: list[ScoredSentence], top: int = TOPIC_TOP) -> float:
    """Whether one of the best sentences, read with the sentence before it (where a quotation's
    speaker or a pronoun's subject usually is), names everyone the question names *and* what it asks
    about: "What did Jack Ma say about migration?" finds Ma's sentences and migration's, never one
    that holds both. The best share over the top sentences; 1 when the question has neither."""
    if not names and not topic:
        return 1.0
    best = 0.0
    for s in scored[:top]:
        name_share = sum(_named(n, s.near_terms) for n in names) / len(names) if names else 1.0
        topic_share = sum(_held(t, s.near_terms) for t in topic) / len(topic) if topic else 1.0
        best = max(best, min(name_share, topic_share))
    return best


def why_not(focus: Focus, signals: SupportSignals, expected_type: str | None) -> str:
    """One sentence saying which part of the question the documents don't cover, when we can tell."""
    mentioned = " and ".join(focus.own_names or focus.names)
    if focus.missing_topic or focus.unknown:
        missing = " or ".join(f"“{w}”" for w in focus.missing_topic or focus.unknown)
        if mentioned:
            return f"The documents mention {mentioned} but say nothing about {missing}."
        return f"The documents never mention {missing}."
    if signals.topic_held < 1 and focus.own_names and focus.topic:
        topic = " ".join(focus.topic)
        if any(topic.lower() in n.lower() for n in focus.own_names):  # "What did Lee say about Jack Ma?"
            return f"The documents mention {mentioned}, but no passage puts them together."
        return f"The documents mention {mentioned} and “{topic}”, but no passage puts them together."
    if expected_type in TYPE_NOUN and signals.typed < 1 and mentioned:
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


def far_off(signals: SupportSignals) -> bool:
    """No passage is even loosely like the question, or none of its words is the corpus's: a topic the
    documents never touch, whoever reads the passages."""
    return signals.top_dense < FAR_OFF or signals.known_terms == 0


class AbstentionPolicy:
    def __init__(
        self, threshold: float, weights: dict[str, float] | None = None, bias: float = BIAS,
        answer_threshold: float | None = None,
    ) -> None:
        self.threshold = threshold
        self.answer_threshold = threshold if answer_threshold is None else max(threshold, answer_threshold)
        self.weights = weights or WEIGHTS
        self.bias = bias

    def confidence(self, signals: SupportSignals) -> float:
        return confidence(signals, self.weights, self.bias)

    def answers(self, signals: SupportSignals, confidence: float, focus: Focus | None = None) -> bool:
        """Confident enough, and not asked about a topic the documents never name."""
        return confidence >= self.threshold and not far_off(signals) and not (focus and focus.missing_topic)

    def lead_confidence(self, signals: SupportSignals, kind: str) -> float:
        """Estimated probability that the answer's first sentence is right (1 before the model is fitted)."""
        if not LEAD_WEIGHTS:
            return 1.0
        values = {**signals.as_dict(), **{f"kind_{k}": float(kind == k) for k in LEAD_KINDS}}
        z = LEAD_BIAS + sum(w * values.get(name, 0.0) for name, w in LEAD_WEIGHTS.items())
        return 1.0 / (1.0 + math.exp(-z))

    def states(self, lead_confidence: float) -> bool:
        """Sure enough to state the best unit as the answer; below, the closest units are candidates."""
        return lead_confidence >= self.answer_threshold
