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

from assistant.answer import Answer
from ui.cards import card_id
from ui.conversations import Turn
from ui.markdown import markdown_html

#: ``[1]`` or ``[1, 2]`` in an answer's text.
MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")

NOT_IN_DOCUMENTS = "Not in the documents"


def link_markers(text_html: str, turn: int, numbers: set[int]) -> str:
    """Turn ``[n]`` markers of cited numbers into links to their cards; others stay as text."""

    def one(n: str) -> str:
        number = int(n)
        if number not in numbers:
            return n
        target = card_id(turn, number)
        return (f'<a class="cite-link" href="#{target}" data-target="{target}" data-turn="{turn}" '
                f'title="Show source {number}">{number}</a>')

    def replace(match: re.Match[str]) -> str:
        parts = [p.strip() for p in match.group(1).split(",")]
        if not any(int(p) in numbers for p in parts):
            return match.group(0)
        return '<span class="cite">[' + ", ".join(one(p) for p in parts) + "]</span>"

    return MARKER.sub(replace, text_html)


def question_html(question: str, note: str = "") -> str:
    lines = [escape(line) for line in question.split("\n") if line.strip()] or [""]
    extra = f'<div class="queued-note">{escape(note)}</div>' if note else ""
    return f'<div class="question">{"<br>".join(lines)}</div>{extra}'


def streaming_html(text: str) -> str:
    """The answer while it is being produced (markers are linked once it is final)."""
    body = markdown_html(text.rstrip() + " ▍") if text.strip() else '<p class="waiting">Searching the documents… ▍</p>'
    return f'<div class="answer streaming">{body}</div>'


def _chips(answer: Answer, turn: Turn) -> str:
    chips = ""
    if turn.scope:
        names = ", ".join(turn.scope)
        chips += (f'<span class="scope-chip" title="Answered only from: {escape(names)}">'
                  f"Only from: {escape(names)}</span>")
    if answer.query and answer.query.strip() != answer.question.strip():
        chips += f'<div class="query-note">Searched for: <q>{escape(answer.query)}</q></div>'
    return chips + reader_notes(answer)


def reader_notes(answer: Answer) -> str:
    """Which reader wrote the answer; a model that did not answer; sentences the verifier removed."""
    html = ""
    failed = next((n for n in answer.notes if n.startswith("The language model did not answer")), "")
    if failed:
        html += f'<div class="reader-failed">{escape(failed)}</div>'
    if answer.removed:
        n = len(answer.removed)
        why = "; ".join(f"{r['sentence']} ({r['reason']})" for r in answer.removed)
        html += (f'<div class="removed-note" title="{escape(why)}">{n} sentence{"s" if n > 1 else ""} removed: '
                 "the cited passage does not say this</div>")
    if answer.reader:
        html += f'<div class="reader-note">Read by: {escape(answer.reader)}</div>'
    return html


def answer_html(turn: Turn | Answer, number: int) -> str:
    """The chat message for a final answer: one HTML block with no line breaks (see ``markdown_html``)."""
    turn = turn if isinstance(turn, Turn) else Turn(turn)
    answer = turn.answer
    if turn.stopped:
        body = (f'<div class="answer stopped"><div class="stopped-title">Stopped</div>'
                f"{markdown_html(answer.text)}</div>")
    elif answer.abstained:
        closest = (
            '<div class="abstain-hint">The closest passages are listed under Sources as '
            "<em>closest matches — not answers</em>.</div>" if answer.passages else ""
        )
        body = (
            f'<div class="answer abstained"><div class="abstain-title">{NOT_IN_DOCUMENTS}</div>'
            f'<div class="abstain-text">{markdown_html(answer.text)}</div>{closest}</div>'
        )
    else:
        numbers = {c.number for c in answer.citations}
        body = f'<div class="answer">{link_markers(markdown_html(answer.text), number, numbers)}</div>'
    kind = escape(str(getattr(answer, "kind", "") or ""))
    return f'<div class="turn" data-turn="{number}" data-kind="{kind}">{_chips(answer, turn)}{body}</div>'


def chat_messages(
    turns: Sequence[Turn], pending: str | None = None, partial: str = "", queued: Sequence[str] = ()
) -> list[dict]:
    """Chatbot messages for the finished turns, the one being answered and the questions waiting."""
    messages: list[dict] = []
    for number, turn in enumerate(turns, 1):
        messages.append({"role": "user", "content": question_html(turn.answer.question)})
        messages.append({"role": "assistant", "content": answer_html(turn, number)})
    if pending is not None:
        messages.append({"role": "user", "content": question_html(pending)})
        messages.append({"role": "assistant", "content": streaming_html(partial)})
    for question in queued:
        messages.append({"role": "user", "content": question_html(question, "Waiting: asked after the answer above")})
    return messages


# --- export ------------------------------------------------------------------------------

def _md_text(text: str) -> str:
    """Document text for Markdown: angle brackets escaped, so a viewer shows a tag and never renders it;
    ampersands and quotes stay as written, so the file also reads well in a plain editor."""
    return " ".join(text.split()).replace("<", "&lt;").replace(">", "&gt;")


def _md_block(text: str) -> str:
    """An answer's Markdown for the export: its lines kept (lists stay lists), tags made inert."""
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return "\n".join(lines).strip().replace("<", "&lt;").replace(">", "&gt;")


def conversation_markdown(turns: Sequence[Turn | Answer], title: str = "Conversation") -> str:
    """The conversation as Markdown: each answer followed by its numbered sources."""
    lines = [f"# {_md_text(title)}", "", f"_Exported {datetime.now().strftime('%Y-%m-%d %H:%M')}_", ""]
    for number, turn in enumerate(turns, 1):
        turn = turn if isinstance(turn, Turn) else Turn(turn)
        answer = turn.answer
        lines += [f"## Q{number}. {_md_text(answer.question)}", ""]
        if turn.scope:
            lines += [f"_Only from: {_md_text(', '.join(turn.scope))}_", ""]
        if answer.query and answer.query.strip() != answer.question.strip():
            lines += [f"_Searched for: {_md_text(answer.query)}_", ""]
        if turn.stopped:
            lines += [f"**Stopped.** {_md_block(answer.text)}", ""]
            continue
        if answer.abstained:
            lines += [f"**{NOT_IN_DOCUMENTS}.** {_md_block(answer.text)}", ""]
            if answer.passages:
                lines += ["Closest matches — not answers:", ""]
                for i, p in enumerate(answer.passages[:3], 1):
                    page = f", p. {p.page}" if p.page else ""
                    snippet = _md_text(p.text)
                    snippet = snippet if len(snippet) <= 240 else snippet[:240].rsplit(" ", 1)[0] + " …"
                    lines.append(f"{i}. {_md_text(p.title)}{page} — {snippet}")
                lines.append("")
            continue
        lines += [_md_block(answer.text), "", "Sources:", ""]
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


def upload_status_html(busy: str, waiting: Sequence[str]) -> str:
    """The line beside the upload box: what is being ingested and what waits."""
    if waiting and not busy:  # nothing running: the first files start at once
        busy, waiting = ", ".join(waiting), []
    parts = []
    if busy:
        parts.append(f"Ingesting <b>{escape(busy)}</b>…")
    if waiting:
        parts.append("Waiting: " + ", ".join(f"<b>{escape(w)}</b>" for w in waiting))
    if not parts:
        return '<div class="upload-status idle">Drop files here; each is ingested as soon as it arrives.</div>'
    return f'<div class="upload-status">{" · ".join(parts)}</div>'


def notice_html(message: str, kind: str = "info") -> str:
    return f'<div class="notice {kind}">{escape(message)}</div>'
