"""The reader choice: saved in the data directory, environment variables win, the key stays on the server."""

from __future__ import annotations

import stat

from assistant.settings import Settings, reader_file, save_reader, with_saved_reader
from ui.reader_settings import ReaderHandlers, probe

from .openai_stub import serving


def test_saved_choice_is_applied_and_the_environment_wins(tmp_path, monkeypatch):
    monkeypatch.delenv("PANEL_LLM_MODEL", raising=False)
    monkeypatch.delenv("PANEL_BACKEND", raising=False)
    base = Settings(data_dir=tmp_path)
    saved = save_reader(base, backend="generative", llm_base_url="http://127.0.0.1:9/v1", llm_model="m1",
                        llm_api_key="sk-secret")
    assert (saved.backend, saved.llm_model, saved.llm_api_key.get_secret_value()) == ("generative", "m1", "sk-secret")
    assert stat.S_IMODE(reader_file(base).stat().st_mode) == 0o600
    save_reader(base, llm_api_key="")  # an empty key keeps the saved one
    assert with_saved_reader(base).llm_api_key.get_secret_value() == "sk-secret"
    monkeypatch.setenv("PANEL_LLM_MODEL", "from-env")
    env = Settings(data_dir=tmp_path)
    assert with_saved_reader(env).llm_model == "from-env" and with_saved_reader(env).backend == "generative"


def test_probe_lists_the_models_and_names_a_dead_endpoint():
    with serving(lambda m: "", models=["qwen2.5:3b", "llama3.2"]) as server:
        found = probe(server.url)
    assert found.ok and found.models == ["qwen2.5:3b", "llama3.2"]
    dead = probe("http://127.0.0.1:9/v1", timeout=0.5)
    assert not dead.ok and "does not answer" in dead.message


def test_the_panel_never_sends_the_key_back(tmp_path):
    class _Services:
        settings = Settings(data_dir=tmp_path)

        class assistant:
            reader = "offline reader (extractive)"

    save_reader(_Services.settings, llm_api_key="sk-secret")
    _Services.settings = with_saved_reader(_Services.settings)
    outputs = ReaderHandlers(_Services()).initial()  # type: ignore[arg-type]
    assert "sk-secret" not in repr(outputs)
