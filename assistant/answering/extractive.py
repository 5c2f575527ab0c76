"""The default answerer: a few verbatim sentences of the retrieved passages, each cited.

No language model, so nothing can be invented: every answer sentence is a sentence of the passage
its ``[n]`` points at. Sentences are chosen by the evidence scorer, the best first, then others
only when they are nearly as good and add something the question asks for (a second fact of a
list, another term of the question); they are shown in reading order.
"""

from __future__ import annotations

from collections.abc import Iterator

from assistant.answer import Citation, Passage
from assistant.answering.base import Draft
from assistant.answering.evidence import ScoredSentence
from assistant.text import query_terms

MARGIN = 0.2  # a further sentence must score within this of the best one
SAME_TERMS = 0.8  # share of terms above which two sentences say the same thing


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, max_sentences: int = 3) -> None:
        self.max_sentences = max_sentences

    def answer(
        self, question: str, passages: list[Passage], evidence: list[ScoredSentence] | None = None
    ) -> Draft:
        if not evidence:
            return Draft("", [], abstained=True)
        chosen = select(evidence, self.max_sentences, set(query_terms(question)))
        return compose(chosen)

    def stream(
        self, question: str, passages: list[Passage], evidence: list[ScoredSentence] | None = None
    ) -> Iterator[str | Draft]:
        draft = self.answer(question, passages, evidence)
        yield from _pieces(draft.text)
        yield draft


def select(scored: list[ScoredSentence], limit: int, asked: set[str]) -> list[ScoredSentence]:
    """The best sentence, then others close behind it that are not repeats and add an asked-for term
    or are nearly as similar to the question."""
    best = scored[0]
    chosen = [best]
    covered = set(best.terms)
    for cand in scored[1:]:
        if len(chosen) >= limit or cand.score < best.score - MARGIN:
            break
        if any(_same(cand, c) for c in chosen):
            continue
        adds_terms = bool((cand.terms & asked) - covered)
        if adds_terms or cand.similarity >= best.similarity - MARGIN / 3:
            chosen.append(cand)
            covered |= cand.terms
    first_seen = {}
    for c in chosen:  # documents in the order of their best sentence, sentences in reading order
        first_seen.setdefault(c.passage.doc_id, len(first_seen))
    return sorted(chosen, key=lambda c: (first_seen[c.passage.doc_id], c.position))


def _same(a: ScoredSentence, b: ScoredSentence) -> bool:
    if not a.terms or not b.terms:
        return a.text == b.text
    return len(a.terms & b.terms) / min(len(a.terms), len(b.terms)) >= SAME_TERMS


def compose(chosen: list[ScoredSentence]) -> Draft:
    citations: list[Citation] = []
    parts: list[str] = []
    for number, s in enumerate(chosen, start=1):
        p = s.passage
        citations.append(
            Citation(
                number=number, doc_id=p.doc_id, title=p.title, source=p.source, page=p.page,
                passage_id=p.id, passage=p.text, sentence=s.text, span=s.span,
            )
        )
        parts.append(f"{s.text} [{number}]")
    return Draft(" ".join(parts), citations)


def _pieces(text: str) -> Iterator[str]:
    """Word-sized pieces, so the UI streams an extractive answer like a generated one."""
    words = text.split(" ")
    for i in range(0, len(words), 4):
        yield " ".join(words[i : i + 4]) + (" " if i + 4 < len(words) else "")
