"""Scores every sentence of the retrieved passages against the question.

Shared by the extractive answerer (which quotes the best ones) and the abstention decision (which
asks whether the best one is good enough). Two signals: semantic similarity of the stored sentence
vector to the question, and coverage of the question's key terms weighted by their rarity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from assistant.answer import Passage
from assistant.answering.value_types import holds_value
from assistant.reading.question import Question
from assistant.reading.text import query_terms, terms, words
from assistant.search.keyword_index import KeywordIndex
from assistant.search.retrieval import Retrieval
from assistant.search.sentence_index import SentenceIndex, SentenceRow

SIMILARITY_WEIGHT = 1.0
COVERAGE_WEIGHT = 0.7
RANK_WEIGHT = 0.05  # a nudge toward sentences of better-ranked passages
ECHO_WEIGHT = 0.15  # a sentence made only of the question's own words restates it rather than answers it
CONTEXT_WEIGHT = 0.3  # for a follow-up, how much the earlier turn counts next to the question itself
SETTING_WEIGHT = 0.25  # question terms met only by the sentence's setting (title, section, paragraph) count this much
TYPE_WEIGHT = 0.1  # a sentence holding a value of the type asked for ("how many" -> a number)
#: ... words said, for "how did she describe / what did he say" (a quotation, reported speech). Held-out
#: sets read for diagnosis: lead accuracy 0.696 -> 0.783 (held-out 2), regression set unchanged; 0.1 gained
#: half as much, 0.2 cost the regression set a "what did he call ..." answered by reported speech.
QUOTE_WEIGHT = 0.15
SPEAKER_WEIGHT = 0.15  # "what did X say": a sentence whose speaker is X, over one that merely names X
AUTHOR_WEIGHT = 1.0  # ... a byline, for "who wrote ...": the one sentence that names the author, whatever it says


@dataclass
class ScoredSentence:
    passage: Passage
    passage_rank: int  # 0-based rank of the passage in the retrieval
    text: str
    span: tuple[int, int]  # offsets inside passage.text
    similarity: float
    coverage: float  # idf-weighted share of the question's terms found in the sentence
    setting_coverage: float  # ... found in the sentence or its setting: document title and section
    setting_terms: frozenset[str]  # the sentence's terms, its setting's and its paragraph's
    terms: frozenset[str]
    score: float
    row: SentenceRow | None = None  # the stored sentence, with its layout role
    typed: bool = False  # holds a value of the question's expected type
    near_terms: frozenset[str] = frozenset()  # its terms and the previous sentence's (speaker, subject)

    @property
    def position(self) -> tuple[str, int, int]:
        return (self.passage.doc_id, self.passage.page or 0, self.passage.char_start + self.span[0])


#: A sentence that introduces what someone said: "Guterres says:", "…, Ma said", "she warned that".
_ATTRIBUTION = re.compile(
    r"\b(?:says?|said|told|tells|notes?|noted|adds?|added|warns?|warned|stress(?:es|ed)?|urged?|argued?|"
    r"explained|called on|asked|according to)\b|:\s*[“\"]",
    re.I,
)
ATTRIBUTION_REACH = 6  # sentences searched back for the one that introduces a quotation


def near_terms(rows: list[SentenceRow], i: int) -> frozenset[str]:
    """The sentence's terms with the previous sentence's, or, when the nearest attribution is further
    back in the passage, with every sentence back to it: a quotation's fourth sentence is still the
    speaker's, who is named only where the quotation began."""
    held = set(rows[i].terms)
    for j in range(i - 1, max(-1, i - 1 - ATTRIBUTION_REACH), -1):
        if _ATTRIBUTION.search(rows[j].text):
            for k in range(j, i):
                held |= rows[k].terms
            return frozenset(held)
    return frozenset(held | (rows[i - 1].terms if i else set()))


def _inside_quotation(rows: list[SentenceRow], i: int) -> bool:
    """Whether a quotation opened earlier in the sentence's paragraph is still open when it starts:
    "There are many mutually beneficial solutions ..." is the Secretary-General's words."""
    before = [r.text for r in rows[:i] if r.para == rows[i].para]
    text = " ".join(before)
    return text.count("“") > text.count("”")


@lru_cache(maxsize=4096)
def _speaker_terms(speaker: str) -> frozenset[str]:
    return frozenset(terms(speaker))


