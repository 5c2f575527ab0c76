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
#: The badge of each answer status: answered, unsure (closest passages), not in the documents.
STATUS_LABELS = {"answered": "Answered", "uncertain": "Unsure", "not_covered": NOT_IN_DOCUMENTS}


def status_html(answer: Answer) -> str:
    """The answer's status as a badge with its one-line why."""
    status = answer.status
    shown = answer.why and answer.why not in answer.text  # a refusal's text already says why
    why = f'<span class="status-why">{escape(answer.why)}</span>' if shown else ""
    badge = f'<span class="status-badge status-{escape(status)}" data-status="{escape(status)}">'
    label = escape(STATUS_LABELS.get(status, status))
    return f'<div class="status-line">{badge}{label}</span>{why}</div>'


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
            f'<div class="answer abstained">{status_html(answer)}'
            f'<div class="abstain-text">{markdown_html(answer.text)}</div>{closest}</div>'
        )
    else:
        numbers = {c.number for c in answer.citations}
        css = "answer uncertain" if answer.status == "uncertain" else "answer"
        body = (f'<div class="{css}">{status_html(answer)}'
                f"{link_markers(markdown_html(answer.text), number, numbers)}</div>")
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

#: Link targets an export may keep as links; any other scheme (``javascript:``, ``data:``, ``file:``, ...)
#: is written as text, since a Markdown viewer would make it clickable.
SAFE_LINK = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)
#: ``[label](target "title")`` (one level of parentheses inside the target), and ``[label]: target`` at a
#: line's start (a reference definition).
MD_LINK = re.compile(
    r"\[([^\]\n]*)\]\(\s*<?((?:[^()\s<>]|\([^()\s]*\))*)>?(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'))?\s*\)"
)
MD_REF = re.compile(r"^(\s{0,3})\[([^\]\n]+)\]:\s*(\S+)", re.MULTILINE)


def _code(text: str) -> str:
    """``text`` as a Markdown code span, fenced so a backtick inside does not end it."""
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _inert_links(text: str) -> str:
    """Links whose target is not http(s) or mailto as plain text: the label, then the target in a code
    span (never a link in any viewer)."""

    def link(m: re.Match[str]) -> str:
        if SAFE_LINK.match(m.group(2)):
            return m.group(0)
        label, target = m.group(1).strip(), _code(m.group(2))
        return f"{label} ({target})" if label else target

    def ref(m: re.Match[str]) -> str:
        return m.group(0) if SAFE_LINK.match(m.group(3)) else f"{m.group(1)}\\[{m.group(2)}]: {_code(m.group(3))}"

    return MD_REF.sub(ref, MD_LINK.sub(link, text))


def _md_text(text: str) -> str:
    """Document text for Markdown: angle brackets escaped, so a viewer shows a tag and never renders it;
    ampersands and quotes stay as written, so the file also reads well in a plain editor."""
    return _inert_links(" ".join(text.split())).replace("<", "&lt;").replace(">", "&gt;")


def _md_block(text: str) -> str:
    """An answer's Markdown for the export: its lines kept (lists stay lists), tags and links made inert."""
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return _inert_links("\n".join(lines).strip()).replace("<", "&lt;").replace(">", "&gt;")


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
        if answer.status == "uncertain":
            lines += [f"_{STATUS_LABELS['uncertain']}: {_md_text(answer.why)}_", ""]
        lines += [_md_block(answer.text), "", "Sources:", ""]
        for c in answer.citations:
            page = f", {c.page_label}" if c.page else ""
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
        paged = any(Path(src).suffix.lower() == ".pdf" for src in d.sources)  # a text file has no pages
        rows.append([d.title or d.doc_id, files, d.kind, d.pages if paged else None, d.chunks, when])
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


def _outcome_item(o, names: dict[str, str]) -> str:
    name = escape(names.get(o.source, Path(o.source).name))
    if o.status == "failed":
        return f'<li class="failed"><b>{name}</b>: not ingested — {escape(o.reason)}</li>'
    detail = ""
    if o.status in ("added", "updated"):
        pages = f"{o.pages} page{'s' if o.pages != 1 else ''}, " if o.pages else ""
        detail = f" ({pages}{o.chunks} passage{'s' if o.chunks != 1 else ''})"
    return f'<li class="{o.status}"><b>{name}</b>: {_STATUS_WORDS.get(o.status, o.status)}{detail}</li>'


def sync_report_html(report, names: dict[str, str] | None = None,
                     refused: Sequence[tuple[str, str]] = (), heading: str = "") -> str:
    """One line per file in plain words (failures say why), then the counts.

    ``refused`` are (file name, reason) of files turned away before ingestion (too large, not what their
    name says): they get their line like any other file, in the same words, and count as not ingested.
    """
    names = names or {}
    outcomes = list(report.outcomes) if report is not None else []
    items = [_outcome_item(o, names) for o in outcomes]
    items += [f'<li class="failed"><b>{escape(name)}</b>: not ingested — {escape(reason)}</li>'
              for name, reason in refused]
    counts = dict(report.counts) if report is not None else {}
    if refused:
        counts["failed"] = counts.get("failed", 0) + len(refused)
    counts_text = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
    seconds = f" in {report.seconds:.1f} s" if report is not None else ""
    summary = f"{counts_text or 'nothing to do'}{seconds}"
    head = f'<div class="sync-heading">{escape(heading)}</div>' if heading else ""
    return (f'<div class="sync-report">{head}<ul>{"".join(items)}</ul>'
            f'<div class="sync-summary">{summary}</div></div>')


def upload_reports_html(reports: Sequence[str]) -> str:
    """The newest batch's report in full; the earlier ones folded away under it (newest first)."""
    if not reports:
        return ""
    current, *earlier = reports
    if not earlier:
        return f'<div class="upload-current">{current}</div>'
    label = f"Earlier uploads ({len(earlier)})"
    return (f'<div class="upload-current">{current}</div><details class="earlier-uploads">'
            f'<summary>{label}</summary>{"".join(earlier)}</details>')


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


def upload_limit_html(max_bytes: int) -> str:
    """Where the page script reads the app's upload limit, and where it says which files it refused."""
    return (f'<div id="upload-limit" data-max-bytes="{int(max_bytes)}">'
            '<div class="upload-refused notice error" role="alert" hidden></div>'
            f'<div class="upload-hint">Up to {max_bytes / 1_000_000:g} MB a file.</div></div>')


def notice_html(message: str, kind: str = "info") -> str:
    return f'<div class="notice {kind}">{escape(message)}</div>'
