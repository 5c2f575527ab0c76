"""Large documents go in page windows: memory holds one window, a killed ingestion resumes after the
last stored window and embeds nothing already stored, and the result equals a clean ingest.

The "kill" here is an exception raised at a crash point (``crash_point`` names the moments), so the
embedder's counter can be read across the killed run and the rerun; ``test_crash_recovery`` kills a
real process with SIGKILL. The embedder is a fast bag-of-words model: what is tested is the pipeline.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from assistant.embedding.embedder import Embedder
from assistant.settings import Settings
from assistant.store.progress import list_partials
from assistant.store.store import Store
from ingest import integrity, windows
from ingest.chunking import SentenceChunker, whitespace_tokens
from ingest.pipeline import Ingester

from .conftest import CORPUS, FIXTURES
from .test_derived_indexes import HashingModel
from .test_integrity import snapshot

SOURCES = ["pdflatex-4-pages.pdf", "multicolumn.pdf", "minimal-document.pdf", "google-doc-document.pdf"]


def large_pdf(path: Path, pages: int, sources: list[str] = SOURCES) -> Path:
    """``pages`` pages cycling through the fixture PDFs' pages, with a blank page every 13th."""
    fixture_pages = [page for name in sources for page in PdfReader(FIXTURES / name).pages]
    writer = PdfWriter()
    for n in range(pages):
        if n % 13 == 12:
            writer.add_blank_page(width=595, height=842)
        else:
            writer.add_page(fixture_pages[n % len(fixture_pages)])
    with path.open("wb") as fh:
        writer.write(fh)
    return path


class Killed(BaseException):
    """Stands for SIGKILL: nothing in the pipeline catches it."""


def kill_at(monkeypatch, name: str, occurrence: int = 1) -> None:
    seen = {"n": 0}
    real = windows.crash_point

    def crash_point(point: str) -> None:
        if point == name:
            seen["n"] += 1
            if seen["n"] == occurrence:
                raise Killed(point)
        real(point)

    monkeypatch.setattr(windows, "crash_point", crash_point)


def make_ingester(data_dir: Path, window: int, **server) -> Ingester:
    settings = Settings(data_dir=data_dir, corpus_dir=CORPUS, page_window=window, **server)
    store = Store(settings, Embedder("hashing", batch_size=16, loaded=HashingModel()))
    return Ingester(settings, store, chunker=SentenceChunker(whitespace_tokens, 120, 1))


