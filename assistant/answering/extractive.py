"""The default answerer: verbatim quotes of the retrieved passages, each cited, shaped by the question.

No language model, so nothing can be invented: every quoted text is a span of the passage its
``[n]`` points at. What is quoted and how it is laid out depends on the question's kind
(``assistant.reading.kind``):
- factoid: the best answer unit first; another (up to ``max_sentences``) only when it scores close
  behind and adds a term the question asks about, or is nearly as similar to the question;
- reason: the unit holding the reason, with its continuation (a quotation, an announced sentence, or
  the next sentence of its paragraph, where a claim's ground usually is), then others as for a factoid;
- list: the lead-in and its items as a Markdown list, each item cited (up to ``max_items``); when no
  stored list answers, the best units as for a factoid;
- summary: up to ``summary_units`` units chosen for relevance and diversity (maximal marginal
  relevance over terms and sections) from the documents that answer best ("summarize the first
  meeting" is about one document, "the main recommendations" may span several), grouped under their
  document's title.
Units come from ``UnitBuilder`` (a sentence plus what it announces); without one, single sentences.
"""

from __future__ import annotations

from collections.abc import Iterator

from assistant.answer import Citation, Passage, page_break_in
from assistant.answering.base import Draft
from assistant.answering.evidence import ScoredSentence
from assistant.answering.units import Quote, Unit, UnitBuilder
from assistant.reading.structure import strip_item_marker
from assistant.reading.text import query_terms

