"""Uploads under faults: waiting for another writer says so and giving up says why; refused files
leave nothing in the upload cache; a PNG named .pdf gets the same diagnosis in the CLI and the upload."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

from assistant.settings import Settings
from ingest.uploads import UploadError, save_upload

from .conftest import ROOT

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


class Recorder:
    """A ``gr.Progress`` stand-in that keeps every description it is shown."""

    def __init__(self) -> None:
        self.shown: list[str] = []

    def __call__(self, fraction: float, desc: str = "") -> None:
        self.shown.append(desc)


def test_an_upload_waiting_for_another_writer_says_so_and_then_why_it_gave_up(tmp_path, components):
    from ui.documents import DocumentHandlers
    from ui.services import Services

    data = components.settings.data_dir
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import time
            from pathlib import Path
            from assistant.settings import Settings
            from ingest.writer_lock import WriterLock
            with WriterLock(Settings(data_dir=Path({str(data)!r}))):
                print("held", flush=True)
                time.sleep(60)
        """)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        components.settings.writer_wait = 2.0
        handlers = DocumentHandlers(Services.from_components(components))
        note = tmp_path / "cache" / "abc" / "note.md"
        note.parent.mkdir(parents=True)
        note.write_text("The zorblax accord was signed in Reykjavik.\n", encoding="utf-8")
        progress = Recorder()
        started = time.monotonic()
        html = handlers._ingest([note], progress)
        assert time.monotonic() - started >= 2.0
    finally:
        holder.kill()
        holder.wait()
    assert any(d.startswith("Another ingestion (pid ") and "waiting up to 2 s" in d for d in progress.shown), progress
    assert "is writing to this index; waited 2 s (PANEL_WRITER_WAIT)" in html and "Upload the files again" in html
    assert "see the server log" not in html


def test_refused_uploads_are_deleted_from_the_upload_cache(tmp_path):
    from types import SimpleNamespace

    from ui.documents import DocumentHandlers

    cache = tmp_path / "gradio"
    big = cache / "0f3a" / "huge.pdf"
    png = cache / "77b1" / "photo.pdf"
    big.parent.mkdir(parents=True)
    png.parent.mkdir(parents=True)
    big.write_bytes(b"%PDF-1.4\n" + b"0" * 30_000)
    png.write_bytes(PNG)
    handlers = DocumentHandlers.__new__(DocumentHandlers)
    handlers.services = SimpleNamespace(settings=Settings(data_dir=tmp_path / "data", max_upload_mb=0.01))
    html = handlers._ingest([big, png], progress=None)
    assert "huge.pdf" in html and "the limit is 10,000 bytes" in html and "PNG image" in html
    assert not big.exists() and not png.exists() and not any(cache.iterdir())  # the cache holds nothing
    assert not any((tmp_path / "data" / "uploads").glob("*"))


def test_a_source_not_marked_temporary_is_never_deleted(tmp_path):
    mine = tmp_path / "mine.pdf"
    mine.write_bytes(PNG)
    try:
        save_upload(mine, mine.name, tmp_path / "uploads", 10_000)
    except UploadError:
        pass
    assert mine.exists()


def test_a_png_named_pdf_gets_the_same_diagnosis_in_the_cli_and_the_upload(tmp_path):
    png = tmp_path / "scan.pdf"
    png.write_bytes(PNG)
    env = {**os.environ, "PANEL_DATA_DIR": str(tmp_path / "data"), "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    cli = subprocess.run([sys.executable, "-m", "ingest", str(png)], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=300)
    try:
        save_upload(png, png.name, tmp_path / "uploads", 10_000)
        raise AssertionError("the upload accepted a PNG")
    except UploadError as exc:
        upload_reason = exc.reason
    assert upload_reason == "is a PNG image, not a PDF"
    assert cli.returncode == 1 and f"scan.pdf: {upload_reason}" in cli.stdout, cli.stdout + cli.stderr
