"""The web UI end to end: the app in a subprocess, driven by headless Chromium (Playwright).

One app server for the module (``tests/ui_server.py``: the real app, answers streamed at a readable
pace so a test can act while one streams). Each flow runs at desktop (1400 px) and phone (390 px)
widths where both matter. Needs Debian's ``chromium``; Playwright's own browser download is not used.
Screenshots of every step go to ``artifacts/screenshots/`` (git-ignored; CI keeps them).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from pathlib import Path

import pytest

from .servers import free_port, running

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
START_TIMEOUT = 240  # first start: load the model and ingest the corpus
ANSWER_MS = 90_000
INGEST_MS = 180_000
EVAL_MS = 400_000
DESKTOP = {"width": 1400, "height": 1000}
PHONE = {"width": 390, "height": 844}
FIRST = "Who led the first meeting at UN Headquarters?"

if not Path(CHROMIUM).exists():  # pragma: no cover - depends on the machine
    if os.environ.get("PANEL_REQUIRE_BROWSER"):  # CI installs Chromium: there, its absence is a failure
        raise RuntimeError(f"{CHROMIUM} is missing but PANEL_REQUIRE_BROWSER is set")
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app on a free port over a fresh data dir (its first start ingests the bundled corpus)."""
    data = tmp_path_factory.mktemp("ui-data")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANEL_AUTH")}
    env.update(PANEL_DATA_DIR=str(data), PANEL_PORT=str(port), PANEL_HOST="127.0.0.1", HF_HUB_OFFLINE="1",
               GRADIO_ANALYTICS_ENABLED="False", PYTHONUNBUFFERED="1", UI_TEST_PIECE_DELAY="0.15")
    log_path = data / "app.log"
    url = f"http://127.0.0.1:{port}/"
    cmd = [sys.executable, "-m", "tests.ui_server"]
    with running(cmd, url, log_path, START_TIMEOUT, name="the app", cwd=ROOT, env=env):
        yield {"url": url, "data": data, "log": log_path}


@pytest.fixture(scope="module")
def browser():
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update"],
        )
        yield browser
        browser.close()


class Tab:
    """One browser context (its own localStorage, so its own conversations) and its page."""

    def __init__(self, browser, url: str, viewport: dict) -> None:
        self.url = url
        self.context = browser.new_context(viewport=viewport)
        self.errors: list[str] = []
        self.page = self.context.new_page()
        self.page.set_default_timeout(30_000)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.open()

    def open(self) -> None:
        self.page.goto(self.url, wait_until="domcontentloaded")
        self.page.wait_for_selector("#question textarea", timeout=60_000)
        self.page.wait_for_function("document.querySelector('#conversations input') !== null", timeout=30_000)


@pytest.fixture
def tab(server, browser):
    tabs: list[Tab] = []

    def make(viewport: dict = DESKTOP) -> Tab:
        tabs.append(Tab(browser, server["url"], viewport))
        return tabs[-1]

    yield make
    for t in tabs:
        errors = list(t.errors)
        t.context.close()
        assert errors == [], f"errors on the page: {errors}"


# --- helpers ------------------------------------------------------------------------------

def shot(page, name: str, full: bool = False) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full)


def turns(page) -> int:
    return page.locator("#chatbot .turn").count()


def send(page, question: str) -> None:
    page.fill("#question textarea", question)
    page.press("#question textarea", "Enter")


def ask(page, question: str) -> None:
    """Ask and wait until the answer is final (the final message is a ``.turn``) and nothing waits."""
    before = turns(page)
    send(page, question)
    page.wait_for_function(f"document.querySelectorAll('#chatbot .turn').length > {before}", timeout=ANSWER_MS)
    expect(page.locator("#stop")).to_be_disabled(timeout=ANSWER_MS)


def last_turn(page):
    return page.locator("#chatbot .turn").last


def top(page, selector: str) -> float:
    return page.evaluate(f"document.querySelector('{selector}').getBoundingClientRect().top")


def upload_files(page, *paths: Path) -> None:
    page.get_by_role("tab", name="Documents").click()
    for path in paths:
        page.set_input_files("#upload input[type=file]", str(path))
    for path in paths:
        expect(page.locator("#ingest-report")).to_contain_text(path.name, timeout=INGEST_MS)


