"""Seeded damage to the fixture PDFs (byte flips, truncations, broken streams and cross-references):
every case ends within the time limit either readable or with one plain reason, and whatever reads
goes through chunking and sentence splitting; no traceback reaches the user."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from assistant.reading.sentences import sentence_spans
from assistant.reading.structure import annotate
from ingest.loaders import LoadError
from ingest.parse_worker import ParseWorker

from .conftest import FIXTURES, ROOT
from .pdf_mutants import mutants

TIME_LIMIT = 20.0
PDFS = sorted(FIXTURES.glob("*.pdf"))
SEEDS = (12, 1312)


def test_every_mutant_reads_or_fails_with_one_line(ingester):
    tried, readable = 0, 0
    with ParseWorker(timeout=TIME_LIMIT, max_pages=5000) as worker:
        for pdf in PDFS:
            for seed in SEEDS:
                for label, damaged in mutants(pdf.read_bytes(), seed):
                    tried += 1
                    case = f"{pdf.name}, seed {seed}: {label}"
                    started = time.monotonic()
                    try:
                        doc = worker.load(pdf, damaged)
                    except LoadError as exc:
                        assert exc.reason and "\n" not in exc.reason and "Traceback" not in exc.reason, case
                        continue
                    finally:
                        assert time.monotonic() - started < TIME_LIMIT + 5, case
                    readable += 1
                    ingester.chunker.split(doc.pages)  # what the ingester does next must not fail either
                    for page in doc.pages:
                        spans = sentence_spans(page.text)
                        assert len(annotate(page.text, spans)) == len(spans), case
    assert tried >= 100 and 0 < readable < tried  # the damage is varied: some still read, most do not


@pytest.mark.slow
def test_cli_over_a_folder_of_mutants_prints_one_line_per_bad_file(tmp_path):
    folder = tmp_path / "damaged"
    folder.mkdir()
    for pdf in PDFS:
        for n, (_label, damaged) in enumerate(mutants(pdf.read_bytes(), 7)):
            if n % 3 == 0:
                (folder / f"{pdf.stem}-{n:02d}.pdf").write_bytes(damaged)
    names = sorted(p.name for p in folder.iterdir())
    env = {**os.environ, "PANEL_DATA_DIR": str(tmp_path / "data"), "PANEL_PARSE_TIMEOUT": str(TIME_LIMIT)}
    done = subprocess.run(
        [sys.executable, "-m", "ingest", str(folder)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )
    assert "Traceback" not in done.stdout + done.stderr
    lines = done.stdout.splitlines()
    for name in names:
        (line,) = [x for x in lines if f"/{name}:" in x]
        assert line.startswith(("added", "duplicate", "FAILED")), line
    assert done.returncode == 0  # some of them could be ingested
