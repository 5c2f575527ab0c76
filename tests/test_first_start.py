"""A first start killed between a file's rows and its record: the next start counts what a question
can see (nothing), so it finishes the corpus, and the CLI says to ingest rather than contradict itself."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .conftest import CORPUS, ROOT
from .test_crash_recovery import clean_ingest, open_store, run_ingest
from .test_integrity import snapshot

pytestmark = pytest.mark.slow


def test_a_killed_first_start_is_finished_on_the_next_start(tmp_path, monkeypatch):
    data = tmp_path / "data"
    killed = run_ingest(data, CORPUS, kill_at="passages-written")  # rows of the first file, no record
    assert killed.returncode == -9
    store = open_store(data)
    assert store.count() > 0 and store.visible_passages() == 0

    env = {**os.environ, "PANEL_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1"}
    env.pop("PANEL_TEST_KILL_AT", None)
    cli = subprocess.run([sys.executable, "-m", "assistant", "Who led the first meeting?"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert cli.returncode == 2 and "run `python -m ingest` first" in cli.stderr, cli.stdout + cli.stderr

    from chromadb.api.shared_system_client import SharedSystemClient

    from ui.launch import build_services

    SharedSystemClient.clear_system_cache()
    monkeypatch.setenv("PANEL_DATA_DIR", str(data))
    monkeypatch.setenv("PANEL_CORPUS_DIR", str(CORPUS))
    services = build_services()
    assert not isinstance(services, int)
    assert services.startup is not None and services.startup.count("added") == 5
    line = services.status_line()
    visible = services.ingester.store.visible_passages()
    assert line.startswith(f"5 documents, {visible} passages indexed") and visible > 3, line
    assert snapshot(services.ingester.store) == clean_ingest(tmp_path, CORPUS, "clean")
