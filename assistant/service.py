"""``Assistant``: where a question becomes a cited answer. The UI, the CLI and the evaluation call it.

    question + history -> question kind (factoid / list / summary / reason) -> retrieval query
    (conversation) -> hybrid retrieval -> sentence evidence -> abstain?
        yes: "The documents don't cover this." + closest passages
        no:  answerer, shaped by the kind (extractive by default, or an LLM whose output is checked)
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from assistant.answer import ANSWERED, NOT_COVERED, NOT_COVERED_STATUS, Answer
from assistant.answering.abstention import AbstentionPolicy, Focus, focus_of, support_signals, why_not
from assistant.answering.base import Answerer, Draft
from assistant.answering.evidence import EvidenceScorer
from assistant.answering.extractive import ExtractiveAnswerer
from assistant.answering.units import UnitBuilder
from assistant.components import Components, build
from assistant.reading.follow_up import names, retrieval_query
from assistant.reading.kind import classify
from assistant.reading.text import stem, words
from assistant.search.documents import DocumentCards
from assistant.search.keyword_index import KeywordIndex
from assistant.search.retrieval import Retrieval, Retriever
from assistant.search.sentence_index import SentenceIndex
from assistant.settings import Settings

#: Summaries draw on more passages than a single fact needs.
SUMMARY_K = 10
BYLINE_K = 30  # "who wrote ...": passages of the one document read for its byline
NO_BYLINE = "No passage names who wrote it (no byline)."
#: Share of the sentence ranking that reads the question without its names. "Who co-chaired the
#: High-level Panel on Digital Cooperation?" is closest, as a whole, to any sentence that names the
#: panel; without the names it asks about co-chairing. Regression set: lead accuracy 0.692 -> 0.769,
#: list completeness 0.905 -> 0.952, follow-ups 0.857 -> 0.929 (0.3 helps less, 0.7 no more).
ASK_WEIGHT = 0.5


def make_answerer(settings: Settings, backend: str | None = None, units: UnitBuilder | None = None) -> Answerer:
    """``units`` (built over the assistant's indexes) lets the extractive answerer quote whole units."""
    backend = backend or settings.backend
    if backend == "extractive":
        return ExtractiveAnswerer(
            settings.max_answer_sentences, settings.max_list_items, settings.summary_units, units=units
        )
    if backend == "generative":
        from assistant.answering.generative import GenerativeAnswerer, chat_model_from_settings

        return GenerativeAnswerer(chat_model_from_settings(settings), max_sentences=settings.max_answer_sentences)
    raise ValueError(f"unknown backend {backend!r} (choose 'extractive' or 'generative')")


OFFLINE_READER = "offline reader (extractive)"


def topic_untouched(focus: Focus) -> bool:
    """The question's topic is a word the documents never use ("What did Jack Ma say about cryptocurrency?"),
    or none of its focus words is known to them: no passage can hold the answer, whoever reads it."""
    return bool(focus.missing_topic) or (bool(focus.unknown) and not focus.terms)


def is_unreachable(exc: BaseException) -> bool:
    """A connection refused, reset or timed out on the way to the model's server (not a bug of ours)."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"APIConnectionError", "APITimeoutError", "ConnectError", "ConnectionError",
                         "TimeoutException", "RemoteProtocolError", "ReadError", "InternalServerError"})


class Assistant:
    """Answers questions about the indexed documents, citing a passage for every sentence."""

    def __init__(
        self, components: Components, answerer: Answerer | None = None, backend: str | None = None
    ) -> None:
        self.settings = components.settings
        self.store = components.store
        self.keyword_index = KeywordIndex(self.store)
        self.sentence_index = SentenceIndex(self.store)
        self.retriever = Retriever(
            self.store, components.embedder, self.keyword_index, k=self.settings.k, sentence_index=self.sentence_index
        )
        self.evidence = EvidenceScorer(self.sentence_index, self.keyword_index)
        self.abstention = AbstentionPolicy(self.settings.abstain_threshold)
        self.documents = DocumentCards(components.embedder, self.keyword_index)
        self.units = UnitBuilder(self.sentence_index, self.keyword_index, self.settings.max_list_items)
        self.answerer = answerer or make_answerer(self.settings, backend, self.units)

    @classmethod
    def from_settings(cls, settings: Settings | None = None, backend: str | None = None) -> Assistant:
        return cls(build(settings), backend=backend)

    @property
    def backend(self) -> str:
        return self.answerer.name

    @property
    def reader(self) -> str:
        """Who writes the answers, as the UI shows it: the offline reader or the model and its server."""
        return getattr(self.answerer, "label", OFFLINE_READER)

    def _offline_instead(
        self, question: str, passages: list, scored: list, kind: str, offline_answers: bool, exc: BaseException
    ) -> Draft:
        """The offline reader's draft (or its abstention), with one line saying the model did not answer."""
        line = f"The language model did not answer ({type(exc).__name__}); this is the offline reader's answer."
        if not offline_answers:
            return Draft(text=NOT_COVERED, citations=[], abstained=True, notes=[line])
        offline = ExtractiveAnswerer(
            self.settings.max_answer_sentences, self.settings.max_list_items, self.settings.summary_units,
            units=self.units,
        )
        draft = offline.answer(question, passages, scored, kind=kind)
        draft.notes.insert(0, line)
        return draft

    def _document_asked_about(self, asked: str, retrieval: Retrieval) -> str | None:
        """"What happened when the panel met for the first time?", "Who wrote the WACC article?": the
        one document the question is about, read through, when one clearly is (``DocumentCards``)."""
        self.sentence_index.prefetch(retrieval.passages)
        best: dict[str, float] = {}
        for s in self.evidence.score(asked, retrieval.query_vector, retrieval.passages):
            best.setdefault(s.passage.doc_id, s.score)
        return self.documents.about(asked, retrieval.query_vector, retrieval.passages, best)

    def _asked_vector(self, asked: str, own_names: list[str], vector: np.ndarray) -> np.ndarray:
        """The question's vector blended with that of its words other than names (one more embedding,
        only when the question names someone). Sentence similarity is linear in it, so this ranks by
        the blend of both similarities."""
        bare = asked
        for name in own_names:
            bare = bare.replace(name, " ")
        if not own_names or not words(bare):
            return vector
        without = np.asarray(self.retriever.embedder.embed_query(bare), dtype=np.float32)
        return (1 - ASK_WEIGHT) * vector + ASK_WEIGHT * without

    def ask(
        self, question: str, history: Sequence[Any] | None = None, k: int | None = None,
        doc_ids: list[str] | None = None,
    ) -> Answer:
        final = None
        for item in self.stream(question, history, k, doc_ids):
            if isinstance(item, Answer):
                final = item
        assert final is not None
        return final

    def stream(
        self, question: str, history: Sequence[Any] | None = None, k: int | None = None,
        doc_ids: list[str] | None = None,
    ) -> Iterator[str | Answer]:
        """Text pieces as the answer is produced, then the final ``Answer``."""
        started = time.perf_counter()
        question = question.strip()
        form = classify(question)
        asked = form.topic or question  # "Summarize X" searches and scores on X
        query = retrieval_query(asked, history)
        if form.kind == "summary":
            k = max(k or self.settings.k, SUMMARY_K)
        retrieval = self.retriever.retrieve(query, k=k, doc_ids=doc_ids)
        # "what happened at the first meeting", "who wrote the WACC article": one document, read through
        about_one = form.kind == "summary" or form.expected_type == "author"
        named = self._document_asked_about(asked, retrieval) if about_one else None
        if named:  # an author's byline may be any of the document's passages: read more of them
            reach = max(k or self.settings.k, BYLINE_K) if form.expected_type == "author" else k
            retrieval = self.retriever.retrieve(query, k=reach, doc_ids=[named])
        timings = dict(retrieval.timings)

        t0 = time.perf_counter()
        self.sentence_index.prefetch(retrieval.passages)  # one read for all the passages' sentences
        own_names = names(asked)
        anchors = frozenset(stem(w) for n in own_names for w in words(n))
        if query == asked:
            scored = self.evidence.score(
                asked, self._asked_vector(asked, own_names, retrieval.query_vector), retrieval.passages,
                expected_type=form.expected_type, anchors=anchors,
            )
        else:  # a follow-up: rank sentences by the question itself, with the earlier turn as context
            own_vector = np.asarray(self.retriever.embedder.embed_query(asked), dtype=np.float32)
            scored = self.evidence.score(
                asked, self._asked_vector(asked, own_names, own_vector), retrieval.passages, context=query,
                context_vector=retrieval.query_vector, expected_type=form.expected_type, anchors=anchors,
            )
        focus = focus_of(query, self.keyword_index, names(query), asked)
        signals = support_signals(query, retrieval, scored, self.keyword_index, focus, form.expected_type)
        confidence = self.abstention.confidence(signals)
        timings["evidence"] = time.perf_counter() - t0

        answer = Answer(
            question=question, text="", abstained=False, citations=[], passages=retrieval.passages,
            timings=timings, query=query, backend=self.backend, confidence=round(confidence, 4),
            signals={name: round(value, 4) for name, value in signals.as_dict().items()}, kind=form.kind,
        )
        unnamed = form.expected_type == "author" and not any(s.typed for s in scored)
        offline_answers = not unnamed and self.abstention.answers(signals, confidence, focus)
        # A model reads the passages itself and may say NOT IN THE DOCUMENTS: only a topic the
        # documents never touch is stopped before it (the offline scorer refuses paraphrases).
        model_reads = getattr(self.answerer, "reads_near_topic", False)
        stop = topic_untouched(focus) if model_reads else not offline_answers
        answer.reader = self.reader
        if not question or not retrieval.passages or stop:
            answer.abstained = True
            answer.abstention_reason = NO_BYLINE if unnamed else why_not(focus, signals, form.expected_type)
            answer.text = f"{NOT_COVERED} {answer.abstention_reason}".strip()
            yield answer.text
        else:
            t0 = time.perf_counter()
            draft = None
            try:
                for piece in self.answerer.stream(question, retrieval.passages, scored, kind=form.kind):
                    if isinstance(piece, Draft):
                        draft = piece
                    else:
                        yield piece
            except Exception as exc:  # the model's server stopped answering: say so, answer offline
                if not is_unreachable(exc):
                    raise
                draft = self._offline_instead(question, retrieval.passages, scored, form.kind, offline_answers, exc)
                answer.reader = OFFLINE_READER  # the final Answer replaces the model's streamed text
            assert draft is not None
            timings["answer"] = time.perf_counter() - t0
            if draft.check_seconds:
                timings["check"] = draft.check_seconds
            answer.removed = draft.removed
            answer.text, answer.citations, answer.notes = draft.text, draft.citations, draft.notes
            given = {p.id for p in answer.passages}
            answer.passages = answer.passages + [p for p in draft.passages if p.id not in given]
            answer.abstained = draft.abstained
            if draft.abstained:
                answer.text = NOT_COVERED
        answer.status = NOT_COVERED_STATUS if answer.abstained else ANSWERED
        timings["total"] = time.perf_counter() - started
        yield answer