def assert_no_server_paths(page, server) -> None:
    text = page.locator("body").inner_text()
    for path in (str(ROOT), str(server["data"])):
        assert path not in text, f"a server path is on the page: {path}"


def choose_scope(page, title: str) -> None:
    page.get_by_role("tab", name="Chat").click()
    page.click("#scope input")
    page.get_by_role("option", name=title, exact=True).click()
    page.keyboard.press("Escape")
    expect(page.locator("#scope")).to_contain_text(title)


# --- chat and citations -------------------------------------------------------------------

def test_cited_answer_and_citation_scrolls_only_the_sources_panel(tab, server):
    page = tab().page
    expect(page.locator("#status-line")).to_contain_text("5 documents")
    assert page.locator("#chatbot label, #chatbot [data-testid=block-label]").count() == 0  # no label over it
    shot(page, "01-desktop-start")
    ask(page, FIRST)
    expect(last_turn(page)).to_contain_text("Melinda Gates")
    card = page.locator("#sources-panel .turn-sources.active .cite-card").first
    expect(card.locator(".quote mark.support")).to_contain_text("led the meeting at UN Headquarters")
    expect(card.locator(".passage")).to_be_hidden()  # the whole passage waits behind "Full passage"
    card.locator("summary").click()
    expect(card.locator(".passage")).to_be_visible()

    ask(page, "What did Guterres describe as the dark side of innovation?")
    ask(page, "Which principles should digital cooperation rest on?")
    expect(page.locator("#sources-panel .turn-tab")).to_have_count(3)
    chat_top, scroll = top(page, "#chatbot"), page.evaluate("window.scrollY")
    first_link = page.locator("#chatbot .turn").first.locator("a.cite-link").first
    first_link.click()
    page.wait_for_timeout(400)
    assert page.evaluate("window.scrollY") == scroll and top(page, "#chatbot") == chat_top  # the chat stays put
    section = page.locator("#sources-panel .turn-sources.active")
    expect(section).to_have_attribute("data-turn", "1")  # the panel switched to the clicked answer
    target = page.locator("#cite-1-1")
    expect(target).to_have_class(re.compile(r"\btargeted\b"))
    inside = page.evaluate("""() => { const c = document.getElementById('cite-1-1').getBoundingClientRect();
        const p = document.getElementById('sources-panel').getBoundingClientRect();
        return c.top >= p.top - 1 && c.top < p.bottom; }""")
    assert inside, "the clicked card is not in view inside the sources panel"
    shot(page, "02-desktop-older-citation-clicked")

    page.locator("#sources-panel .turn-tab[data-turn='3']").click()
    expect(page.locator("#sources-panel .turn-sources.active")).to_have_attribute("data-turn", "3")
    assert_no_server_paths(page, server)


def test_phone_citation_opens_its_card_in_place(tab):
    page = tab(PHONE).page
    expect(page.locator("#conv-sidebar")).not_to_have_class(re.compile(r"\bopen\b"))  # the list starts closed
    shot(page, "03-phone-start")
    ask(page, FIRST)
    link = last_turn(page).locator("a.cite-link").first
    link.scroll_into_view_if_needed()
    scroll, chat_top = page.evaluate("window.scrollY"), top(page, "#chatbot")
    link.click()
    inline = page.locator("#chatbot .inline-card")
    expect(inline).to_have_count(1)
    expect(inline.locator(".quote mark.support")).to_contain_text("led the meeting at UN Headquarters")
    assert page.evaluate("window.scrollY") == scroll and top(page, "#chatbot") == chat_top
    shot(page, "04-phone-citation-in-place")
    inline.locator(".inline-close").click()
    expect(inline).to_have_count(0)

    page.locator("#conv-sidebar .toggle-button").click()
    expect(page.locator("#conversations label", has_text=FIRST)).to_be_in_viewport()
    page.wait_for_timeout(500)  # the sidebar slides in
    shot(page, "05-phone-conversation-list")


def test_off_corpus_question_abstains_with_closest_matches(tab):
    page = tab().page
    ask(page, "What is the best recipe for lasagna?")
    turn = last_turn(page)
    expect(turn.locator(".answer.abstained")).to_contain_text("Not in the documents")
    assert turn.locator("a.cite-link").count() == 0
    panel = page.locator("#sources-panel .turn-sources.active")
    expect(panel).to_contain_text("Closest matches — not answers")
    assert 1 <= panel.locator(".match-card").count() <= 3
    shot(page, "06-desktop-abstention")