MARGIN = 0.2  # a further unit must score within this of the best one
LIST_MARGIN = 0.1  # how far below the best sentence a list's lead-in or item may rank and still be the answer
SAME_TERMS = 0.8  # share of terms above which two sentences say the same thing
MMR_LAMBDA = 0.7  # summary: relevance against novelty
SECTION_PENALTY = 0.15  # summary: a second unit from an already quoted section counts as less new
SUMMARY_DOC_MARGIN = 0.1  # a summary draws on documents whose best sentence is this close to the best one
CANDIDATES = 3  # units shown when no passage answers directly
ANNOUNCES_WORDS = 8  # a sentence this short that ends its paragraph ("... are summarized below.") says nothing


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(
        self, max_sentences: int = 3, max_items: int = 10, summary_units: int = 6, units: UnitBuilder | None = None
    ) -> None:
        self.max_sentences = max_sentences
        self.max_items = max_items
        self.summary_units = summary_units
        self.units = units

    def answer(
        self, question: str, passages: list[Passage], evidence: list[ScoredSentence] | None = None,
        kind: str = "factoid",
    ) -> Draft:
        candidates = [s for s in evidence or [] if s.row is None or s.row.role != "heading"]
        if not candidates:
            return Draft("", [], abstained=True)
        asked = set(query_terms(question))
        if kind == "candidates":
            return compose_candidates(self._candidates(candidates, CANDIDATES))
        if kind == "list":
            listed = self._list(candidates)
            if listed:
                return compose_list(listed)
            return compose(self._best_units(candidates, asked, self.max_sentences))
        if kind == "summary":
            return compose_summary(self._summary(candidates))
        return compose(self._best_units(candidates, asked, self.max_sentences, explained=kind == "reason"))

    def stream(
        self, question: str, passages: list[Passage], evidence: list[ScoredSentence] | None = None,
        kind: str = "factoid",
    ) -> Iterator[str | Draft]:
        draft = self.answer(question, passages, evidence, kind)
        yield from pieces(draft.text)
        yield draft

    # --- choosing units ------------------------------------------------------------------

    def _unit(self, anchor: ScoredSentence, with_items: bool = False, explained: bool = False) -> Unit | None:
        if self.units is None:
            return Unit(anchor, [Quote(anchor.passage, anchor.span, anchor.text)])
        return self.units.build(anchor, with_items=with_items, explained=explained)

    def _best_units(
        self, scored: list[ScoredSentence], asked: set[str], limit: int, explained: bool = False
    ) -> list[Unit]:
        """The best unit, then others close behind that add an asked-for term or are nearly as similar
        to the question (a second fact of the answer); best first. ``explained``: the best unit of a
        reason question comes with the sentence that grounds it."""
        chosen: list[Unit] = []
        covered: set[str] = set()
        best = scored[0]
        for cand in scored:
            if len(chosen) >= limit or cand.score < best.score - MARGIN:
                break
            if any(_same(cand, u.anchor) or _inside(cand, u) for u in chosen):
                continue
            if chosen and not (cand.terms & asked) - covered and cand.similarity < best.similarity - MARGIN / 3:
                continue
            unit = self._unit(cand, explained=explained and not chosen)
            if unit and unit.quotes:
                held = [u for u in chosen if _quoted_in(u, unit)]  # a unit that leans back on one chosen
                if held:
                    chosen[chosen.index(held[0])] = unit
                    chosen = [u for u in chosen if u not in held[1:]]
                else:
                    chosen.append(unit)
                covered |= cand.terms
        return chosen

    def _candidates(self, scored: list[ScoredSentence], n: int) -> list[Unit]:
        """The ``n`` best distinct units, whatever their margin: shown as candidates, not as the answer."""
        chosen: list[Unit] = []
        for cand in scored:
            if len(chosen) >= n:
                break
            if any(_same(cand, u.anchor) or _inside(cand, u) for u in chosen):
                continue
            unit = self._unit(cand)
            if unit and unit.quotes and not any(_quoted_in(u, unit) or _quoted_in(unit, u) for u in chosen):
                chosen.append(unit)
        return chosen

    def _list(self, scored: list[ScoredSentence]) -> Unit | None:
        """The stored list that answers: a lead-in (or an item of it) ranked near the top."""
        if self.units is None:
            return None
        best = scored[0].score
        for cand in scored:
            if cand.score < best - LIST_MARGIN:
                break
            if cand.row is None or cand.row.role not in ("lead", "item"):
                continue
            anchor = cand if cand.row.role == "lead" else self.units.lead_of(cand)
            unit = self._unit(anchor, with_items=True) if anchor else None
            if unit and len(unit.items) >= 2:
                return unit
        return None

    def _summary(self, scored: list[ScoredSentence]) -> list[Unit]:
        """Maximal marginal relevance over the candidates: relevant, and unlike what is chosen."""
        best_of: dict[str, float] = {}
        for s in scored:
            best_of.setdefault(s.passage.doc_id, s.score)
        docs = {d for d, best in best_of.items() if best >= scored[0].score - SUMMARY_DOC_MARGIN}
        pool = [s for s in scored if s.passage.doc_id in docs and len(s.text.split()) > ANNOUNCES_WORDS][:40]
        if not pool:
            return []
        top, low = pool[0].score, min(s.score for s in pool)
        spread = (top - low) or 1.0
        chosen: list[Unit] = []
        while pool and len(chosen) < self.summary_units:
            def gain(s: ScoredSentence) -> float:
                relevance = (s.score - low) / spread
                overlap = max((_overlap(s, u.anchor) for u in chosen), default=0.0)
                same_section = any(_section(s) == _section(u.anchor) for u in chosen)
                return MMR_LAMBDA * relevance - (1 - MMR_LAMBDA) * overlap - SECTION_PENALTY * same_section

            pick = max(pool, key=gain)
            pool.remove(pick)
            if any(_same(pick, u.anchor) or _inside(pick, u) for u in chosen):
                continue
            unit = self._unit(pick, with_items=True)
            if unit and unit.quotes and (unit.items or not unit.quotes[-1].text.rstrip().endswith(":")):
                chosen.append(unit)
        return chosen


def _same(a: ScoredSentence, b: ScoredSentence) -> bool:
    if not a.terms or not b.terms:
        return a.text == b.text
    return len(a.terms & b.terms) / min(len(a.terms), len(b.terms)) >= SAME_TERMS


def _overlap(a: ScoredSentence, b: ScoredSentence) -> float:
    union = a.terms | b.terms
    return len(a.terms & b.terms) / len(union) if union else 0.0


def _section(s: ScoredSentence) -> tuple[str, str]:
    return (s.passage.doc_id, s.row.section if s.row else "")


def _quoted_in(earlier: Unit, unit: Unit) -> bool:
    """Whether everything ``earlier`` quotes is also quoted by ``unit`` (which then takes its place)."""
    texts = [q.text for q in unit.quotes]
    return all(any(q.text in t for t in texts) for q in earlier.quotes)


