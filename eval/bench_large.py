"""``python -m eval.bench_large``: peak memory and resume time of ingesting one large PDF.

A benchmark, not a test. It builds a PDF of ``--pages`` distinct pages (corpus paragraphs, ~3,000
characters a page, each page its own compressed content stream, as in a real report) and ingests
it in a fresh process per run, each run printing its own figures:

- **peak RSS** of the ingesting process (and, apart, of its parse worker) in page windows
  (``PANEL_PAGE_WINDOW``, default 50) against one window as large as the document, which is what
  ingestion did before windows: read, held and embedded whole, then written;
- with ``--server``, the same against a Chroma server (``chroma run``, started here): the ingesting
  process then holds no part of the index, so its peak shows the pipeline's own memory (an embedded
  Chroma's in-process index grows with everything stored, whatever the window);
- **kill and resume**: the windowed ingest is SIGKILLed after the window that passes ``--kill-at``
  (0.8) of the pages, rerun, and the rerun's time and embedded texts set against a full ingest.

``--embedder fast`` (default) swaps the model for a bag-of-words hashing embedder with the real
tokenizer and dimension (384), so a 1,700-page run takes minutes, not the ~50 minutes the real
model needs on a small CPU; what grows with the page count (page texts, chunks, sentences, vectors,
Chroma writes) is the same. ``--embedder real`` uses the packaged model (for a smaller page count:
the model adds a constant). Writes JSON to ``eval/out/bench_large.json`` (or ``--out``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

import numpy as np

from eval.bench_ingest import machine, save_json
from eval.pdf_bytes import pdf_bytes

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / "out"
WHOLE = 10**6  # a window larger than any document: the whole-document behaviour


# --- the PDF ----------------------------------------------------------------------------------------


def corpus_paragraphs() -> list[str]:
    paragraphs = []
    for path in sorted((ROOT / "corpus").glob("*.md")):
        if not path.name.lower().startswith("readme"):
            body = path.read_text(encoding="utf-8").split("---", 2)[-1]
            paragraphs += [" ".join(p.split()) for p in body.split("\n\n") if len(p.split()) > 8]
    return paragraphs


def _escape(line: str) -> bytes:
    data = line.encode("latin-1", "replace")
    return data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _page_stream(number: int, paragraphs: list[str], chars: int = 3000) -> bytes:
    """One page: a heading, then paragraphs wrapped at 90 characters, a blank line between them."""
    lines = [f"Section {number}: notes of the panel, part {number}."]
    used = 0
    k = number * 7
    while used < chars:
        para = paragraphs[k % len(paragraphs)]
        k += 1
        words, line = para.split(), ""
        for word in words:
            if len(line) + len(word) + 1 > 90:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}".strip()
        lines += [line, ""]
        used += len(para)
    body = b"BT /F1 9 Tf 11 TL 40 800 Td " + b" ".join(b"(" + _escape(t) + b") Tj T*" for t in lines) + b" ET"
    packed = zlib.compress(body, 6)
    return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream"


def build_pdf(path: Path, pages: int) -> Path:
    """A ``pages``-page PDF of distinct pages (a valid xref; pypdf reads it as it reads a report)."""
    paragraphs = corpus_paragraphs()
    first_page = 4 + pages
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % (first_page + i) for i in range(pages))
        + b"] /Count %d >>" % pages,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *(_page_stream(n + 1, paragraphs) for n in range(pages)),
        *(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
          b"/Contents %d 0 R >>" % (4 + n) for n in range(pages)),
    ]
    path.write_bytes(pdf_bytes(objects))
    return path


# --- one ingest, in a fresh process -----------------------------------------------------------------


class FastModel:
    """Bag-of-words vectors hashed into 384 dimensions, with the packaged model's real tokenizer."""

    max_seq_length = 256

    def __init__(self) -> None:
        from transformers import AutoTokenizer

        from assistant.embedding.embedder import resolve_model
        from assistant.settings import PACKAGED_MODEL

        self.tokenizer = AutoTokenizer.from_pretrained(resolve_model(PACKAGED_MODEL)[0])

    def get_embedding_dimension(self) -> int:
        return 384

    def encode(self, batch: list[str], **_kwargs: Any) -> np.ndarray:
        out = np.zeros((len(batch), 384), dtype=np.float32)
        for i, text in enumerate(batch):
            for word in re.findall(r"\w+", text.lower()):
                out[i, int(hashlib.md5(word.encode()).hexdigest()[:8], 16) % 384] += 1.0
            out[i, 0] += 1e-3
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def child(spec: dict[str, Any]) -> dict[str, Any]:
    """Ingest ``spec['pdf']`` into ``spec['data_dir']`` with ``spec['window']``; figures of this process."""
    from assistant.components import build
    from assistant.embedding.embedder import Embedder
    from assistant.settings import Settings
    from assistant.store.store import Store
    from ingest.parse_worker import ParseWorker
    from ingest.pipeline import Ingester

    settings = Settings(data_dir=Path(spec["data_dir"]), corpus_dir=ROOT / "corpus", page_window=spec["window"],
                        chroma_host=spec.get("chroma_host"), chroma_port=spec.get("chroma_port", 8000),
                        collection=spec.get("collection", "panel"), parse_timeout=600)
    if spec["embedder"] == "fast":
        store = Store(settings, Embedder("bench-fast-hashing", batch_size=settings.batch_size, loaded=FastModel()))
    else:
        store = build(settings).store
        store.embedder.embed_query("warm up")  # the model load is not ingestion
    started_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_peak = {"mb": 0.0}
    close = ParseWorker.close

    def close_and_measure(self: ParseWorker) -> None:  # the worker's own high-water mark, read before it ends
        if self._proc is not None:
            worker_peak["mb"] = max(worker_peak["mb"], _high_water_mb(self._proc.pid))
        close(self)

    ParseWorker.close = close_and_measure
    report = Ingester(settings, store).sync([Path(spec["pdf"])])
    return {
        "seconds": report.seconds, "embedded": report.embedded, "status": report.outcomes[0].status,
        "reason": report.outcomes[0].reason, "passages": store.count(), "sentences": store.sentences.count(),
        "rss_before_ingest_mb": started_rss,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_peak_rss_mb": worker_peak["mb"],
    }