def test_markdown_answers_show_no_raw_marks(tab):
    """Answers are Markdown (lists, bold document titles): the chat shows them rendered, markers clickable."""
    page = tab().page
    ask(page, "Summarise the documents about the second meeting.")
    turn = last_turn(page)
    text = turn.locator(".answer").inner_text()
    assert "**" not in text and not re.search(r"^\s*- ", text, re.MULTILINE), text
    assert turn.locator("a.cite-link").count() >= 1
    shot(page, "06b-desktop-summary-answer")


# --- conversations ------------------------------------------------------------------------

def test_conversations_survive_a_reload_and_can_be_reopened_renamed_and_deleted(tab):
    t = tab()
    page = t.page
    ask(page, FIRST)
    t.open()  # reload
    expect(page.locator("#chatbot")).to_contain_text("Melinda Gates")
    expect(page.locator("#sources-panel .cite-card").first).to_be_visible()
    expect(page.locator("#conversations")).to_contain_text(FIRST)

    page.click("#new-conversation")
    expect(page.locator("#chatbot .turn")).to_have_count(0)
    ask(page, "How can the public take part in the panel's work?")
    page.locator("#conversations label", has_text=FIRST).click()
    expect(page.locator("#chatbot")).to_contain_text("Melinda Gates")
    expect(page.locator("#chatbot")).not_to_contain_text("take part")

    page.fill("#conv-title input, #conv-title textarea", "Meeting leaders")
    page.click("#rename-conversation")
    expect(page.locator("#conversations")).to_contain_text("Meeting leaders")
    shot(page, "07-desktop-conversations")

    messages: list[str] = []
    page.once("dialog", lambda d: (messages.append(d.message), d.accept()))
    page.click("#delete-conversation")
    expect(page.locator("#conversations")).not_to_contain_text("Meeting leaders")
    assert messages and "Meeting leaders" in messages[0]  # the confirmation names it
    expect(page.locator("#chatbot")).to_contain_text("take part")  # the other one is open now
    t.open()
    expect(page.locator("#conversations")).not_to_contain_text("Meeting leaders")


def test_nothing_typed_is_lost_queue_stop_and_regenerate(tab):
    page = tab().page
    send(page, "Which principles should digital cooperation rest on?")
    expect(page.locator("#stop")).to_be_enabled(timeout=ANSWER_MS)  # streaming
    send(page, FIRST)  # sent while the first answer streams
    expect(page.locator("#question textarea")).to_have_value("")
    expect(page.locator("#chatbot")).to_contain_text("Waiting")
    expect(page.locator("#chat-status")).to_contain_text("1 more question waiting")
    shot(page, "08-desktop-question-queued")
    page.wait_for_function("document.querySelectorAll('#chatbot .turn').length === 2", timeout=ANSWER_MS)
    expect(last_turn(page)).to_contain_text("Melinda Gates")
    assert "principles" in page.locator("#chatbot .question").first.inner_text()

    before = turns(page)
    page.fill("#question textarea", "What did Guterres describe as the dark side of innovation?")
    page.click("#ask")
    expect(page.locator("#stop")).to_be_enabled(timeout=ANSWER_MS)
    page.fill("#question textarea", "a draft")
    page.click("#stop")
    expect(page.locator("#chatbot .answer.stopped")).to_have_count(1, timeout=ANSWER_MS)
    expect(page.locator("#question textarea")).to_have_value("a draft")
    assert turns(page) == before + 1
    shot(page, "09-desktop-stopped")
    page.click("#regenerate")
    expect(page.locator("#chatbot .answer.stopped")).to_have_count(0, timeout=ANSWER_MS)
    expect(page.locator("#stop")).to_be_disabled(timeout=ANSWER_MS)
    assert turns(page) == before + 1  # regenerated in place
    assert last_turn(page).locator("a.cite-link").count() >= 1
    expect(page.locator("#question textarea")).to_have_value("a draft")


# --- documents, scope and the page beside the quote ---------------------------------------

