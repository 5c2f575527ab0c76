"""Hostile files are bounded: a runaway parse is stopped, a huge page tree refused, a bomb refused;
the run goes on to the next file and says why in one line."""

from __future__ import annotations

import time

import pytest

from assistant.settings import Settings
from ingest.loaders import LoadError
from ingest.parse_worker import ParseWorker
from ingest.pipeline import Ingester

from . import pdfgen
from .conftest import CORPUS


def test_worker_reads_a_good_file_and_is_reused(tmp_path):
    good = tmp_path / "good.pdf"
    good.write_bytes(pdfgen.text_pdf(["The panel met in Geneva.", "It agreed on trust."]))
    with ParseWorker(timeout=30, max_pages=10) as worker:
        first = worker.load(good, good.read_bytes())
        second = worker.load(good, good.read_bytes())
        assert worker.started == 1
    assert [p.number for p in first.pages] == [1, 2] and "Geneva" in first.pages[0].text
    assert second.content_hash == first.content_hash


def test_runaway_parse_is_stopped_and_the_next_file_still_reads(tmp_path):
    slow = tmp_path / "slow.pdf"
    slow.write_bytes(pdfgen.many_operators(300_000))  # ~4 KB, tens of seconds for pypdf
    good = tmp_path / "good.pdf"
    good.write_bytes(pdfgen.text_pdf(["Still read after the slow one."]))
    with ParseWorker(timeout=2, max_pages=10) as worker:
        started = time.monotonic()
        with pytest.raises(LoadError) as info:
            worker.load(slow, slow.read_bytes())
        stopped_after = time.monotonic() - started
        assert "took longer than 2 s to read" in info.value.reason
        assert stopped_after < 15  # really stopped, not waited out
        assert "Still read" in worker.load(good, good.read_bytes()).pages[0].text


def test_too_many_pages_is_refused_before_reading(tmp_path):
    big = tmp_path / "big.pdf"
    big.write_bytes(pdfgen.many_pages(60))
    with ParseWorker(timeout=30, max_pages=50) as worker, pytest.raises(LoadError) as info:
        worker.load(big, big.read_bytes())
    assert info.value.reason == "has 60 pages; the limit is 50 (PANEL_MAX_PAGES)"


def test_flate_bomb_is_refused(tmp_path):
    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(pdfgen.flate_bomb(200 << 20))  # 200 MB of spaces in ~200 KB
    with ParseWorker(timeout=30, max_pages=50) as worker, pytest.raises(LoadError) as info:
        worker.load(bomb, bomb.read_bytes())
    assert "decompression bomb" in info.value.reason


def test_sync_fails_hostile_files_with_one_line_and_goes_on(components, tmp_path):
    settings = Settings(data_dir=components.settings.data_dir, corpus_dir=CORPUS, parse_timeout=2, max_pages=50)
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "a-slow.pdf").write_bytes(pdfgen.many_operators(300_000))
    (folder / "b-huge.pdf").write_bytes(pdfgen.many_pages(60))
    (folder / "c-good.pdf").write_bytes(pdfgen.text_pdf(["The panel met in Geneva."]))
    report = Ingester(settings, components.store).sync([folder])
    reasons = {o.source.rsplit("/", 1)[-1]: o.reason for o in report.failures}
    assert "took longer than 2 s" in reasons["a-slow.pdf"]
    assert "the limit is 50 (PANEL_MAX_PAGES)" in reasons["b-huge.pdf"]
    assert all("\n" not in r for r in reasons.values())
    assert report.counts["added"] == 1
