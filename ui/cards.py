"""Source cards and the sources panel: each answer's sources belong to that answer.

The panel holds one section per answer; only the active one is shown (the newest, or the answer
whose ``[n]`` or bubble was clicked: the page script switches sections without a server call). A
card shows the quoted sentence with a little of the text around it; the whole passage opens on
demand, and a button shows the PDF page (or, for a text document, the paragraph in context).
Everything from a document is escaped.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from html import escape
from pathlib import Path

from assistant.answer import Citation, Passage, page_label, page_words
from ui.conversations import Turn

CONTEXT_CHARS = 110
_SENTENCE_END = re.compile(r"[.!?…:;]\s")


def card_id(turn: int, number: int) -> str:
    """Anchor of citation ``number`` of conversation turn ``turn`` (both 1-based)."""
    return f"cite-{turn}-{number}"


def _br(text: str) -> str:
    return escape(text).replace("\n", "<br>")


def highlighted_passage(passage: str, span: tuple[int, int] | Sequence[int] | None) -> str:
    """The passage, escaped, with ``passage[span[0]:span[1]]`` wrapped in ``<mark>``."""
    if span and 0 <= span[0] < span[1] <= len(passage):
        a, b = int(span[0]), int(span[1])
        return _br(passage[:a]) + f'<mark class="support">{_br(passage[a:b])}</mark>' + _br(passage[b:])
    return _br(passage)


def context_before(text: str, limit: int = CONTEXT_CHARS) -> str:
    """The end of ``text``: its last sentence if short, else its last ``limit`` characters from a word start."""
    tail = text[-limit:] if len(text) > limit else text
    ends = list(_SENTENCE_END.finditer(tail))
    if ends and len(text) > limit:
        cut = ends[-1].end()
        if cut < len(tail) - 15:  # keep at least a few words
            return "…" + tail[cut:] if cut else tail
    if len(text) > limit:
        space = tail.find(" ")
        return "…" + (tail[space + 1 :] if 0 <= space < 30 else tail)
    return text


def context_after(text: str, limit: int = CONTEXT_CHARS) -> str:
    """The start of ``text``, up to ``limit`` characters, ending at a sentence end or a word end."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    end = _SENTENCE_END.search(head[15:])
    if end:
        return head[: 15 + end.start() + 1] + " …"
    space = head.rfind(" ")
    return (head[:space] if space > 40 else head) + "…"


def quote_html(passage: str, span: Sequence[int] | None) -> str:
    """The quoted sentence, marked, with a little text either side."""
    if not (span and 0 <= span[0] < span[1] <= len(passage)):
        return escape(context_after(_flat(passage), 2 * CONTEXT_CHARS))
    a, b = int(span[0]), int(span[1])
    before, after = context_before(_flat(passage[:a])), context_after(_flat(passage[b:]))
    return (
        f'<span class="ctx">{escape(before)}</span><mark class="support">{escape(_flat(passage[a:b]))}</mark>'
        f'<span class="ctx">{escape(after)}</span>'
    )


def _flat(text: str) -> str:
    """Line breaks as spaces (a card's snippet is one run of text), the outer spaces kept."""
    return re.sub(r"\s*\n\s*", " ", text)


def is_pdf_page(source: str, page: int | None) -> bool:
    return bool(page) and Path(source).suffix.lower() == ".pdf"


def _location(title: str, page: int | None, page_break: int | None = None) -> str:
    page_html = f' <span class="page">{page_label(int(page), page_break)}</span>' if page else ""
    return f'<span class="title">{escape(title)}</span>{page_html}'


def _view_button(turn: int, number: int, source: str, page: int | None, page_break: int | None = None) -> str:
    label = f"See it on {page_words(int(page), page_break)}" if is_pdf_page(source, page) else "Show in the document"
    return f'<button class="view-source" type="button" data-key="{turn}:{number}">{label}</button>'


#: In place of the page button when the cited document has been deleted since the answer was given.
GONE = "This document has since been deleted: the quote is kept, its page can no longer be shown."


def citation_card(citation: Citation, turn: int, gone: bool = False) -> str:
    """``gone``: the document was deleted; the card keeps the quote and its title, and offers no page."""
    whole = highlighted_passage(citation.passage, citation.span)
    action = (f'<span class="doc-gone">{escape(GONE)}</span>' if gone
              else _view_button(turn, citation.number, citation.source, citation.page, citation.page_break))
    return (
        f'<div class="cite-card{" doc-deleted" if gone else ""}" id="{card_id(turn, citation.number)}" '
        f'data-turn="{turn}" data-number="{citation.number}">'
        f'<div class="card-head"><span class="num">[{citation.number}]</span> '
        f"{_location(citation.title, citation.page, citation.page_break)}</div>"
        f'<div class="quote">{quote_html(citation.passage, citation.span)}</div>'
        f'<details class="full-passage"><summary>Full passage</summary><div class="passage">{whole}</div></details>'
        f'<div class="card-foot">{action}'
        f'<span class="card-source">{escape(Path(citation.source).name)}</span></div></div>'
    )


def match_card(passage: Passage, turn: int, index: int) -> str:
    return (
        f'<div class="match-card" id="match-{turn}-{index}">'
        f'<div class="card-head"><span class="num">{index}.</span> {_location(passage.title, passage.page)}</div>'
        f'<div class="quote">{_br(context_after(passage.text, 2 * CONTEXT_CHARS))}</div>'
        f'<details class="full-passage"><summary>Full passage</summary>'
        f'<div class="passage">{highlighted_passage(passage.text, None)}</div></details>'
        f'<div class="card-foot"><span class="card-source">{escape(Path(passage.source).name)}</span></div></div>'
    )


def turn_sources_html(turn: Turn, number: int, active: bool = False, gone: Collection[str] = ()) -> str:
    answer = turn.answer
    classes = "turn-sources" + (" active" if active else "") + (" abstained" if answer.abstained else "")
    head = f'<div class="turn-head"><span class="turn-num">Q{number}</span> {escape(answer.question)}</div>'
    if turn.stopped:
        body = '<div class="no-match">Stopped before the answer was complete: no sources.</div>'
    elif answer.abstained:
        matches = answer.passages[:3]
        if not matches:
            body = '<div class="no-match">Nothing in the documents came close.</div>'
        else:
            body = (
                '<div class="matches-label">Closest matches — not answers</div>'
                + "".join(match_card(p, number, i) for i, p in enumerate(matches, 1))
            )
    else:
        body = "".join(citation_card(c, number, c.doc_id in gone) for c in answer.citations)
    return f'<section class="{classes}" id="sources-{number}" data-turn="{number}">{head}{body}</section>'


def sources_html(turns: Sequence[Turn], gone: Collection[str] = ()) -> str:
    """The sources panel: a switcher over the answers, then each answer's cards (the newest shown).

    ``gone``: ids of documents deleted since; their cards say so instead of offering the page.
    """
    if not turns:
        return (
            '<div class="sources-empty">Sources appear here: every cited passage, with the sentence '
            "the answer rests on highlighted. Click a [n] marker to see its source.</div>"
        )
    last = len(turns)
    switcher = "".join(
        f'<button type="button" class="turn-tab{" active" if i == last else ""}" data-turn="{i}" '
        f'title="{escape(t.answer.question)}">Q{i}</button>'
        for i, t in enumerate(turns, 1)
    )
    sections = "".join(turn_sources_html(t, i, active=i == last, gone=gone) for i, t in enumerate(turns, 1))
    tabs = f'<div class="turn-tabs" aria-label="Sources of answer">{switcher}</div>' if last > 1 else ""
    return tabs + sections
