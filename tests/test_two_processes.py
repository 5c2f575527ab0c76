"""Two real processes on one index: a running reader follows another process's ingestion (embedded
too), and two writers starting on a fresh index both get their files in (embedded and server)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest

from assistant.components import build
from assistant.settings import Settings

from .conftest import CORPUS, FIXTURES, ROOT
from .test_crash_recovery import open_store

pytestmark = pytest.mark.slow

READER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from assistant.components import build
    from assistant.service import Assistant
    from assistant.settings import Settings

    data, ready, go = (Path(a) for a in sys.argv[1:4])
    assistant = Assistant(build(Settings(data_dir=data)))
    def ask(question):
        try:
            answer = assistant.ask(question)
            cited = answer.citations[0].sentence if answer.citations else ""
            print("OK", answer.abstained, cited, flush=True)
        except Exception as exc:
            print("ERROR", type(exc).__name__, exc, flush=True)
    ask("Who led the first meeting at UN Headquarters?")
    ready.write_text("ready")
    while not go.exists():
        time.sleep(0.1)
    time.sleep(1.2)  # past REVISION_MAX_AGE: the reader looks at the store again
    for _ in range(3):
        ask("Where was the zorblax accord signed?")
    ask("Who led the first meeting at UN Headquarters?")
    print("REOPENS", assistant.store.reopens, flush=True)
    """
)


def env_for(data_dir, **extra):
    env = {**os.environ, "PANEL_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT), **extra}
    env.pop("PANEL_TEST_KILL_AT", None)
    return env


def ingest_process(data_dir, *paths, **extra):
    return subprocess.Popen(
        [sys.executable, "-m", "ingest", *map(str, paths)], cwd=ROOT, env=env_for(data_dir, **extra),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_running_reader_follows_another_process_on_one_embedded_index(tmp_path):
    data = tmp_path / "data"
    first = ingest_process(data, CORPUS)
    assert first.wait(timeout=600) == 0, first.stderr.read()
    note = tmp_path / "zorblax.md"
    note.write_text("The zorblax accord was signed by the panel in Reykjavik.\n", encoding="utf-8")
    ready, go = tmp_path / "ready", tmp_path / "go"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(data), str(ready), str(go)], cwd=ROOT, env=env_for(data),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 300
    while not ready.exists():
        assert reader.poll() is None, reader.stderr.read()
        assert time.monotonic() < deadline, "the reader never answered its first question"
        time.sleep(0.2)
    writer = ingest_process(data, note)  # a second process writes while the first one serves
    assert writer.wait(timeout=600) == 0, writer.stderr.read()
    go.write_text("go")
    out, err = reader.communicate(timeout=300)
    lines = out.splitlines()
    assert lines[0].startswith("OK False") and "Jack Ma" in lines[0], out + err
    after = lines[1:4]
    assert all(line.startswith("OK False") and "Reykjavik" in line for line in after), out + err[-3000:]
    assert lines[4].startswith("OK False") and "Jack Ma" in lines[4], out
    assert lines[5] == "REOPENS 1", out  # it noticed the other writer's commit once and reopened


def test_a_failing_store_read_reopens_instead_of_failing_every_later_question(components, ingester, monkeypatch):
    from chromadb.errors import InternalError

    from assistant.service import Assistant

    ingester.sync([CORPUS])
    assistant = Assistant(components)
    store = components.store
    real = store._collections["sentences"]

    class Broken:  # what a stale embedded client does: every read fails until the client is reopened
        name = real.name

        def __getattr__(self, attr):
            def fail(*args, **kwargs):
                raise InternalError("Error executing plan: Internal error: Error finding id")
            return fail

    store._collections["sentences"] = Broken()
    for _ in range(2):
        answer = assistant.ask("Who led the first meeting at UN Headquarters?")
        assert not answer.abstained and "Jack Ma" in answer.citations[0].sentence
    assert store.reopens == 1


def two_writers(data, env_extra=None):
    """The corpus and a PDF, ingested by two processes started together on an empty index."""
    env_extra = env_extra or {}
    a = ingest_process(data, CORPUS, **env_extra)
    b = ingest_process(data, FIXTURES / "google-doc-document.pdf", **env_extra)
    results = [(p.wait(timeout=900), *p.communicate()) for p in (a, b)]
    for code, out, err in results:
        assert code == 0, f"exit {code}:\n{out}\n{err[-3000:]}"
        assert "Traceback" not in err and "already exists" not in err, err[-3000:]
    return results


def test_two_writers_on_a_fresh_embedded_index_both_store_their_files(tmp_path):
    data = tmp_path / "data"
    two_writers(data)
    store = open_store(data)
    sources = {r.source.rsplit("/", 1)[-1] for r in store.list_records()}
    assert "google-doc-document.pdf" in sources
    assert len({p.name for p in CORPUS.glob("*.md") if p.name != "README.md"} - sources) == 0, sources


def test_two_writers_on_a_fresh_server_index_both_store_their_files(chroma_port, tmp_path):
    extra = {"PANEL_CHROMA_HOST": "127.0.0.1", "PANEL_CHROMA_PORT": str(chroma_port), "PANEL_COLLECTION": "race"}
    two_writers(tmp_path / "data", extra)
    settings = Settings(data_dir=tmp_path / "reader", chroma_host="127.0.0.1", chroma_port=chroma_port,
                        collection="race")
    sources = {r.source.rsplit("/", 1)[-1] for r in build(settings).store.list_records()}
    assert "google-doc-document.pdf" in sources
    assert len({p.name for p in CORPUS.glob("*.md") if p.name != "README.md"} - sources) == 0, sources
