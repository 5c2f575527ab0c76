"""Pure functions from answers and documents to what the UI shows: HTML cards and Markdown.

Everything that comes from a document (titles, passages, sentences, file names) or from a user is
passed through ``html.escape`` before it is put into HTML, so markup or script inside a document is
shown as text and never rendered or run. Nothing here talks to Gradio, so it is unit-tested directly.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from html import escape
from pathlib import Path

from assistant.answer import Answer, Citation, Passage

#: ``[1]`` or ``[1, 2]`` in an answer's text.
MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")

NOT_IN_DOCUMENTS = "Not in the documents"


def card_id(turn: int, number: int) -> str:
    """Anchor of citation ``number`` of conversation turn ``turn`` (both 1-based)."""
    return f"cite-{turn}-{number}"


def _text_html(text: str) -> str:
    """Escaped text whose line breaks survive inside an HTML block (no blank lines: see ``answer_html``)."""
    lines = [escape(line) for line in text.split("\n")]
    return "<br>".join(line for line in lines if line.strip()) if len(lines) > 1 else lines[0]


def link_markers(text_html: str, turn: int, numbers: set[int]) -> str:
    """Turn ``[n]`` markers of cited numbers into links to their cards; others stay as text."""

    def one(n: str) -> str:
        number = int(n)
        if number not in numbers:
            return n
        target = card_id(turn, number)
        return f'<a class="cite-link" href="#{target}" data-target="{target}" title="Show source {number}">{number}</a>'

    def replace(match: re.Match[str]) -> str:
        parts = [p.strip() for p in match.group(1).split(",")]
        if not any(int(p) in numbers for p in parts):
            return match.group(0)
        return '<span class="cite">[' + ", ".join(one(p) for p in parts) + "]</span>"

    return MARKER.sub(replace, text_html)


def question_html(question: str) -> str:
    return f'<div class="question">{_text_html(question)}</div>'


def streaming_html(text: str) -> str:
    """The answer while it is being produced (markers are linked once it is final)."""
    return f'<div class="answer streaming">{_text_html(text)}<span class="cursor">▍</span></div>'


def _query_note(answer: Answer) -> str:
    if answer.query and answer.query.strip() != answer.question.strip():
        return f'<div class="query-note">Searched for: <q>{escape(answer.query)}</q></div>'
    return ""


def answer_html(answer: Answer, turn: int) -> str:
    """The chat message for a final answer.

    The result is one HTML block without blank lines, so the chat's Markdown renderer passes it
    through as HTML and applies no Markdown to the (escaped) document text inside it.
    """
    if answer.abstained:
        closest = (
            '<div class="abstain-hint">The closest passages are listed under Sources as '
            '<em>closest matches — not answers</em>.</div>' if answer.passages else ""
        )
        body = (
            f'<div class="answer abstained"><div class="abstain-title">{NOT_IN_DOCUMENTS}</div>'
            f'<div class="abstain-text">{_text_html(answer.text)}</div>{closest}</div>'
        )
    else:
        numbers = {c.number for c in answer.citations}
        body = f'<div class="answer">{link_markers(_text_html(answer.text), turn, numbers)}</div>'
    return f'<div class="turn" data-turn="{turn}">{_query_note(answer)}{body}</div>'


def highlighted_passage(passage: str, span: tuple[int, int] | Sequence[int] | None) -> str:
    """The passage, escaped, with ``passage[span[0]:span[1]]`` wrapped in ``<mark>``."""
    if span and 0 <= span[0] < span[1] <= len(passage):
        a, b = int(span[0]), int(span[1])
        parts = [escape(passage[:a]), f'<mark class="support">{escape(passage[a:b])}</mark>', escape(passage[b:])]
        return "".join(parts).replace("\n", "<br>")
    return escape(passage).replace("\n", "<br>")


def _location(title: str, page: int | None) -> str:
    page_html = f' <span class="page">p. {int(page)}</span>' if page else ""
    return f'<span class="title">{escape(title)}</span>{page_html}'


def citation_card(citation: Citation, turn: int) -> str:
    return (
        f'<div class="cite-card" id="{card_id(turn, citation.number)}" data-number="{citation.number}">'
        f'<div class="card-head"><span class="num">[{citation.number}]</span> '
        f"{_location(citation.title, citation.page)}</div>"
        f'<div class="passage">{highlighted_passage(citation.passage, citation.span)}</div>'
        f'<div class="card-source">{escape(Path(citation.source).name)}</div></div>'
    )


def match_card(passage: Passage, turn: int, index: int) -> str:
    return (
        f'<div class="match-card" id="match-{turn}-{index}">'
        f'<div class="card-head"><span class="num">{index}.</span> {_location(passage.title, passage.page)}</div>'
        f'<div class="passage">{highlighted_passage(passage.text, None)}</div>'
        f'<div class="card-source">{escape(Path(passage.source).name)}</div></div>'
    )


def turn_sources_html(answer: Answer, turn: int) -> str:
    head = f'<div class="turn-head"><span class="turn-num">Q{turn}</span> {escape(answer.question)}</div>'
    if answer.abstained:
        matches = answer.passages[:3]
        if not matches:
            body = '<div class="no-match">Nothing in the documents came close.</div>'
        else:
            body = (
                '<div class="matches-label">Closest matches — not answers</div>'
                + "".join(match_card(p, turn, i) for i, p in enumerate(matches, 1))
            )
        return f'<section class="turn-sources abstained" id="sources-{turn}">{head}{body}</section>'
    cards = "".join(citation_card(c, turn) for c in answer.citations)
    return f'<section class="turn-sources" id="sources-{turn}">{head}{cards}</section>'


def sources_html(answers: Sequence[Answer]) -> str:
    """The sources panel: every turn's cards, the newest turn first."""
    if not answers:
        return (
            '<div class="sources-empty">Sources appear here: every cited passage, with the sentence '
            "the answer rests on highlighted. Click a [n] marker to jump to its source.</div>"
        )
    return "".join(turn_sources_html(a, i) for i, a in reversed(list(enumerate(answers, 1))))


