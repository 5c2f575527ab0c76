"""What a new user hit in the browser (issue 21), end to end in headless Chromium.

The same app server and helpers as ``tests/test_browser.py`` (its fixtures are imported, so this
module gets its own server over a fresh data dir). Each test is one thing a person saw go wrong:
a message that stayed in the server log, an upload report that piled up, a file over the app's limit
sent anyway, a page count on a text document, a hostile link kept in an export, a deleted document's
card still offering its page.
"""

from __future__ import annotations

import re
import shutil
import time

import pytest

from . import test_browser as tb
from .test_browser import DESKTOP, FIRST, FIXTURES, INGEST_MS, PHONE, ask, choose_scope, expect, last_turn, shot

pytestmark = [pytest.mark.slow, pytest.mark.browser]
server, browser, tab, _keep_log = tb.server, tb.browser, tb.tab, tb._keep_log  # this module's own app server

HOSTILE_TITLE = "Outreach page notes"


def toast(page, text: str):
    return page.locator(".toast-wrap .toast-body", has_text=text)


def test_conversation_messages_show_in_the_page(tab):
    """Rename, blank rename and delete each say what happened in the page, not only in the server log."""
    page = tab().page
    ask(page, FIRST)
    title = page.locator("#conv-title input, #conv-title textarea")
    title.fill("Meeting leaders")
    page.click("#rename-conversation")
    expect(toast(page, "Renamed to “Meeting leaders”")).to_be_visible(timeout=10_000)

    title.fill("   ")
    page.click("#rename-conversation")
    expect(toast(page, "Type a name for the conversation first.")).to_be_visible(timeout=10_000)
    expect(title).to_have_value("Meeting leaders")  # the box shows the name it keeps, not an empty box
    shot(page, "21-desktop-blank-rename-warned")

    page.once("dialog", lambda d: d.accept())
    page.click("#delete-conversation")
    expect(toast(page, "Deleted the conversation “Meeting leaders”")).to_be_visible(timeout=10_000)


def test_upload_report_shows_the_current_batch_one_line_per_file(tab, tmp_path):
    page = tab().page
    bad = tmp_path / "bad.pdf"
    bad.write_text("not a pdf at all\n")
    page.get_by_role("tab", name="Documents").click()
    page.set_input_files("#upload input[type=file]", str(bad))
    current = page.locator("#ingest-report .upload-current")
    expect(current.locator("li.failed")).to_contain_text("bad.pdf", timeout=INGEST_MS)
    text = current.inner_text()
    assert text.count("bad.pdf") == 1, text  # one line, one wording
    assert "No file could be saved" not in text

    page.set_input_files("#upload input[type=file]", str(FIXTURES / "minimal-document.pdf"))
    expect(current).to_contain_text("minimal-document.pdf: added", timeout=INGEST_MS)
    expect(current).not_to_contain_text("bad.pdf")  # the old batch is not mixed into the new
    earlier = page.locator("#ingest-report details.earlier-uploads")
    expect(earlier.locator("summary")).to_have_text("Earlier uploads (1)")
    expect(earlier.locator("li.failed")).to_be_hidden()  # folded away until opened
    shot(page, "22-desktop-upload-report-batches")
    earlier.locator("summary").click()
    expect(earlier.locator("li.failed")).to_contain_text("bad.pdf")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_page_refuses_a_file_over_the_apps_limit_before_sending_it(tab, tmp_path, viewport):
    page = tab(viewport).page
    big = tmp_path / "big.pdf"
    with big.open("wb") as fh:  # 51 MB, over PANEL_MAX_UPLOAD_MB (50) and under Gradio's own limit
        fh.write(b"%PDF-1.4\n")
        fh.truncate(51_000_000)
    sent: list[int] = []  # the size of each upload the page sends
    page.on("request", lambda r: sent.append(len(r.post_data_buffer or b""))
            if r.method == "POST" and "/upload?" in r.url else None)
    page.get_by_role("tab", name="Documents").click()
    page.set_input_files("#upload input[type=file]", [str(big), str(FIXTURES / "google-doc-document.pdf")])
    refused = page.locator("#upload-limit .upload-refused")
    expect(refused).to_be_visible()
    expect(refused).to_have_text("big.pdf: is 51.0 MB; the limit is 50.0 MB (PANEL_MAX_UPLOAD_MB). Not sent.")
    expect(page.locator("#ingest-report")).to_contain_text("google-doc-document.pdf", timeout=INGEST_MS)
    expect(page.locator("#ingest-report")).not_to_contain_text("big.pdf")  # never reached the server
    assert page.locator(".toast-wrap", has_text="exceed the maximum").count() == 0
    shot(page, f"23-{'desktop' if viewport is DESKTOP else 'phone'}-upload-over-limit")
    assert len(sent) == 1 and sent[0] < 1_000_000, sent  # one upload: the small file's bytes only