def _high_water_mb(pid: int) -> float:
    """``VmHWM`` of a live process (``ru_maxrss`` of a child would carry its parent's size from the fork)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return float("nan")
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) / 1024 if found else float("nan")


def run_child(spec: dict[str, Any], kill_at: str | None = None) -> dict[str, Any]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    env.pop("PANEL_TEST_KILL_AT", None)
    if kill_at:
        env["PANEL_TEST_KILL_AT"] = kill_at
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "eval.bench_large", "--child", json.dumps(spec)], cwd=ROOT, env=env,
        capture_output=True, text=True,
    )
    wall = time.perf_counter() - started
    if kill_at:
        if done.returncode != -signal.SIGKILL:
            raise SystemExit(f"the run was to be killed at {kill_at} but ended with {done.returncode}: "
                             f"{done.stderr[-1500:]}")
        return {"killed_after_s": wall}
    if done.returncode != 0:
        raise SystemExit(f"an ingest run failed: {done.stderr[-1500:]}")
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "wall_s": wall}


@contextmanager
def chroma_server(work: Path) -> Iterator[dict[str, Any]]:
    """A ``chroma run`` server on a free port for the block (the venv's ``chroma`` command)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    chroma = Path(sys.executable).parent / "chroma"
    cmd = [str(chroma), "run", "--path", str(work / "chroma-server"), "--host", "127.0.0.1", "--port", str(port)]
    with (work / "chroma-server.log").open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=5):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the Chroma server did not start; see {work / 'chroma-server.log'}") from None
                time.sleep(0.5)
        yield {"chroma_host": "127.0.0.1", "chroma_port": port}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def run(pages: list[int], window: int, embedder: str, kill_fraction: float, work: Path,
        server: dict[str, Any] | None = None, resume: bool = True) -> dict[str, Any]:
    result: dict[str, Any] = {
        "created": datetime.now().isoformat(timespec="seconds"), "embedder": embedder, "window": window,
        "store": "chroma server (not in the ingesting process)" if server else "embedded chroma (in process)",
        "runs": [], "machine": machine(),
    }
    for count in pages:
        pdf = build_pdf(work / f"large-{count}.pdf", count)
        for mode, size in (("windows", window), ("whole", WHOLE)):
            spec = {"pdf": str(pdf), "data_dir": str(work / f"data-{count}-{mode}"), "window": size,
                    "embedder": embedder, "collection": f"c{count}{mode}", **(server or {})}
            figures = run_child(spec)
            result["runs"].append({"pages": count, "mode": mode, "window": size, **figures})
            print(f"{count:>5} pages, {mode:<7}: peak RSS {figures['peak_rss_mb']:7.0f} MB "
                  f"(worker {figures['worker_peak_rss_mb']:5.0f} MB), {figures['seconds']:7.1f} s, "
                  f"{figures['embedded']} embedded", flush=True)
    if not resume:
        return result
    count = max(pages)
    kill_window = max(1, int(count * kill_fraction) // window)
    spec = {"pdf": str(work / f"large-{count}.pdf"), "data_dir": str(work / f"data-{count}-resume"),
            "window": window, "embedder": embedder, "collection": f"c{count}resume", **(server or {})}
    killed = run_child(spec, kill_at=f"window-{kill_window}")
    resumed = run_child(spec)
    full = next(r for r in result["runs"] if r["pages"] == count and r["mode"] == "windows")
    result["resume"] = {
        "pages": count, "killed_after_pages": kill_window * window, **killed,
        "resume_s": resumed["seconds"], "resume_wall_s": resumed["wall_s"], "resume_embedded": resumed["embedded"],
        "full_s": full["seconds"], "full_embedded": full["embedded"],
        "same_rows_as_full": (resumed["passages"], resumed["sentences"]) == (full["passages"], full["sentences"]),
    }
    r = result["resume"]
    print(f"kill after {r['killed_after_pages']} of {count} pages ({r['killed_after_s']:.1f} s), resume: "
          f"{r['resume_s']:.1f} s and {r['resume_embedded']} embedded, against {r['full_s']:.1f} s and "
          f"{r['full_embedded']} for a full ingest; same rows: {r['same_rows_as_full']}", flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench_large", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", default="200,800,1700", help="page counts (default 200,800,1700)")
    parser.add_argument("--window", type=int, default=50, help="pages per window (default 50)")
    parser.add_argument("--embedder", choices=["fast", "real"], default="fast")
    parser.add_argument("--server", action="store_true", help="store in a Chroma server started for the run")
    parser.add_argument("--no-resume", action="store_true", help="skip the kill-and-resume figures")
    parser.add_argument("--kill-at", type=float, default=0.8, help="fraction of the pages after which to kill")
    parser.add_argument("--work-dir", type=Path, default=None, help="keep PDFs and indexes here (default: temporary)")
    parser.add_argument("--out", type=Path, default=OUT / "bench_large.json")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return 0
    pages = sorted(int(p) for p in args.pages.split(",") if p.strip())
    with tempfile.TemporaryDirectory(prefix="panel-large-") as scratch:
        work = args.work_dir or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        if args.server:
            with chroma_server(work) as server:
                result = run(pages, args.window, args.embedder, args.kill_at, work, server, not args.no_resume)
        else:
            result = run(pages, args.window, args.embedder, args.kill_at, work, None, not args.no_resume)
    save_json(args.out, result)
    print(f"Written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