def test_files_dropped_during_an_ingestion_are_queued_and_reported(tab, server):
    page = tab().page
    page.get_by_role("tab", name="Documents").click()
    page.set_input_files("#upload input[type=file]", str(FIXTURES / "pdflatex-4-pages.pdf"))
    expect(page.locator("#upload-status")).to_contain_text("Ingesting pdflatex-4-pages.pdf", timeout=30_000)
    page.set_input_files("#upload input[type=file]", str(FIXTURES / "script-in-text.md"))  # while it runs
    expect(page.locator("#upload-status")).to_contain_text("Waiting: script-in-text.md")
    page.set_input_files("#upload input[type=file]", str(FIXTURES / "libreoffice-writer-password.pdf"))
    expect(page.locator("#ingest-progress")).to_contain_text(re.compile(r"Reading|Embedding"), timeout=30_000)
    shot(page, "10-desktop-upload-queued")
    report = page.locator("#ingest-report")
    expect(report).to_contain_text("pdflatex-4-pages.pdf: added (4 pages", timeout=INGEST_MS)
    expect(report).to_contain_text("script-in-text.md: added", timeout=INGEST_MS)
    expect(report.locator("li.failed")).to_contain_text("password-protected", timeout=INGEST_MS)
    expect(page.locator("#documents-table")).to_contain_text("Pdflatex 4 pages")
    assert (server["data"] / "uploads" / "pdflatex-4-pages.pdf").is_file()
    assert not (server["data"] / "uploads" / "libreoffice-writer-password.pdf").exists()  # not kept
    expect(page.locator("#upload-status")).not_to_contain_text("Ingesting")
    assert_no_server_paths(page, server)
    shot(page, "11-desktop-upload-reported")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_scoped_pdf_answer_shows_its_page_with_the_quote_marked(tab, viewport):
    page = tab(viewport).page
    name = "desktop" if viewport is DESKTOP else "phone"
    choose_scope(page, "Pdflatex 4 pages")
    ask(page, "What does the blind text give you information about?")
    turn = last_turn(page)
    expect(turn.locator(".scope-chip")).to_contain_text("Only from: Pdflatex 4 pages")
    expect(turn).to_contain_text("selected font")
    if viewport is PHONE:
        turn.locator("a.cite-link").first.click()
        card = page.locator("#chatbot .inline-card")
    else:
        card = page.locator("#sources-panel .turn-sources.active .cite-card").first
    expect(card.locator(".page")).to_have_text(re.compile(r"^(p\. [1-4]|pp\. [1-3]–[2-4])$"))
    two_pages = card.locator(".page").inner_text().startswith("pp.")  # the sentence runs over a page break
    shot(page, f"12-{name}-scoped-pdf-answer")
    card.locator("button.view-source").click()
    viewer = page.locator("#source-viewer .viewer-backdrop:not(.closed)")
    expect(viewer.locator("img")).to_be_visible(timeout=30_000)
    expect(viewer).to_contain_text("marked in yellow")
    expect(viewer.locator(".viewer-title")).to_contain_text(re.compile(r"(page [1-4]|pages [1-3]–[2-4]) of 4"))
    expect(viewer.locator("figure.viewer-page")).to_have_count(2 if two_pages else 1)
    if two_pages:
        expect(viewer).to_contain_text("marked in yellow on both pages")
    assert page.evaluate("document.querySelector('#source-viewer img').naturalWidth") > 800
    expect(viewer).to_have_attribute("data-focused", "1")  # scrolled to the marked lines
    in_view = page.evaluate("""() => { const b = document.querySelector('#source-viewer .viewer-body');
        const img = b.querySelector('img'); const m = b.querySelector('.viewer-page').dataset.mark.split(',');
        const y = img.getBoundingClientRect().top + parseFloat(m[1]) * img.clientHeight;
        const r = b.getBoundingClientRect(); return y >= r.top && y <= r.bottom; }""")
    assert in_view, "the marked sentence is not in view in the page viewer"
    page.wait_for_timeout(300)
    shot(page, f"13-{name}-pdf-page-with-quote")
    viewer.locator(".viewer-close").click()
    expect(page.locator("#source-viewer .viewer-backdrop:not(.closed)")).to_have_count(0)


