"""``Assistant``: where a question becomes a cited answer. The UI, the CLI and the evaluation call it.

    question + history -> ``Question`` (read once: markup removed, language, kind, topic, names,
    terms, asks or sides, follow-up resolution) -> vectors -> hybrid retrieval -> sentence evidence
    -> status: not covered ("The documents don't cover this." + what is missing + closest passages),
       uncertain ("No passage answers this directly. Closest:" + the 3 best units), or answered
       (the answerer, shaped by the kind: extractive by default, or an LLM whose output is checked).
A question of two asks is answered ask by ask, a comparison side by side, each under its label.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from assistant.answer import ANSWERED, CLOSEST, NOT_COVERED, NOT_COVERED_STATUS, UNCERTAIN, Answer
from assistant.answering.abstention import AbstentionPolicy, Focus, far_off, focus_of, support_signals, why_not
from assistant.answering.base import Answerer, Draft
from assistant.answering.compose import Section, combine, not_covered_text, status_of
from assistant.answering.evidence import EvidenceScorer
from assistant.answering.extractive import ExtractiveAnswerer, pieces
from assistant.answering.units import UnitBuilder
from assistant.components import Components, build
from assistant.reading.language import name as language_name
from assistant.reading.question import Question, Vectors, read
from assistant.reading.text import words
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
        self.abstention = AbstentionPolicy(
            self.settings.abstain_threshold, answer_threshold=self.settings.answer_threshold
        )
        self.documents = DocumentCards(components.embedder, self.keyword_index)
        self.units = UnitBuilder(self.sentence_index, self.keyword_index, self.settings.max_list_items)
        self.answerer = answerer or make_answerer(self.settings, backend, self.units)
        self.candidates = make_answerer(self.settings, "extractive", self.units)  # an uncertain answer's, offline

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

    def _document_asked_about(self, q: Question, retrieval: Retrieval) -> str | None:
        """"What happened when the panel met for the first time?", "Who wrote the WACC article?": the
        one document the question is about, read through, when one clearly is (``DocumentCards``)."""
        self.sentence_index.prefetch(retrieval.passages)
        best: dict[str, float] = {}
        for s in self.evidence.score(q.asked, retrieval.query_vector, retrieval.passages):
            best.setdefault(s.passage.doc_id, s.score)
        return self.documents.about(q.asked, retrieval.query_vector, retrieval.passages, best)

    def _embed(self, text: str) -> np.ndarray:
        return np.asarray(self.retriever.embedder.embed_query(text), dtype=np.float32)

    def _vectors(self, q: Question) -> Question:
        """The question with its vectors. Sentences are ranked by the question's own words (a follow-up's
        context counts apart), blended with those words without the names when it names someone (one
        more embedding): sentence similarity is linear in it, so this ranks by both similarities."""
        query = self._embed(q.query)
        own = query if not q.is_follow_up else self._embed(q.asked)
        bare = q.asked
        for name in q.names:
            bare = bare.replace(name, " ")
        asked = own
        if q.names and words(bare):
            asked = (1 - ASK_WEIGHT) * own + ASK_WEIGHT * self._embed(bare)
        return q.with_vectors(Vectors(query=query, asked=asked))

    def _foreign(self, q: Question) -> str:
        """The line for a question in a language no indexed passage is in; empty otherwise."""
        if q.language is None or self.store.has_language(q.language) is not False:
            return ""
        held = self.store.languages()
        documents = " and ".join(language_name(c) for c in held) if held else "another language"
        return (f"The question is in {language_name(q.language)}; the documents are in {documents}. "
                f"Ask in {language_name(held[0]) if held else 'their language'} to search them.")

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
        q = read(question, history)
        foreign = self._foreign(q) if q.text else ""
        if foreign:
            answer = Answer(question=q.text, text=not_covered_text(foreign), abstained=True, citations=[],
                            passages=[], query=q.query, backend=self.backend, kind=q.kind,
                            abstention_reason=foreign)
            yield answer.text
        elif q.sides or q.asks:
            answer = yield from self._in_parts(q, k, doc_ids)
        else:
            answer = yield from self._one(q, k, doc_ids)
        answer.question = q.text or question.strip()
        answer.why = answer.why or why(answer)
        answer.timings["total"] = time.perf_counter() - started
        yield answer

    def _in_parts(self, q: Question, k: int | None, doc_ids: list[str] | None) -> Iterator[str | Answer]:
        """Each ask (or side) answered on its own, under its label; a comparison's sides with the date
        of the document each is answered from, and "which came first" from those dates."""
        parts = q.sides or q.asks
        sections: list[Section] = []
        for label, part in zip(q.labels, parts, strict=True):
            scope = doc_ids
            if q.sides:  # a side names a document, event or person: read that document when one leads
                scope = self._side_scope(part, k, doc_ids)
            answer = yield from self._one(part, k, scope, streaming=False)
            sections.append(Section(label, answer, _dated(answer) if q.sides else ""))
        text, citations, passages = combine(sections)
        if q.which_first:
            text = f"{_which_first(sections)}\n\n{text}"
        answers = [s.answer for s in sections]
        status = status_of(answers)
        yield from pieces(text)
        confidences = [a.confidence for a in answers if a.confidence is not None]
        return Answer(
            question=q.text, text=text if status != NOT_COVERED_STATUS else not_covered_text(
                " ".join(a.abstention_reason for a in answers if a.abstention_reason)),
            abstained=status == NOT_COVERED_STATUS, citations=citations if status != NOT_COVERED_STATUS else [],
            passages=passages, query=" | ".join(a.query for a in answers), backend=self.backend,
            confidence=min(confidences) if confidences else None, kind=q.kind, status=status,
            timings={f"{n}.{key}": v for n, a in enumerate(answers, 1) for key, v in a.timings.items()},
            notes=[note for a in answers for note in a.notes],
            why=_parts_why(q, answers),
        )

    def _side_scope(self, side: Question, k: int | None, doc_ids: list[str] | None) -> list[str] | None:
        side = self._vectors(side)
        retrieval = self.retriever.retrieve(side.query, k=k, doc_ids=doc_ids, vector=side.vectors.query)
        named = self._document_asked_about(side, retrieval)
        return [named] if named else doc_ids

    def _one(
        self, q: Question, k: int | None, doc_ids: list[str] | None, streaming: bool = True
    ) -> Iterator[str | Answer]:
        """One ask: search, evidence, the status, and the answerer."""
        q = self._vectors(q)
        form = q.form
        if form.kind == "summary":
            k = max(k or self.settings.k, SUMMARY_K)
        retrieval = self.retriever.retrieve(q.query, k=k, doc_ids=doc_ids, vector=q.vectors.query)
        # "what happened at the first meeting", "who wrote the WACC article": one document, read through
        about_one = form.kind == "summary" or form.expected_type == "author"
        named = self._document_asked_about(q, retrieval) if about_one else None
        if named:  # an author's byline may be any of the document's passages: read more of them
            reach = max(k or self.settings.k, BYLINE_K) if form.expected_type == "author" else k
            retrieval = self.retriever.retrieve(q.query, k=reach, doc_ids=[named], vector=q.vectors.query)
        timings = dict(retrieval.timings)

        t0 = time.perf_counter()
        self.sentence_index.prefetch(retrieval.passages)  # one read for all the passages' sentences
        scored = self.evidence.score_question(q, retrieval)
        focus = focus_of(q, self.keyword_index)
        signals = support_signals(q, retrieval, scored, self.keyword_index, focus)
        confidence = self.abstention.confidence(signals)
        lead = self.abstention.lead_confidence(signals, form.kind)
        timings["evidence"] = time.perf_counter() - t0

        answer = Answer(
            question=q.text, text="", abstained=False, citations=[], passages=retrieval.passages,
            timings=timings, query=q.query, backend=self.backend, confidence=round(confidence, 4),
            signals={**{name: round(value, 4) for name, value in signals.as_dict().items()},
                     "lead_confidence": round(lead, 4)}, kind=form.kind,
        )
        unnamed = form.expected_type == "author" and not any(s.typed for s in scored)
        offline_answers = not unnamed and self.abstention.answers(signals, confidence, focus)
        # A model reads the passages itself and may say NOT IN THE DOCUMENTS: only a topic the
        # documents never touch is stopped before it (the offline scorer refuses paraphrases).
        model_reads = getattr(self.answerer, "reads_near_topic", False)
        stop = (topic_untouched(focus) or far_off(signals)) if model_reads else not offline_answers
        answer.reader = self.reader
        if not q.text or not retrieval.passages or stop:
            answer.abstained = True
            answer.abstention_reason = NO_BYLINE if unnamed else why_not(focus, signals, form.expected_type)
            answer.text = not_covered_text(answer.abstention_reason)
            answer.status = NOT_COVERED_STATUS
            if streaming:
                yield answer.text
            return answer
        t0 = time.perf_counter()
        # a summary of the one document the question names is that document's own account: stated
        stated = model_reads or self.abstention.states(lead) or (named is not None and form.kind == "summary")
        if not stated:  # candidates: the 3 best units, or the list or summary as shaped
            shaped = form.kind in ("list", "summary")
            draft = self.candidates.answer(
                q.text, retrieval.passages, scored, kind=form.kind if shaped else "candidates"
            )
            draft.text = f"{CLOSEST}\n\n{draft.text}"
            answer.status = UNCERTAIN
            if streaming:
                yield from pieces(draft.text)
        else:
            draft = None
            try:
                for piece in self.answerer.stream(q.text, retrieval.passages, scored, kind=form.kind):
                    if isinstance(piece, Draft):
                        draft = piece
                    elif streaming:
                        yield piece
            except Exception as exc:  # the model's server stopped answering: say so, answer offline
                if not is_unreachable(exc):
                    raise
                draft = self._offline_instead(q.text, retrieval.passages, scored, form.kind, offline_answers, exc)
                answer.reader = OFFLINE_READER  # the final Answer replaces the model's streamed text
            assert draft is not None
            answer.status = ANSWERED
        timings["answer"] = time.perf_counter() - t0
        if draft.check_seconds:
            timings["check"] = draft.check_seconds
        answer.removed = draft.removed
        answer.text, answer.citations, answer.notes = draft.text, draft.citations, draft.notes
        given = {p.id for p in answer.passages}
        answer.passages = answer.passages + [p for p in draft.passages if p.id not in given]
        if draft.abstained:
            answer.abstained, answer.text, answer.status = True, NOT_COVERED, NOT_COVERED_STATUS
        return answer

def why(answer: Answer) -> str:
    """The one line beside an answer's status badge."""
    if answer.status == ANSWERED:
        sure = f" (estimated {answer.confidence:.0%} that the documents answer it)" if answer.confidence else ""
        return f"The first quote is the passage sentence that answers best{sure}."
    if answer.status == UNCERTAIN:
        return "No passage clearly answers this: the closest quotes are shown for you to judge."
    return answer.abstention_reason or "No passage comes close enough to the question."