def test_text_document_has_no_pages_export_keeps_no_hostile_link_and_deletion_shows_on_its_card(tab):
    page = tab().page
    page.get_by_role("tab", name="Documents").click()
    page.set_input_files("#upload input[type=file]",
                         [str(FIXTURES / "hostile-link.md"), str(FIXTURES / "minimal-document.pdf")])
    expect(page.locator("#ingest-report")).to_contain_text("hostile-link.md: added", timeout=INGEST_MS)
    expect(page.locator("#documents-table")).to_contain_text(HOSTILE_TITLE)
    rows = page.evaluate("""() => { const rows = {};
        document.querySelectorAll('#documents-table [role=gridcell][data-row]').forEach(c => {
            (rows[c.dataset.row] = rows[c.dataset.row] || [])[+c.dataset.col] = c.innerText.trim(); });
        return Object.values(rows); }""")
    mine = [r for r in rows if r[0] == HOSTILE_TITLE]
    assert mine and mine[0][3] == "", rows  # a Markdown document has no pages
    pdfs = [r for r in rows if r[1].endswith(".pdf")]
    assert pdfs and all(r[3].isdigit() for r in pdfs), rows  # a PDF keeps its page count

    choose_scope(page, HOSTILE_TITLE)
    ask(page, "Where did the panel's outreach page point visitors for comments?")
    turn = last_turn(page)
    expect(turn).to_contain_text("javascript:alert")  # shown as text, inert
    assert page.locator("a[href^='javascript' i]").count() == 0
    with page.expect_download() as info:
        page.click("#export")
    exported = info.value.path().read_text(encoding="utf-8")
    assert "](javascript:" not in exported.lower(), exported
    assert re.search(r"the public feedback form \(`javascript:alert\('pwned'\)`\)", exported), exported

    # the document is deleted: its card keeps the quote and title, says it is gone, offers no page
    page.get_by_role("tab", name="Documents").click()
    page.once("dialog", lambda d: d.accept())
    page.click("#delete-choice input")
    page.get_by_role("option", name=HOSTILE_TITLE, exact=True).click()
    page.click("#delete")
    expect(page.locator("#ingest-report .notice")).to_contain_text("Deleted", timeout=INGEST_MS)
    page.get_by_role("tab", name="Chat").click()
    card = page.locator("#sources-panel .turn-sources.active .cite-card").first
    expect(card.locator(".doc-gone")).to_contain_text("deleted", timeout=10_000)
    expect(card.locator(".title")).to_have_text(HOSTILE_TITLE)
    expect(card.locator(".quote mark.support")).to_contain_text("outreach page")
    assert card.locator("button.view-source").count() == 0
    shot(page, "24-desktop-deleted-document-card")


def test_evaluation_tab_is_readable_at_desktop_width(tab):
    """While a run goes the status says so; then no summary value is clipped, no column name is broken
    inside a word and the charts are shown near their own size (their labels legible)."""
    page = tab().page
    out = tb.ROOT / "eval" / "out"
    before = set(out.iterdir()) if out.is_dir() else set()
    started = time.time()
    page.get_by_role("tab", name="Evaluation").click()
    page.click("#eval-run")
    status = page.locator("#eval-status")
    try:
        expect(status).not_to_contain_text("Not run yet", timeout=5_000)
        expect(status).to_contain_text("Running")
        expect(status).to_contain_text("questions passed", timeout=tb.EVAL_MS)
        expect(page.locator("#eval-charts img")).to_have_count(3)  # quality, latency, risk and coverage
        page.wait_for_timeout(500)
        clipped = page.evaluate("""() => [...document.querySelectorAll('#eval-summary td')]
            .filter(td => td.scrollWidth > td.clientWidth + 1).map(td => td.innerText)""")
        assert clipped == [], clipped
        broken = page.evaluate("""() => [...document.querySelectorAll('#eval-questions th')].filter(th => {
            const label = th.innerText.trim();
            if (!label) return false;
            const holder = [...th.querySelectorAll('*')].reverse().find(e => e.innerText.trim() === label) || th;
            const probe = document.createElement('span');
            probe.textContent = label.split(/\\s+/).reduce((a, b) => a.length >= b.length ? a : b);
            probe.style.cssText = 'position:absolute;visibility:hidden;white-space:nowrap;font:'
                + getComputedStyle(holder).font;
            document.body.appendChild(probe);
            const word = probe.getBoundingClientRect().width;
            probe.remove();
            return word > holder.getBoundingClientRect().width + 0.5; }).map(th => th.innerText)""")
        assert broken == [], broken
        scale = page.evaluate("""() => Math.min(...[...document.querySelectorAll('#eval-charts img')]
            .map(i => i.clientWidth / i.naturalWidth))""")
        assert scale >= 0.75, f"the charts are shown at {scale:.2f} of their size: labels too small"
        shot(page, "25-desktop-evaluation-readable", full=True)
    finally:
        for run_dir in (set(out.iterdir()) if out.is_dir() else set()) - before:
            if run_dir.is_dir() and run_dir.stat().st_mtime >= started - 5:
                shutil.rmtree(run_dir)


def test_layout_fits_the_window_and_a_phone_opens_at_the_title(tab):
    desk = tab({"width": 1400, "height": 900}).page
    desk.wait_for_timeout(800)
    bottom = desk.evaluate("document.querySelector('#question textarea').getBoundingClientRect().bottom")
    assert bottom <= 900 - 16, f"the question box ends at {bottom} px of 900"
    assert desk.evaluate("document.scrollingElement.scrollHeight") <= 900 + 2, "the whole page scrolls at 1400x900"
    shot(desk, "26-desktop-1400x900-start")

    phone = tab(PHONE).page
    phone.wait_for_timeout(1500)  # the page script settles the scroll after the box's autofocus
    assert phone.evaluate("window.scrollY") == 0
    expect(phone.locator("#intro h2")).to_be_in_viewport()
    assert phone.evaluate("document.querySelector('#chatbot').getBoundingClientRect().height") >= 480
    ask(phone, FIRST)
    link = last_turn(phone).locator("a.cite-link").first
    link.click()
    card = phone.locator("#chatbot .inline-card")
    expect(card).to_have_count(1)
    phone.wait_for_timeout(300)
    inside = phone.evaluate("""() => {
        const c = document.querySelector('#chatbot .inline-card').getBoundingClientRect();
        const b = document.querySelector('#chatbot').getBoundingClientRect();
        return c.top >= b.top - 1 && (c.bottom <= b.bottom + 1 || c.height > b.height); }""")
    assert inside, "the card opened in place is clipped by the chat"
    shot(phone, "27-phone-start-card-in-place")
