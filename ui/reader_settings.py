"""The reader panel: answer with the offline extractive reader or a language model (any OpenAI-compatible
endpoint), test the endpoint, list its models, and remember the choice in the data directory.

The API key goes from the browser to the server only: the panel never fills it back in.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass

import gradio as gr

from assistant.settings import save_reader
from ui.services import Services

log = logging.getLogger("ui")

#: Local servers looked for on start: Ollama and llama.cpp's server, at their default ports.
LOCAL_SERVERS = {"Ollama": "http://127.0.0.1:11434/v1", "llama.cpp": "http://127.0.0.1:8080/v1"}
OFFLINE, MODEL = "Offline reader (extractive)", "Language model"


@dataclass
class Probe:
    ok: bool
    models: list[str]
    message: str


def probe(url: str, api_key: str = "", timeout: float = 2.0) -> Probe:
    """``GET <url>/models``: whether the endpoint answers, and the models it lists."""
    request = urllib.request.Request(url.rstrip("/") + "/models")
    if api_key:
        request.add_header("Authorization", f"Bearer {api_key}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return Probe(False, [], f"{url} answered HTTP {exc.code} ({exc.reason})")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Probe(False, [], f"{url} does not answer ({reason})")
    models = [m.get("id", "") for m in data.get("data", []) if isinstance(m, dict)]
    return Probe(True, models, f"{url} answers: {len(models)} model(s)")


def detect_local() -> dict[str, Probe]:
    """The local model servers that answer now."""
    found = {name: probe(url, timeout=0.5) for name, url in LOCAL_SERVERS.items()}
    return {name: p for name, p in found.items() if p.ok}


class ReaderHandlers:
    def __init__(self, services: Services) -> None:
        self.services = services


    def initial(self) -> tuple:
        s = self.services.settings
        local = detect_local()
        found = " · ".join(f"found {name} at {LOCAL_SERVERS[name]}" for name in local) or "no local model server found"
        url = s.llm_base_url
        if s.backend != "generative" and local:
            url = LOCAL_SERVERS[next(iter(local))]
        models = next(iter(local.values())).models if local else []
        model_value = s.llm_model if s.llm_model in models or not models else models[0]
        return (
            MODEL if s.backend == "generative" else OFFLINE, url,
            gr.update(choices=sorted({*models, model_value}), value=model_value),
            f"Answers now by: **{self.services.assistant.reader}** · {found}",
        )

    def test(self, url: str, api_key: str) -> tuple:
        result = probe(url, api_key or self.services.settings.llm_api_key.get_secret_value())
        line = result.message + (": " + ", ".join(result.models[:12]) if result.models else "")
        choices = gr.update(choices=result.models, value=result.models[0]) if result.models else gr.update()
        return choices, line

    def save(self, reader: str, url: str, model: str, api_key: str) -> tuple:
        backend = "generative" if reader == MODEL else "extractive"
        try:
            save_reader(self.services.settings, backend=backend, llm_base_url=url.strip(), llm_model=model or "local",
                        llm_api_key=api_key.strip())
            self.services.use_saved_reader()
        except Exception as exc:
            log.exception("could not save the reader")
            return "", f"Could not save the reader: {exc}"
        return "", f"Saved. Answers now by: **{self.services.assistant.reader}**"


def build_reader_panel(services: Services, demo: gr.Blocks) -> ReaderHandlers:
    """The panel's components and events, inside the caller's layout block."""
    handlers = ReaderHandlers(services)
    with gr.Accordion("Reader", open=False, elem_id="reader-panel"):
        reader = gr.Radio([OFFLINE, MODEL], label="Who reads the passages", elem_id="reader-choice")
        url = gr.Textbox(label="Endpoint (OpenAI-compatible /v1)", elem_id="reader-url")
        with gr.Row():
            model = gr.Dropdown([], label="Model", allow_custom_value=True, elem_id="reader-model")
            key = gr.Textbox(label="API key (kept on the server)", type="password", placeholder="unchanged",
                             elem_id="reader-key")
        with gr.Row():
            test = gr.Button("Test", elem_id="reader-test")
            save = gr.Button("Use this reader", variant="primary", elem_id="reader-save")
        status = gr.Markdown(elem_id="reader-status")
    test.click(handlers.test, [url, key], [model, status], queue=False)
    save.click(handlers.save, [reader, url, model, key], [key, status], queue=False)
    demo.load(handlers.initial, None, [reader, url, model, status], queue=False)
    return handlers