def _parts_why(q: Question, answers: list[Answer]) -> str:
    told = sum(a.status == ANSWERED for a in answers)
    what = "sides" if q.sides else "parts"
    if told == len(answers):
        return f"Each of the {len(answers)} {what} is answered from its own passages."
    missing = sum(a.status == NOT_COVERED_STATUS for a in answers)
    unsure = len(answers) - told - missing
    pieces = [f"{told} of {len(answers)} {what} answered"]
    if unsure:
        pieces.append(f"{unsure} only by the closest passages")
    if missing:
        pieces.append(f"{missing} not in the documents")
    return ", ".join(pieces) + "."


def _dated(answer: Answer) -> str:
    """The document a side is answered from, with its date: "First meeting press release, 2018-09"."""
    if not answer.citations:
        return ""
    first = answer.citations[0]
    passage = next((p for p in answer.passages if p.id == first.passage_id), None)
    date = str(passage.metadata.get("date", "")) if passage else ""
    return f"{first.title}, {date}" if date else first.title


def _which_first(sections: list[Section]) -> str:
    """"Which came first": from the dates of the documents each side is answered from, or saying so."""
    dated = []
    for section in sections:
        a = section.answer
        passage = next((p for p in a.passages if a.citations and p.id == a.citations[0].passage_id), None)
        date = str(passage.metadata.get("date", "")) if passage else ""
        dated.append((date, section.label))
    if not all(d for d, _ in dated) or len({d for d, _ in dated}) < len(dated):
        return "The documents' dates don't settle which came first; what each says is below."
    ordered = sorted(dated)
    later = re.sub(r"^The\b", "the", ordered[1][1])
    return (f"{ordered[0][1]} came first ({ordered[0][0]}), then {later} ({ordered[1][0]}), "
            "by the dates of the documents quoted below.")

