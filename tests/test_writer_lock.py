"""One writer at a time: a second ingestion on the same index waits with a message or stops clearly,
and a killed writer does not block the index for ever (embedded: a lock file; server: a lease)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import pytest

from assistant.settings import Settings
from ingest.__main__ import main as ingest_main
from ingest.pipeline import Ingester
from ingest.writer_lock import IndexBusyError, WriterLock

from .conftest import CORPUS, ROOT

_HOLDER = """
import sys, time
from assistant.settings import Settings
from ingest.writer_lock import WriterLock
settings = Settings(**eval(sys.argv[1]))
lock = WriterLock(settings)
lock.acquire()
print("held", flush=True)
time.sleep(120)
"""


@contextmanager
def held_by_another_process(**settings):
    """A real second process that takes the writer lock and keeps it until killed."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, repr({k: str(v) for k, v in settings.items()})],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "held"
        yield proc
    finally:
        proc.kill()
        proc.wait()


class Notes:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def file_started(self, source: str, index: int, total: int) -> None:
        pass

    def embedded(self, done: int, total: int) -> None:
        pass

    def waiting(self, message: str) -> None:
        self.messages.append(message)


def test_second_ingestion_stops_clearly_while_another_process_writes(components, tmp_path, monkeypatch, capsys):
    note = tmp_path / "note.md"
    note.write_text("The panel met in Geneva.\n", encoding="utf-8")
    data_dir = components.settings.data_dir
    with held_by_another_process(data_dir=data_dir) as holder:
        impatient = Settings(data_dir=data_dir, corpus_dir=CORPUS, writer_wait=1)
        with pytest.raises(IndexBusyError, match=f"pid {holder.pid} .*PANEL_WRITER_WAIT"):
            Ingester(impatient, components.store).sync([note])
        assert components.store.count() == 0  # nothing was written while the other held the index

        monkeypatch.setenv("PANEL_DATA_DIR", str(data_dir))
        monkeypatch.setenv("PANEL_WRITER_WAIT", "1")
        assert ingest_main([str(note)]) == 3
        err = capsys.readouterr().err.strip().splitlines()
        assert err[-1].startswith("error: another ingestion (pid") and "Traceback" not in "".join(err)
        holder.send_signal(signal.SIGKILL)  # a killed holder releases the lock file at once
        holder.wait()
    report = Ingester(impatient, components.store).sync([note])
    assert report.counts["added"] == 1


def test_second_ingestion_waits_with_a_message_then_runs(components, tmp_path):
    note = tmp_path / "note.md"
    note.write_text("The panel met in Geneva.\n", encoding="utf-8")
    first = WriterLock(components.settings)
    first.acquire()
    threading.Timer(1.5, first.release).start()
    notes = Notes()
    patient = Settings(data_dir=components.settings.data_dir, corpus_dir=CORPUS, writer_wait=60)
    report = Ingester(patient, components.store).sync([note], progress=notes)
    assert report.counts["added"] == 1
    assert len(notes.messages) == 1 and "waiting up to 60 s" in notes.messages[0]
    assert f"pid {os.getpid()}" in notes.messages[0]


@pytest.mark.slow
def test_server_lease_blocks_a_second_writer_and_expires_when_the_writer_is_killed(chroma_port, tmp_path):
    def settings(**kw) -> Settings:
        return Settings(data_dir=tmp_path / "d", chroma_host="127.0.0.1", chroma_port=chroma_port, **kw)

    # A live writer renews its lease: after longer than the lease, a second writer is still refused.
    live = WriterLock(settings(writer_lease=5))
    live.acquire()
    time.sleep(7)
    with pytest.raises(IndexBusyError, match=f"pid {os.getpid()}"):
        WriterLock(settings(writer_wait=1)).acquire()
    live.release()
    WriterLock(settings(writer_wait=1)).acquire()  # released: taken at once (and expires in 60 s)
    with pytest.raises(IndexBusyError):
        WriterLock(settings(writer_wait=1)).acquire()

    # A writer killed while holding the lease blocks the index only until the lease runs out.
    other = settings(collection="second", writer_lease=5)
    with held_by_another_process(
        data_dir=tmp_path / "d", chroma_host="127.0.0.1", chroma_port=chroma_port, collection="second", writer_lease=5
    ) as holder:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        notes: list[str] = []
        started = time.monotonic()
        WriterLock(other.model_copy(update={"writer_wait": 30}), notify=notes.append).acquire()
        waited = time.monotonic() - started
    assert notes and f"pid {holder.pid}" in notes[0]
    assert 1 < waited < 15