def chat_messages(answers: Sequence[Answer], pending: str | None = None, partial: str = "") -> list[dict]:
    """Chatbot messages (``{"role", "content"}``) for the finished turns and an optional pending one."""
    messages: list[dict] = []
    for turn, answer in enumerate(answers, 1):
        messages.append({"role": "user", "content": question_html(answer.question)})
        messages.append({"role": "assistant", "content": answer_html(answer, turn)})
    if pending is not None:
        messages.append({"role": "user", "content": question_html(pending)})
        messages.append({"role": "assistant", "content": streaming_html(partial)})
    return messages


# --- export ------------------------------------------------------------------------------

def _md_text(text: str) -> str:
    """Document text for Markdown: angle brackets escaped, so a viewer shows a tag and never renders it;
    ampersands and quotes stay as written, so the file also reads well in a plain editor."""
    return " ".join(text.split()).replace("<", "&lt;").replace(">", "&gt;")


def conversation_markdown(answers: Sequence[Answer], title: str = "Conversation") -> str:
    """The conversation as Markdown: each answer followed by its numbered sources."""
    lines = [f"# {title}", "", f"_Exported {datetime.now().strftime('%Y-%m-%d %H:%M')}_", ""]
    for turn, answer in enumerate(answers, 1):
        lines += [f"## Q{turn}. {_md_text(answer.question)}", ""]
        if answer.query and answer.query.strip() != answer.question.strip():
            lines += [f"_Searched for: {_md_text(answer.query)}_", ""]
        if answer.abstained:
            lines += [f"**{NOT_IN_DOCUMENTS}.** {_md_text(answer.text)}", ""]
            if answer.passages:
                lines += ["Closest matches — not answers:", ""]
                for i, p in enumerate(answer.passages[:3], 1):
                    page = f", p. {p.page}" if p.page else ""
                    snippet = _md_text(p.text)
                    snippet = snippet if len(snippet) <= 240 else snippet[:240].rsplit(" ", 1)[0] + " …"
                    lines.append(f"{i}. {_md_text(p.title)}{page} — {snippet}")
                lines.append("")
            continue
        lines += [_md_text(answer.text), "", "Sources:", ""]
        for c in answer.citations:
            page = f", p. {c.page}" if c.page else ""
            lines.append(f"[{c.number}] {_md_text(c.title)}{page} ({_md_text(Path(c.source).name)})")
            lines.append(f"> “{_md_text(c.sentence)}”")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# --- documents ---------------------------------------------------------------------------

DOCUMENT_HEADERS = ["Title", "File(s)", "Kind", "Pages", "Chunks", "Ingested"]


def document_rows(documents: Sequence) -> list[list]:
    """Rows of the documents table from ``Ingester.documents()`` (shown as text, not HTML)."""
    rows = []
    for d in documents:
        when = datetime.fromtimestamp(d.ingested_at).strftime("%Y-%m-%d %H:%M") if d.ingested_at else ""
        files = ", ".join(Path(s).name for s in d.sources)
        rows.append([d.title or d.doc_id, files, d.kind, d.pages, d.chunks, when])
    return rows


def document_choices(documents: Sequence) -> list[tuple[str, str]]:
    """(label, doc_id) pairs for the scope and delete selectors; equal titles get their file name."""
    titles = [d.title or d.doc_id for d in documents]
    choices = []
    for d, title in zip(documents, titles, strict=True):
        label = title if titles.count(title) == 1 else f"{title} ({Path(d.sources[0]).name})"
        choices.append((label, d.doc_id))
    return choices


_STATUS_WORDS = {
    "added": "added", "updated": "updated", "unchanged": "already ingested, unchanged",
    "duplicate": "same content as a document already ingested", "removed": "removed", "failed": "not ingested",
}


def sync_report_html(report, names: dict[str, str] | None = None) -> str:
    """One line per file in plain words (failures say why), then the counts."""
    names = names or {}
    items = []
    for o in report.outcomes:
        name = escape(names.get(o.source, Path(o.source).name))
        if o.status == "failed":
            items.append(f'<li class="failed"><b>{name}</b>: not ingested — {escape(o.reason)}</li>')
            continue
        detail = ""
        if o.status in ("added", "updated"):
            pages = f"{o.pages} page{'s' if o.pages != 1 else ''}, " if o.pages else ""
            detail = f" ({pages}{o.chunks} passage{'s' if o.chunks != 1 else ''})"
        items.append(f'<li class="{o.status}"><b>{name}</b>: {_STATUS_WORDS.get(o.status, o.status)}{detail}</li>')
    counts = ", ".join(f"{n} {status}" for status, n in report.counts.items() if n)
    summary = f"{counts or 'nothing to do'} in {report.seconds:.1f} s"
    return f'<div class="sync-report"><ul>{"".join(items)}</ul><div class="sync-summary">{summary}</div></div>'


def notice_html(message: str, kind: str = "info") -> str:
    return f'<div class="notice {kind}">{escape(message)}</div>'