def test_text_document_shows_the_paragraph_in_context_and_markup_stays_text(tab, server):
    page = tab().page
    title = "Panel website notes with <em>markup</em> in the title"
    choose_scope(page, title)
    ask(page, "What raw snippet did the panel's consultation page show in its footer?")
    snippet = "<script>window.__pwned = 1</script>"
    expect(last_turn(page)).to_contain_text(snippet)
    card = page.locator("#sources-panel .turn-sources.active .cite-card").first
    expect(card.locator(".title")).to_have_text(title)
    card.locator("button.view-source").click()
    viewer = page.locator("#source-viewer .viewer-backdrop:not(.closed)")
    expect(viewer.locator(".viewer-text mark.support")).to_be_visible(timeout=30_000)
    shot(page, "14-desktop-text-in-context")
    page.keyboard.press("Escape")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    for where in ("#chatbot", "#sources-panel", "#source-viewer"):
        assert page.locator(f"{where} script").count() == 0
    assert page.locator("#sources-panel .title em, #chatbot .answer b").count() == 0

    # delete it: the confirmation names the document; the index forgets it and its uploaded file goes
    page.get_by_role("tab", name="Documents").click()
    messages: list[str] = []
    page.once("dialog", lambda d: (messages.append(d.message), d.accept()))
    page.click("#delete-choice input")
    page.get_by_role("option", name=title, exact=True).click()
    page.click("#delete")
    expect(page.locator("#ingest-report .notice")).to_contain_text("Deleted", timeout=INGEST_MS)
    assert messages and title in messages[0]
    expect(page.locator("#documents-table")).not_to_contain_text(title)
    assert not (server["data"] / "uploads" / "script-in-text.md").exists()
    shot(page, "15-desktop-deleted")


def test_phone_documents_tab_keeps_progress_beside_the_upload(tab):
    page = tab(PHONE).page
    page.get_by_role("tab", name="Documents").click()
    page.wait_for_timeout(300)
    shot(page, "16-phone-documents")
    upload_box = page.locator("#upload").bounding_box()
    progress_box = page.locator("#ingest-progress").bounding_box()
    assert 0 <= progress_box["y"] - (upload_box["y"] + upload_box["height"]) < 40  # right under the drop zone
    label_bottom, drop_top = page.evaluate("""() => {
        const label = document.querySelector('#upload [data-testid=block-label]').getBoundingClientRect();
        const walk = document.createTreeWalker(document.querySelector('#upload'), NodeFilter.SHOW_TEXT);
        for (let n = walk.nextNode(); n; n = walk.nextNode()) {
            if (n.textContent.trim() === 'Drop File Here') {
                const r = document.createRange(); r.selectNodeContents(n);
                return [label.bottom, r.getBoundingClientRect().top];
            }
        }
        return [label.bottom, null]; }""")
    assert drop_top is not None and label_bottom <= drop_top, "the upload label overlaps the drop zone's text"


# --- evaluation ---------------------------------------------------------------------------

def test_evaluation_tab_runs_the_regression_set_without_server_paths(tab):
    page = tab().page
    out = ROOT / "eval" / "out"
    before = set(out.iterdir()) if out.is_dir() else set()
    started = time.time()
    page.get_by_role("tab", name="Evaluation").click()
    page.click("#eval-run")
    status = page.locator("#eval-status")
    try:
        expect(status).to_contain_text("questions passed", timeout=EVAL_MS)
        expect(page.locator("#eval-summary")).to_contain_text("evidence hit@k")
        expect(page.locator("#eval-charts img")).to_have_count(3)  # quality, latency, risk and coverage
        questions = page.locator("#eval-questions")
        expect(questions).to_contain_text("q001")
        page.get_by_label("Show only failures").check()
        expect(questions.locator("td", has_text=re.compile(r"^\s*pass\s*$"))).to_have_count(0, timeout=10_000)
        text = page.locator("body").inner_text()
        assert str(ROOT) not in text and not re.search(r"(^|\s)/(tmp|work|home|srv)/", text)
        shot(page, "17-desktop-evaluation", full=True)
    finally:  # the run is the test's: it must not become the "previous run" of a real one
        for run_dir in (set(out.iterdir()) if out.is_dir() else set()) - before:
            if run_dir.is_dir() and run_dir.stat().st_mtime >= started - 5:
                shutil.rmtree(run_dir)


def test_app_log_has_no_tracebacks(server):
    """Runs last: every flow above should have left no error in the server log."""
    text = server["log"].read_text(errors="replace")
    assert "Traceback" not in text, text[-4000:]


@pytest.fixture(scope="module", autouse=True)
def _keep_log(server):
    """The server log next to the screenshots, for reading after a failure."""
    yield
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(server["log"], SHOTS.parent / "app.log")