@pytest.fixture
def big(tmp_path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    return large_pdf(folder / "big-report.pdf", 40)


def stored_rows(store: Store) -> int:
    return store.count() + store.sentences.count()


def test_a_document_is_read_embedded_and_stored_one_window_at_a_time(tmp_path, big, monkeypatch):
    ingester = make_ingester(tmp_path / "data", window=5)
    reads: list[tuple[int, int]] = []
    encoded: list[int] = []
    from ingest.parse_worker import ParseWorker

    real_read = ParseWorker.read
    monkeypatch.setattr(ParseWorker, "read", lambda self, a, b: reads.append((a, b)) or real_read(self, a, b))
    real_encode = ingester.store.embedder.encode
    monkeypatch.setattr(
        ingester.store.embedder, "encode", lambda texts, on_batch=None: encoded.append(len(texts)) or real_encode(
            texts, on_batch
        )
    )
    report = ingester.sync([big])
    assert report.counts["added"] == 1
    assert reads == [(n, min(n + 5, 40)) for n in range(0, 40, 5)]  # never the whole document
    assert len(encoded) == 8 and max(encoded) < report.embedded / 4
    (doc,) = ingester.documents()
    assert doc.pages == 40 - 3  # blank pages hold no passage
    assert not list_partials(ingester.store.client, ingester.settings)  # the mark goes with the record


@pytest.mark.parametrize(
    ("point", "occurrence"),
    [
        ("window-3", 1),  # after window 3 was stored and marked
        ("sentences-written", 5),  # inside window 5: its sentences stored, its passages and mark not
    ],
)
def test_a_killed_ingestion_resumes_embeds_nothing_stored_twice_and_equals_a_clean_ingest(
    tmp_path, big, monkeypatch, point, occurrence
):
    clean = make_ingester(tmp_path / "clean", window=5)
    clean_report = clean.sync([big.parent])
    expected = snapshot(clean.store)

    ingester = make_ingester(tmp_path / "data", window=5)
    kill_at(monkeypatch, point, occurrence)
    with pytest.raises(Killed):
        ingester.sync([big.parent])
    monkeypatch.undo()
    store = ingester.store
    stored = stored_rows(store)
    assert stored > 0
    # Nothing of the unfinished version is visible; --check says what it is, not "orphan".
    assert store.all_passages() == [] and store.all_sentences()[0] == []
    found = integrity.check(store)
    assert not found.ok and not any(found.orphans.values()) and not found.damaged
    (mark,) = found.unfinished
    assert mark.pages_done == (15 if point == "window-3" else 20)
    assert found.lines() == [
        f"unfinished {mark.source}: {mark.pages_done} of 40 pages stored (version {mark.content_hash[:12]}, "
        f"not yet visible; an ingestion was stopped). `python -m ingest {mark.source}` resumes it"
    ]

    rerun = make_ingester(tmp_path / "data", window=5)
    resumed = rerun.sync([big.parent])
    assert resumed.counts["added"] == 1
    # Every row stored before the kill was kept, none embedded again.
    assert resumed.embedded == clean_report.embedded - stored
    assert integrity.check(rerun.store).ok
    assert snapshot(rerun.store) == expected


def test_a_changed_file_does_not_resume_the_old_partial_version(tmp_path, big, monkeypatch):
    ingester = make_ingester(tmp_path / "data", window=5)
    kill_at(monkeypatch, "window-2")
    with pytest.raises(Killed):
        ingester.sync([big.parent])
    monkeypatch.undo()
    large_pdf(big, 30)  # other bytes under the same name
    rerun = make_ingester(tmp_path / "data", window=5)
    report = rerun.sync([big.parent])
    assert report.counts["added"] == 1
    clean = make_ingester(tmp_path / "clean", window=7)  # the window size does not change the result
    clean.sync([big.parent])
    assert snapshot(rerun.store) == snapshot(clean.store)
    assert integrity.check(rerun.store).ok


def test_a_file_that_fails_midway_keeps_the_old_version_and_leaves_nothing(tmp_path, big, monkeypatch):
    ingester = make_ingester(tmp_path / "data", window=5)
    ingester.sync([big.parent])
    before = snapshot(ingester.store)
    large_pdf(big, 30)
    from ingest.loaders import LoadError
    from ingest.parse_worker import ParseWorker

    real_read = ParseWorker.read

    def read(self, start, stop):
        if start >= 10:
            raise LoadError(self._path, "took longer than 60 s to read pages 11-15; skipped")
        return real_read(self, start, stop)

    monkeypatch.setattr(ParseWorker, "read", read)
    report = ingester.sync([big.parent])
    assert report.failures[0].reason.startswith("took longer than 60 s to read pages 11-15")
    assert snapshot(ingester.store) == before  # the old version answers as before; no partial rows stay
    assert integrity.check(ingester.store).ok


def test_repair_resumes_an_unfinished_version(tmp_path, big, monkeypatch):
    ingester = make_ingester(tmp_path / "data", window=5)
    kill_at(monkeypatch, "window-4")
    with pytest.raises(Killed):
        ingester.sync([big])
    monkeypatch.undo()
    found = integrity.check(ingester.store)
    done, synced = integrity.repair(make_ingester(tmp_path / "data", window=5), found)
    assert any(line.startswith("resuming ") and "after page 20 of 40" in line for line in done)
    assert synced.counts["added"] == 1 and integrity.check(ingester.store).ok


@pytest.mark.slow
def test_a_killed_ingestion_resumes_on_a_chroma_server(chroma_port, tmp_path, big, monkeypatch):
    server = {"chroma_host": "127.0.0.1", "chroma_port": chroma_port}
    clean = make_ingester(tmp_path / "clean", window=5, collection="clean", **server)
    clean_report = clean.sync([big.parent])

    ingester = make_ingester(tmp_path / "data", window=5, collection="resumed", **server)
    kill_at(monkeypatch, "window-5")
    with pytest.raises(Killed):
        ingester.sync([big.parent])
    monkeypatch.undo()
    stored = stored_rows(ingester.store)
    rerun = make_ingester(tmp_path / "other-data-dir", window=5, collection="resumed", **server)  # nothing local
    resumed = rerun.sync([big.parent])
    assert resumed.embedded == clean_report.embedded - stored
    assert snapshot(rerun.store) == snapshot(clean.store)
    assert integrity.check(rerun.store).ok


def test_a_first_start_killed_midway_is_finished_by_the_next_start(tmp_path, monkeypatch):
    """Rows of the unfinished first document are kept for the resume, but do not count as an index."""
    from ingest.pipeline import ensure_corpus

    ingester = make_ingester(tmp_path / "data", window=5)
    kill_at(monkeypatch, "window-1")  # the first document's passages are stored, its record is not
    with pytest.raises(Killed):
        ensure_corpus(ingester)
    monkeypatch.undo()
    assert ingester.store.count() > 0 and not ingester.store.list_records()
    report = ensure_corpus(make_ingester(tmp_path / "data", window=5))
    assert report is not None and report.counts["added"] == 5
    assert integrity.check(ingester.store).ok
