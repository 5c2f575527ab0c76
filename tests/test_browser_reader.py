"""The Reader panel in Chromium: choose a language model (a scripted OpenAI-compatible server on
127.0.0.1), test it, use it; answers say who read them and what the verifier removed; the API key
never comes back to the browser. Desktop and phone widths; screenshots in ``artifacts/screenshots/``."""

from __future__ import annotations

import json
import os
import sys

import pytest

from .openai_stub import passage_number, serving
from .servers import free_port, running
from .test_browser import CHROMIUM, DESKTOP, PHONE, ROOT, SHOTS, START_TIMEOUT, Tab, ask, last_turn, shot

pytestmark = [pytest.mark.slow, pytest.mark.browser]
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
KEY = "sk-test-never-shown-0123456789"


def script(messages):
    n = passage_number(messages, "Melinda Gates")
    if not n:
        return "NOT IN THE DOCUMENTS"
    return (f"Melinda Gates and Jack Ma led the meeting at UN Headquarters [{n}]. "
            f"Melinda Gates and Jack Ma led 30 meetings at UN Headquarters [{n}].")


@pytest.fixture(scope="module")
def model():
    with serving(script, models=["stub-model", "other-model"]) as server:
        yield server


@pytest.fixture(scope="module")
def app(tmp_path_factory, model):
    data = tmp_path_factory.mktemp("reader-ui")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PANEL_AUTH", "PANEL_LLM", "PANEL_BACKEND"))}
    env.update(PANEL_DATA_DIR=str(data), PANEL_PORT=str(port), PANEL_HOST="127.0.0.1", HF_HUB_OFFLINE="1",
               GRADIO_ANALYTICS_ENABLED="False", PYTHONUNBUFFERED="1")
    url = f"http://127.0.0.1:{port}/"
    with running([sys.executable, "app.py"], url, data / "app.log", START_TIMEOUT, name="the app", cwd=ROOT, env=env):
        yield {"url": url, "data": data}


@pytest.fixture(scope="module")
def browser():
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--headless", "--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


def open_panel(page) -> None:
    """The Reader panel sits inside the chat's Options."""
    if not page.locator("#reader-panel").is_visible():
        page.locator("#chat-options").get_by_text("Options").first.click()
    page.locator("#reader-panel").get_by_text("Reader").first.click()
    expect(page.locator("#reader-url input, #reader-url textarea").first).to_be_visible()


def test_choose_a_model_test_it_and_answers_say_who_read_them(app, model, browser):
    tab = Tab(browser, app["url"], DESKTOP)
    page = tab.page
    open_panel(page)
    expect(page.locator("#reader-status")).to_contain_text("offline reader")
    url_box = page.locator("#reader-url textarea, #reader-url input").first
    url_box.fill(model.url)
    page.locator("#reader-key input").fill(KEY)
    page.click("#reader-test")
    expect(page.locator("#reader-status")).to_contain_text("2 model(s)")
    expect(page.locator("#reader-status")).to_contain_text("stub-model")
    page.get_by_label("Language model").check()
    page.click("#reader-save")
    expect(page.locator("#reader-status")).to_contain_text(f"language model stub-model at {model.url}", timeout=60_000)
    expect(page.locator("#reader-key input")).to_have_value("")
    shot(page, "reader-desktop-saved", full=True)
    assert model.requests == [] or all("messages" not in r for r in model.requests)
    saved = json.loads((app["data"] / "reader.json").read_text())
    assert saved["backend"] == "generative" and saved["llm_api_key"] == KEY

    ask(page, "Who led the first meeting at UN Headquarters?")
    turn = last_turn(page)
    expect(turn).to_contain_text("Melinda Gates and Jack Ma led the meeting at UN Headquarters")
    expect(turn).to_contain_text("1 sentence removed: the cited passage does not say this")
    expect(turn).to_contain_text("Read by: language model stub-model")
    assert "30 meetings" not in turn.inner_text()
    assert len(model.requests) == 1
    shot(page, "reader-desktop-answer", full=True)

    page.reload()
    page.wait_for_selector("#question textarea")
    open_panel(page)
    expect(page.locator("#reader-status")).to_contain_text("language model stub-model")
    assert KEY not in page.content()
    tab.context.close()
    assert tab.errors == []


def test_the_panel_fits_a_phone(app, browser):
    tab = Tab(browser, app["url"], PHONE)
    page = tab.page
    open_panel(page)
    page.locator("#reader-panel").scroll_into_view_if_needed()
    for sel in ("#reader-url", "#reader-model", "#reader-key", "#reader-test", "#reader-save"):
        box = page.locator(sel).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1, sel
    shot(page, "reader-phone", full=True)
    tab.context.close()
