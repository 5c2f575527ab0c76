"""The web UI end to end: ``python app.py`` in a subprocess, driven by headless Chromium (Playwright).

Needs Debian's ``chromium`` (``apt-get install chromium``); Playwright's own browser download is not
used. Screenshots of every step go to ``artifacts/screenshots/``.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
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
               GRADIO_ANALYTICS_ENABLED="False", PYTHONUNBUFFERED="1")
    log_path = data / "app.log"
    url = f"http://127.0.0.1:{port}/"
    with running([sys.executable, "app.py"], url, log_path, START_TIMEOUT, name="app.py", cwd=ROOT, env=env):
        yield {"url": url, "data": data, "log": log_path}


@pytest.fixture(scope="module")
def browser():
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(server, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(server["url"], wait_until="domcontentloaded")
    page.wait_for_selector("#question textarea", timeout=60_000)
    yield page
    context.close()


# --- helpers ------------------------------------------------------------------------------

def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def ask(page, question: str) -> None:
    """Ask and wait until the answer is final (the final message is a ``.turn``)."""
    before = page.locator("#chatbot .turn").count()
    page.fill("#question textarea", question)
    page.click("#ask")
    page.wait_for_function(
        f"document.querySelectorAll('#chatbot .turn').length > {before}", timeout=ANSWER_MS
    )
    page.wait_for_timeout(300)  # the sources panel is updated in the same message


def last_turn(page):
    return page.locator("#chatbot .turn").last


def upload(page, path: Path) -> None:
    page.get_by_role("tab", name="Documents").click()
    page.set_input_files("#upload input[type=file]", str(path))
    expect(page.locator("#ingest-report .sync-report")).to_contain_text(path.name, timeout=INGEST_MS)


def choose_scope(page, title: str) -> None:
    page.get_by_role("tab", name="Chat").click()
    page.click("#scope input")
    page.get_by_role("option", name=title, exact=True).click()
    page.keyboard.press("Escape")
    expect(page.locator("#scope")).to_contain_text(title)


# --- flows --------------------------------------------------------------------------------

def test_cited_answer_with_source_cards_and_citation_click(page):
    expect(page.locator("#status-line")).to_contain_text("5 documents")
    shot(page, "01-start")
    ask(page, "Who led the first meeting at UN Headquarters?")
    turn = last_turn(page)
    expect(turn).to_contain_text("Melinda Gates")
    links = turn.locator("a.cite-link")
    assert links.count() >= 1
    card = page.locator("#sources-panel .cite-card").first
    expect(card).to_be_visible()
    expect(card.locator("mark.support")).to_contain_text("led the meeting at UN Headquarters")
    expect(card.locator(".title")).to_contain_text("first meeting of the High-level Panel")
    shot(page, "02-cited-answer")

    target = links.first.get_attribute("href").lstrip("#")
    assert target == "cite-1-1"
    links.first.click()
    expect(page.locator(f"#{target}")).to_have_class("cite-card targeted")
    assert page.locator(".cite-card.targeted").count() == 1
    page.wait_for_timeout(500)  # let the highlight transition finish before the picture
    shot(page, "03-citation-clicked")

    ask(page, "What did she say about education?")  # a follow-up: the history goes with it
    expect(last_turn(page).locator(".query-note")).to_contain_text("Who led the first meeting")
    expect(page.locator("#sources-panel .turn-sources").first).to_contain_text("What did she say about education?")
    shot(page, "04-follow-up")

    with page.expect_download(timeout=30_000) as download:
        page.click("#export")
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert "## Q1. Who led the first meeting at UN Headquarters?" in exported
    assert "## Q2. What did she say about education?" in exported
    assert "Sources:" in exported and re.search(r"^\[1\] .+", exported, re.MULTILINE)
    assert "> “Melinda Gates, Co-Chair" in exported


def test_example_question_on_an_empty_chat(page):
    example = "How can the public take part in the panel's work?"
    page.locator("#chatbot").get_by_text(example).click()
    page.wait_for_function("document.querySelectorAll('#chatbot .turn').length > 0", timeout=ANSWER_MS)
    expect(page.locator("#chatbot")).to_contain_text(example)
    assert last_turn(page).locator("a.cite-link").count() >= 1
    expect(page.locator("#sources-panel .cite-card").first).to_be_visible()
    shot(page, "04b-example-question")


def test_off_corpus_question_abstains_with_closest_matches(page):
    ask(page, "What is the best recipe for lasagna?")
    turn = last_turn(page)
    expect(turn.locator(".answer.abstained")).to_contain_text("Not in the documents")
    assert turn.locator("a.cite-link").count() == 0
    panel = page.locator("#sources-panel .turn-sources").first
    expect(panel).to_contain_text("Closest matches — not answers")
    assert 1 <= panel.locator(".match-card").count() <= 3
    assert panel.locator(".cite-card").count() == 0
    shot(page, "05-abstention")


def test_uploaded_pdf_is_listed_and_answers_cite_its_page(page, server):
    upload(page, FIXTURES / "pdflatex-4-pages.pdf")
    expect(page.locator("#ingest-report")).to_contain_text("pdflatex-4-pages.pdf: added (4 pages")
    expect(page.locator("#documents-table")).to_contain_text("Pdflatex 4 pages")
    assert (server["data"] / "uploads" / "pdflatex-4-pages.pdf").is_file()
    shot(page, "06-uploaded-pdf")

    choose_scope(page, "Pdflatex 4 pages")
    ask(page, "What does the blind text give you information about?")
    expect(last_turn(page)).to_contain_text("selected font")
    card = page.locator("#sources-panel .turn-sources").first.locator(".cite-card").first
    expect(card.locator(".title")).to_have_text("Pdflatex 4 pages")
    expect(card.locator(".page")).to_have_text(re.compile(r"^p\. [1-4]$"))  # the blind text is on every page
    shot(page, "07-pdf-answer-with-page")


def test_password_protected_pdf_is_reported(page, server):
    upload(page, FIXTURES / "libreoffice-writer-password.pdf")
    failed = page.locator("#ingest-report li.failed")
    expect(failed).to_contain_text("libreoffice-writer-password.pdf")
    expect(failed).to_contain_text("password-protected")
    expect(page.locator("#documents-table")).not_to_contain_text("libreoffice-writer-password")
    assert not (server["data"] / "uploads" / "libreoffice-writer-password.pdf").exists()  # not kept
    shot(page, "08-password-pdf")


def test_script_in_a_document_is_shown_as_text_and_never_runs(page, server):
    title = "Panel website notes with <em>markup</em> in the title"
    upload(page, FIXTURES / "script-in-text.md")
    expect(page.locator("#documents-table")).to_contain_text(title)

    choose_scope(page, title)
    ask(page, "What raw snippet did the panel's consultation page show in its footer?")
    snippet = "<script>window.__pwned = 1</script>"
    expect(last_turn(page)).to_contain_text(snippet)
    card = page.locator("#sources-panel .turn-sources").first.locator(".cite-card").first
    expect(card.locator(".passage")).to_contain_text(snippet)
    expect(card.locator(".title")).to_have_text(title)
    page.wait_for_timeout(500)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    for where in ("#chatbot", "#sources-panel"):
        assert page.locator(f"{where} script, {where} img[src='x']").count() == 0
    assert page.locator("#sources-panel .title em, #sources-panel .passage b, #chatbot .answer b").count() == 0
    shot(page, "09-script-as-text")

    # delete it again: the index forgets it and its uploaded file goes
    page.get_by_role("tab", name="Documents").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#delete-choice input")
    page.get_by_role("option", name=title, exact=True).click()
    page.click("#delete")
    expect(page.locator("#ingest-report .notice")).to_contain_text("Deleted", timeout=INGEST_MS)
    expect(page.locator("#documents-table")).not_to_contain_text(title)
    assert not (server["data"] / "uploads" / "script-in-text.md").exists()
    assert page.evaluate("typeof window.__pwned") == "undefined"
    shot(page, "10-deleted")


def test_evaluation_tab_runs_the_regression_set(page):
    page.get_by_role("tab", name="Evaluation").click()
    page.click("#eval-run")
    expect(page.locator("#eval-status")).to_contain_text("%", timeout=60_000)  # the progress bar
    shot(page, "11-evaluation-running")
    status = page.locator("#eval-status")
    expect(status).to_contain_text("questions passed", timeout=EVAL_MS)
    run_dir = Path(re.search(r"Files: (\S+)\.", status.inner_text()).group(1).strip("`"))
    try:
        expect(page.locator("#eval-summary")).to_contain_text("evidence hit@k")
        expect(page.locator("#eval-charts img")).to_have_count(2)
        expect(page.locator("#eval-comparison")).not_to_be_empty()
        questions = page.locator("#eval-questions")
        expect(questions).to_contain_text("q001")
        page.get_by_label("Show only failures").check()
        expect(questions.locator("td", has_text=re.compile(r"^\s*pass\s*$"))).to_have_count(0, timeout=10_000)
        assert questions.locator("td", has_text=re.compile(r"^\s*FAIL\s*$")).count() >= 1
        shot(page, "12-evaluation-done")
    finally:  # the run is the test's: it must not become the "previous run" of a real one
        if run_dir.is_dir() and run_dir.parent.name == "out":
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
