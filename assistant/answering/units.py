"""Answer units: the smallest runs of text that stand alone as an answer.

A sentence is often not quotable by itself: it opens a quotation that goes on for three sentences,
announces a list ("... the following areas:"), or says "The reason is clear." and stops. A unit is
the scored sentence extended with what it announces, built from the layout roles ingestion stored
(``assistant.reading.structure``) and the page's sentences in reading order:
- an open quotation is followed to its closing mark (same paragraph);
- a lead-in that ends in a colon brings its list items (each item's first sentence), or, when no
  list follows, the next sentence;
- a short sentence (``SHORT_WORDS`` words or fewer) that does not end its paragraph brings the next;
- so does a sentence whose next one leans back on it ("This will require ...", "These include ...");
- a sentence that leans back itself brings the one before it, and a later sentence of a list item
  brings the item's opening sentence (its name: "Inclusiveness: ...").
Headings are never units. Every piece is a ``Quote``: verbatim text of one passage with its span,
so a citation still checks ``passage.text[span] == text``; a run that no stored passage holds whole
is cut into per-sentence quotes, each in a passage that does hold it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from assistant.answer import Passage
from assistant.answering.evidence import ScoredSentence
from assistant.reading.structure import is_item_start, strip_item_marker
from assistant.search.keyword_index import KeywordIndex
from assistant.search.retrieval import to_passage
from assistant.search.sentence_index import SentenceIndex, SentenceRow

SHORT_WORDS = 8  # a sentence this short that does not end its paragraph usually announces the next
MAX_CONTINUATION = 6  # sentences a quotation may run on for
_OPEN, _CLOSE = "“", "”"
#: A sentence opening with these leans on the one before it ("This will require ...", "These include ...").
_REFERS_BACK = re.compile(r"(?:This|These|Such|That|Those)\b(?!\s+(?:year|week|month|day|is how)\b)")


@dataclass(frozen=True)
class Quote:
    passage: Passage
    span: tuple[int, int]  # in passage.text
    text: str  # passage.text[span[0]:span[1]]
    numbered: str = ""  # the item's own number ("3.") when it came from a numbered list
    speaker: str = ""  # whose words these are, when the text says (``assistant.reading.speakers``)


@dataclass
class Unit:
    """One scored sentence made quotable: its quotes in reading order, and list items if it leads one."""

    anchor: ScoredSentence
    quotes: list[Quote]
    items: list[Quote] = field(default_factory=list)


class UnitBuilder:
    """Extends scored sentences into units, reading neighbours from the sentence index."""

    def __init__(self, sentences: SentenceIndex, keyword: KeywordIndex, max_items: int = 10) -> None:
        self.sentences = sentences
        self.keyword = keyword
        self.max_items = max_items

    def build(self, anchor: ScoredSentence, with_items: bool = True, explained: bool = False) -> Unit | None:
        """``explained``: a reason's unit also brings the next sentence of its paragraph, where a claim's
        ground usually is ("much more needs to be done to safeguard privacy." - "Individuals have little
        or no meaningful understanding ..."), unless it already gives one ("because", "so that")."""
        row = anchor.row
        if row is None:  # no layout known: the sentence alone
            return Unit(anchor, [Quote(anchor.passage, anchor.span, anchor.text)])
        if row.role == "heading":
            return None
        placed = self._place(anchor)
        if placed is None:
            return Unit(anchor, [Quote(anchor.passage, anchor.span, anchor.text)])
        page, index = placed
        run = [row]
        items: list[SentenceRow] = []
        nxt = index + 1
        while nxt < len(page) and len(run) <= MAX_CONTINUATION and _needs_more(run, page[nxt]):
            run.append(page[nxt])
            nxt += 1
        if run[-1].role == "lead" and with_items:
            items = _items_after(page, nxt)[: self.max_items]
            if not items and nxt < len(page) and page[nxt].role not in ("heading", "item"):
                run.append(page[nxt])
        if explained and not items and nxt < len(page) and _continues(run, page[nxt]):
            run.append(page[nxt])
        prev = index - 1
        while prev >= 0 and len(run) <= MAX_CONTINUATION and _leans_back(run[0], page[prev]):
            run.insert(0, page[prev])
            prev -= 1
        quotes = self._quotes(anchor.passage, run, strip_marker=run[0].role == "item")
        item_quotes = [q for r in items for q in self._quotes(anchor.passage, [r], strip_marker=True)]
        return Unit(anchor, quotes, item_quotes)

    def lead_of(self, item: ScoredSentence) -> ScoredSentence | None:
        """The lead-in of the list ``item`` belongs to, as an anchor to build the list from."""
        placed = self._place(item)
        if placed is None:
            return None
        page, index = placed
        item_paras = {r.para for r in page[:index] if r.role == "item"}
        for row in reversed(page[:index]):
            if row.role == "lead":
                return replace(item, text=row.text, row=row)
            if row.role == "heading" or (row.role == "text" and row.para not in item_paras):
                return None
        return None

    def _place(self, anchor: ScoredSentence) -> tuple[list[SentenceRow], int] | None:
        """The anchor's page (all its sentences in reading order) and the anchor's position in it."""
        if anchor.row is None:
            return None
        page = self.sentences.page_rows(anchor.passage)
        start = anchor.row.char_start
        index = next((i for i, r in enumerate(page) if r.char_start == start), None)
        return None if index is None else (page, index)

    def _quotes(self, preferred: Passage, rows: list[SentenceRow], strip_marker: bool = False) -> list[Quote]:
        """Rows (consecutive, one page) as few quotes as the stored passages allow."""
        start, end = rows[0].char_start, rows[-1].char_end
        passage = self._holder(preferred, rows[0], start, end)
        if passage is None:
            if len(rows) == 1:
                return []
            return [q for r in rows for q in self._quotes(preferred, [r], strip_marker)]
        text = passage.text[start - passage.char_start : end - passage.char_start]
        number = ""
        if strip_marker and is_item_start(text):
            stripped = strip_item_marker(text)
            marker = text[: len(text) - len(stripped)].strip()
            number = marker if marker[:1].isdigit() or marker[:1] == "(" else ""
            start += len(text) - len(stripped)
            text = stripped
        offset = passage.char_start
        said_by = {r.speaker for r in rows}
        speaker = rows[0].speaker if len(said_by) == 1 else ""
        return [Quote(passage, (start - offset, end - offset), text, number, speaker)]

    def _holder(self, preferred: Passage, row: SentenceRow, start: int, end: int) -> Passage | None:
        if preferred.page == row.page and preferred.char_start <= start and end <= preferred.char_end:
            return preferred
        for stored in self.keyword.passages_containing(row.doc_id, row.page, start, end):
            return to_passage(stored)
        return None


def _needs_more(run: list[SentenceRow], nxt: SentenceRow) -> bool:
    """Whether the text so far is unfinished without ``nxt``."""
    last = run[-1]
    if nxt.role in ("heading", "item"):
        return False
    same_para = nxt.para == last.para
    if same_para and len(run) == 1 and _REFERS_BACK.match(nxt.text):
        return True  # "This will require ...": the next sentence says what this one is about
    text = " ".join(r.text for r in run)
    if same_para and (text.count(_OPEN) > text.count(_CLOSE) or text.count('"') % 2 == 1):
        return True  # a quotation still open
    if last.role == "lead":
        return False  # its list (or its one continuation) is added by the caller
    return same_para and len(last.text.split()) <= SHORT_WORDS and len(run) == 1


#: A sentence that already says why.
_GIVES_REASON = re.compile(
    r"\b(?:because|since|so that|in order to|due to|owing to|as a result|given that|the reason|thanks to)\b", re.I
)


def _continues(run: list[SentenceRow], nxt: SentenceRow) -> bool:
    """Whether ``nxt`` goes on in the run's paragraph and the run does not give its reason itself."""
    if nxt.role in ("heading", "item") or nxt.para != run[-1].para:
        return False
    return not _GIVES_REASON.search(" ".join(r.text for r in run))


def _leans_back(first: SentenceRow, before: SentenceRow) -> bool:
    """Whether the run opening with ``first`` needs ``before`` to be understood ("These were among the
    questions ..." after the questions; a list item's later sentence after the item's opening one)."""
    if before.para != first.para or before.role == "heading":
        return False
    return bool(_REFERS_BACK.match(first.text)) or (first.role == "text" and before.role == "item")


def _items_after(page: list[SentenceRow], start: int) -> list[SentenceRow]:
    """The list items that follow a lead-in: each item's first sentence, until the list ends."""
    items = []
    for row in page[start:]:
        if row.role == "item":
            items.append(row)
        elif row.role == "heading" or not items or row.para != items[-1].para:
            break
    return items