def _inside(cand: ScoredSentence, unit: Unit) -> bool:
    """Whether ``cand`` is already quoted as part of ``unit`` (a list item is quoted without its "8.")."""
    text = strip_item_marker(cand.text)
    return any(text in q.text for q in [*unit.quotes, *unit.items])


# --- writing the draft -------------------------------------------------------------------


class _Citations:
    """Numbers quotes in order of appearance; the same passage span keeps its number."""

    def __init__(self) -> None:
        self.citations: list[Citation] = []
        self._numbers: dict[tuple[str, tuple[int, int]], int] = {}
        self._passages: dict[str, Passage] = {}

    def marker(self, quote: Quote) -> str:
        key = (quote.passage.id, quote.span)
        self._passages.setdefault(quote.passage.id, quote.passage)
        if key not in self._numbers:
            p = quote.passage
            number = len(self.citations) + 1
            self._numbers[key] = number
            self.citations.append(
                Citation(
                    number=number, doc_id=p.doc_id, title=p.title, source=p.source, page=p.page,
                    passage_id=p.id, passage=p.text, sentence=quote.text, span=quote.span, speaker=quote.speaker,
                    page_break=page_break_in(p, quote.span),
                )
            )
        return f"[{self._numbers[key]}]"

    def cite(self, quotes: list[Quote]) -> str:
        return " ".join(f"{said_by(q)}{q.text} {self.marker(q)}" for q in quotes)

    def draft(self, text: str) -> Draft:
        """The draft, with every cited passage (some came from beyond the retrieved ones)."""
        return Draft(text, self.citations, passages=list(self._passages.values()))


def said_by(quote: Quote) -> str:
    """"Jack Ma: " before a quote whose words are his but do not name him; "" otherwise."""
    speaker = quote.speaker
    if not speaker or not speaker[:1].isupper():  # "the panel": a body, named by the sentence around it
        return ""
    last = speaker.split()[-1]
    return "" if last in quote.text else f"{speaker}: "


def compose(units: list[Unit]) -> Draft:
    """Units as running text, the best first, each quote followed by its marker."""
    cites = _Citations()
    text = " ".join(cites.cite(u.quotes) for u in units)
    return cites.draft(text)


def compose_candidates(units: list[Unit]) -> Draft:
    """Candidates as a Markdown list, each cited: the reader weighs them, nothing is stated."""
    cites = _Citations()
    return cites.draft("\n".join(f"- {cites.cite(u.quotes)}" for u in units))


def compose_list(unit: Unit) -> Draft:
    """The lead-in, then its items as a Markdown list (numbered when the source numbers them)."""
    cites = _Citations()
    lines = [cites.cite(unit.quotes), ""]
    for item in unit.items:
        bullet = item.numbered if item.numbered.endswith(".") and item.numbered[:-1].isdigit() else "-"
        lines.append(f"{bullet} {item.text} {cites.marker(item)}")
    return cites.draft("\n".join(lines))


def compose_summary(units: list[Unit]) -> Draft:
    """Units grouped by document (documents by their best unit), in reading order under a bold title."""
    cites = _Citations()
    by_doc: dict[str, list[Unit]] = {}
    for unit in units:
        by_doc.setdefault(unit.anchor.passage.doc_id, []).append(unit)
    blocks = []
    for doc_units in by_doc.values():
        doc_units.sort(key=lambda u: u.anchor.position)
        title = doc_units[0].anchor.passage.title
        bullets = "\n".join(_summary_lines(u, cites) for u in doc_units)
        blocks.append(f"**{_escape(title)}**\n\n{bullets}")
    return cites.draft("\n\n".join(blocks))


def _summary_lines(unit: Unit, cites: _Citations) -> str:
    """A unit as a bullet; a lead-in's items as bullets nested under it."""
    lines = [f"- {cites.cite(unit.quotes)}"]
    lines.extend(f"  - {item.text} {cites.marker(item)}" for item in unit.items)
    return "\n".join(lines)


def _escape(title: str) -> str:
    return title.replace("*", "\\*")


def pieces(text: str) -> Iterator[str]:
    """Word-sized pieces, so the UI streams an extractive answer like a generated one."""
    words = text.split(" ")
    for i in range(0, len(words), 4):
        yield " ".join(words[i : i + 4]) + (" " if i + 4 < len(words) else "")