class EvidenceScorer:
    def __init__(self, sentence_index: SentenceIndex, keyword_index: KeywordIndex) -> None:
        self.sentences = sentence_index
        self.keyword = keyword_index

    @staticmethod
    @lru_cache(maxsize=1024)
    def _section_terms(section: str) -> frozenset[str]:
        return frozenset(terms(section))

    def question_weights(self, question: str, context: str = "") -> dict[str, float]:
        weights = {t: CONTEXT_WEIGHT * self.keyword.idf(t) for t in query_terms(context)}
        weights.update({t: self.keyword.idf(t) for t in query_terms(question)})
        return weights

    def score_question(self, q: Question, retrieval: Retrieval) -> list[ScoredSentence]:
        """Every sentence of the retrieved passages scored against the question as read: by its own
        words, with a follow-up's earlier turn (its query) as the lesser context."""
        assert q.vectors is not None, "the question's vectors are computed before its evidence"
        context, context_vector = (q.query, q.vectors.query) if q.is_follow_up else ("", None)
        return self.score(q.asked, q.vectors.asked, retrieval.passages, context=context,
                          context_vector=context_vector, expected_type=q.expected_type, anchors=q.anchors)

    def score(
        self, question: str, query_vector: np.ndarray, passages: list[Passage],
        context: str = "", context_vector: np.ndarray | None = None, expected_type: str | None = None,
        anchors: frozenset[str] = frozenset(),
    ) -> list[ScoredSentence]:
        """Every distinct sentence of ``passages``, best first.

        ``question`` is what the user asked now; ``context`` (with ``context_vector``) is the
        retrieval query of a follow-up, which also holds the earlier turn: it counts, but less.
        Headings are not evidence: they name a topic, they don't say anything about it.
        ``anchors`` are the terms of the question's names: a quotation rarely repeats its speaker, so a
        name the sentence's setting holds (title, section, paragraph) counts as if the sentence held it,
        and the sentence that merely names the people asked about does not outrank the one that answers.
        """
        own_words = set(words(question))
        type_weight = {"quote": QUOTE_WEIGHT, "author": AUTHOR_WEIGHT}.get(
            expected_type or "", TYPE_WEIGHT
        )
        weights = self.question_weights(question, context)
        total_weight = sum(weights.values()) or 1.0
        asked = set(weights)
        seen: set[tuple[str, int, int]] = set()
        scored: list[ScoredSentence] = []
        for rank, passage in enumerate(passages):
            rows = self.sentences.in_passage(passage, query_vector)
            if context_vector is not None:
                context_sims = dict(self.sentences.in_passage(passage, context_vector))
                rows = [(r, (1 - CONTEXT_WEIGHT) * s + CONTEXT_WEIGHT * context_sims.get(r, s)) for r, s in rows]
            title_terms = frozenset(terms(passage.title))
            in_order = [row for row, _ in rows]
            para_terms: dict[int, set[str]] = {}
            for row in in_order:
                para_terms.setdefault(row.para, set()).update(row.terms)
            for i, (row, sim) in enumerate(rows):
                key = (passage.doc_id, row.page or 0, row.char_start)
                if key in seen or row.role == "heading":
                    continue
                seen.add(key)
                row_terms = row.terms
                setting = row_terms | title_terms | self._section_terms(row.section)
                setting_coverage = sum(w for t, w in weights.items() if t in setting) / total_weight
                setting |= para_terms[row.para]  # the paragraph holds names together, but ranks no sentence
                held = row_terms | (anchors & setting)
                coverage = sum(w for t, w in weights.items() if t in held) / total_weight
                echo = 1.0 - len(row_terms - asked) / len(row_terms) if row_terms else 1.0
                start = row.char_start - passage.char_start
                named_speaker = row.speaker[:1].isupper()
                typed = bool(expected_type) and (
                    holds_value(row.text, expected_type, own_words)
                    or (expected_type == "quote" and _inside_quotation(in_order, i))
                    or (expected_type == "person" and named_speaker)  # "who said ...": the speaker is the name
                )
                spoken = expected_type == "quote" and bool(anchors) and bool(anchors & _speaker_terms(row.speaker))
                scored.append(
                    ScoredSentence(
                        passage=passage, passage_rank=rank, text=row.text,
                        span=(start, start + len(row.text)), similarity=float(sim), coverage=coverage,
                        setting_coverage=setting_coverage, setting_terms=frozenset(setting), terms=row_terms,
                        row=row, typed=typed, near_terms=near_terms(in_order, i),
                        score=SIMILARITY_WEIGHT * float(sim) + COVERAGE_WEIGHT * coverage
                        + SETTING_WEIGHT * (setting_coverage - coverage)
                        + RANK_WEIGHT / (1 + rank) - ECHO_WEIGHT * echo + type_weight * typed
                        + SPEAKER_WEIGHT * spoken,
                    )
                )
        scored.sort(key=lambda s: -s.score)
        return scored
