"""A real ingestion process killed (SIGKILL) at chosen moments: until the rerun no orphan is
findable by a question and ``--check`` reports the damage; after the rerun the store equals a clean
ingest of the same files."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

import pytest

from assistant.components import build
from assistant.settings import Settings
from ingest import integrity
from ingest.pipeline import Ingester

from .conftest import CORPUS, ROOT
from .test_integrity import snapshot

pytestmark = pytest.mark.slow

FIRST, SECOND = "2018-07-panel-announcement-news.md", "2019-06-live-conversation-news.md"


def run_ingest(data_dir, *args, kill_at=None, env=None):
    """``python -m ingest ARGS`` in its own process (killed at ``kill_at`` when given)."""
    env = {**os.environ, "PANEL_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", **(env or {})}
    env.pop("PANEL_TEST_KILL_AT", None)
    if kill_at:
        env["PANEL_TEST_KILL_AT"] = kill_at
    return subprocess.run(
        [sys.executable, "-m", "ingest", *map(str, args)], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=600,
    )


def open_store(data_dir):
    """A fresh in-process view of an index another process has written (Chroma caches one per path)."""
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
    return build(Settings(data_dir=data_dir, corpus_dir=CORPUS)).store


def clean_ingest(tmp_path, folder, name):
    components = build(Settings(data_dir=tmp_path / name, corpus_dir=CORPUS))
    Ingester(components.settings, components.store).sync([folder])
    return snapshot(components.store)


def orphans_exist_but_none_is_findable(data_dir):
    store = open_store(data_dir)
    found = integrity.check(store)
    assert not found.ok, "the kill left nothing to clean up: the scenario tests nothing"
    live = store.live_versions()
    for passage in store.all_passages():
        assert (passage.metadata["doc_id"], passage.metadata["doc_hash"]) in live
    for meta in store.all_sentences()[2]:
        assert (meta["doc_id"], meta["doc_hash"]) in live
    raw = store.all_passages(live_only=False)
    strays = [p for p in raw if (p.metadata["doc_id"], p.metadata["doc_hash"]) not in live]
    for stray in strays[:5]:  # each stray's own text, searched densely, never brings it back
        hits = store.search(store.embedder.embed_query(stray.text), 50)
        assert stray.id not in {h.id for h in hits}
    return found


@pytest.mark.parametrize(
    ("change", "kill_at"),
    [
        ("add", "sentences-written"),  # a new document: sentences stored, passages not
        ("add", "passages-written"),  # a new document: rows stored, record not
        ("update", "record-written"),  # a changed document: new record, old version not yet deleted
        ("update", "deleted-1"),  # a changed document: old passages deleted, old sentences not
        ("remove", "record-deleted"),  # a pruned document: record gone, rows not yet
    ],
)
def test_killed_ingestion_hides_orphans_and_the_rerun_equals_a_clean_ingest(tmp_path, change, kill_at):
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(CORPUS / FIRST, folder / FIRST)
    data_dir = tmp_path / "data"
    if change == "add":
        shutil.copy(CORPUS / SECOND, folder / SECOND)
    else:
        shutil.copy(CORPUS / SECOND, folder / SECOND)
        assert run_ingest(data_dir, folder).returncode == 0
        if change == "update":
            target = folder / SECOND
            target.write_text(target.read_text(encoding="utf-8") + "\nThe panel met once more.\n", encoding="utf-8")
        else:
            (folder / SECOND).unlink()

    killed = run_ingest(data_dir, folder, kill_at=kill_at)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    orphans_exist_but_none_is_findable(data_dir)
    check = run_ingest(data_dir, "--check")
    assert check.returncode == 1 and "Traceback" not in check.stderr

    rerun = run_ingest(data_dir, folder)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert run_ingest(data_dir, "--check").returncode == 0
    after = snapshot(open_store(data_dir))
    assert after == clean_ingest(tmp_path, folder, "clean")


def test_a_large_document_killed_after_two_windows_resumes_and_embeds_only_the_rest(tmp_path):
    """SIGKILL after two page windows of an 8-page PDF: the rerun stores only what is missing."""
    from .test_resume import large_pdf

    folder = tmp_path / "docs"
    folder.mkdir()
    large_pdf(folder / "long-report.pdf", 8, ["minimal-document.pdf", "google-doc-document.pdf"])
    data_dir = tmp_path / "data"
    window = {"PANEL_PAGE_WINDOW": "2"}
    killed = run_ingest(data_dir, folder, kill_at="window-2", env=window)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    found = orphans_exist_but_none_is_findable(data_dir)
    assert [m.pages_done for m in found.unfinished] == [4] and not any(found.orphans.values())
    check = run_ingest(data_dir, "--check")
    assert check.returncode == 1 and "unfinished" in check.stdout and "4 of 8 pages stored" in check.stdout
    store = open_store(data_dir)
    stored = store.count() + store.sentences.count()

    rerun = run_ingest(data_dir, folder, env=window)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    embedded = int(rerun.stdout.strip().splitlines()[-1].split("|")[7])
    components = build(Settings(data_dir=tmp_path / "clean", corpus_dir=CORPUS))
    clean = Ingester(components.settings, components.store).sync([folder])
    assert embedded == clean.embedded - stored  # nothing the killed run stored was embedded again
    assert run_ingest(data_dir, "--check").returncode == 0
    assert snapshot(open_store(data_dir)) == snapshot(components.store)
