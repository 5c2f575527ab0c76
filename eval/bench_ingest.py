"""The ingestion figures of the scale benchmark (``python -m eval.bench_scale``), with the helpers
the other benchmarks share: ingestion wall time against one bare ``model.encode`` of the same texts,
a no-op re-ingest against the full one, and question latency while 20 documents are ingested.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


def machine(**extra: Any) -> dict[str, Any]:
    """What a benchmark ran on, with the figures a benchmark adds (torch threads, load average)."""
    return {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(), **extra}


def save_json(out: Path, result: dict[str, Any]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1), encoding="utf-8")


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def _settings(data_dir: Path):
    from assistant.settings import Settings

    return Settings(data_dir=data_dir, corpus_dir=ROOT / "corpus", chroma_host=None)


# --- ingestion figures (real model) ---------------------------------------------------------------


def ingestion_figures(base: Path) -> tuple[dict[str, Any], Any]:
    from assistant.components import build
    from ingest.pipeline import Ingester

    shutil.rmtree(base, ignore_errors=True)  # a kept work dir (--reuse) must still measure a full ingestion
    components = build(_settings(base))
    embedder, store = components.embedder, components.store
    embedder.embed_query("warm up")  # model load is not ingestion
    ingester = Ingester(components.settings, store)
    files = [ROOT / "corpus", FIXTURES]
    texts = [p.text for p in ingester.chunker.split(_pages(files))] + _sentences(files)

    cpu = {"bare": 0.0, "ingest": 0.0}  # this process's CPU seconds: robust to other processes' load

    def bare_encode() -> float:
        t0, c0 = time.perf_counter(), time.process_time()
        embedder.model.encode(texts, batch_size=embedder.batch_size, normalize_embeddings=True,
                              show_progress_bar=False)
        cpu["bare"] += (time.process_time() - c0) / 2
        return time.perf_counter() - t0

    inside = {"s": 0.0}
    encode = embedder.encode

    def timed_encode(batch_texts, on_batch=None):  # how much of the ingestion is the model
        t0 = time.perf_counter()
        try:
            return encode(batch_texts, on_batch)
        finally:
            inside["s"] += time.perf_counter() - t0

    before = bare_encode()  # before and after the ingestion: the machine's load drifts
    embedder.encode = timed_encode
    c0 = time.process_time()
    try:
        full = ingester.sync(files)
    finally:
        del embedder.encode
    cpu["ingest"] = time.process_time() - c0
    bare = (before + bare_encode()) / 2
    longest = sorted(texts, key=len, reverse=True)[: embedder.batch_size]
    t0 = time.perf_counter()
    embedder.model.encode(longest, batch_size=len(longest), show_progress_bar=False)
    batch = time.perf_counter() - t0
    noop = ingester.sync([ROOT / "corpus", FIXTURES])
    figures = {
        "texts": len(texts), "embedded": full.embedded, "ingest_s": full.seconds, "bare_encode_s": bare,
        "encode_inside_ingest_s": inside["s"],
        "ingest_over_encode": full.seconds / bare, "noop_s": noop.seconds,
        "ingest_cpu_s": cpu["ingest"], "bare_encode_cpu_s": cpu["bare"],
        "ingest_cpu_over_encode_cpu": cpu["ingest"] / cpu["bare"],
        "full_over_noop": full.seconds / noop.seconds,
        "noop_embedded": noop.embedded, "one_batch_s": batch, "passages": store.count(),
        "sentences": store.sentences.count(),
    }
    return figures, components


def _pages(files: list[Path]) -> list:
    """The pages the ingester reads from ``files`` (unreadable files skipped, as it does)."""
    from ingest.loaders import LoadError, load
    from ingest.pipeline import expand

    pages = []
    for path in expand(files)[0]:
        try:
            pages.extend(load(path).pages)
        except LoadError:
            pass
    return pages


def _sentences(files: list[Path]) -> list[str]:
    from assistant.reading.sentences import sentence_spans

    return [page.text[a:b] for page in _pages(files) for a, b in sentence_spans(page.text)]


def during_ingestion(components: Any, work: Path, questions: list) -> dict[str, Any]:
    """Question latency while 20 new documents are ingested in another thread, against idle."""
    from assistant.service import Assistant
    from eval.scale_data import Perturber, read_versions
    from ingest.pipeline import Ingester

    assistant = Assistant(components)
    for q in questions[:5]:
        assistant.ask(q.q)
    idle = []
    for q in questions[:40]:
        t0 = time.perf_counter()
        assistant.ask(q.q)
        idle.append(time.perf_counter() - t0)
    folder = work / "twenty"
    folder.mkdir(parents=True, exist_ok=True)
    versions = [v for v in read_versions(components.store) if None in v.pages]  # the Markdown documents
    perturb, rng = Perturber(versions), np.random.default_rng(20)
    for i in range(20):
        v = versions[i % len(versions)]
        (folder / f"doc-{i:02d}.md").write_text(f"# {v.title} {i}\n\n" + perturb(v.pages[None], rng), encoding="utf-8")
    report: dict[str, Any] = {}
    ingester = Ingester(components.settings, components.store)
    worker = threading.Thread(target=lambda: report.update(r=ingester.sync([folder])))
    busy: list[float] = []
    worker.start()
    n = 0
    while worker.is_alive():
        q = questions[n % len(questions)]
        n += 1
        t0 = time.perf_counter()
        assistant.ask(q.q)
        busy.append(time.perf_counter() - t0)
    worker.join()
    return {
        "documents": 20, "added": report["r"].counts["added"], "ingest_s": report["r"].seconds,
        "questions_during": len(busy), "idle_p95_s": pct(idle, 95), "idle_p50_s": pct(idle, 50),
        "during_p95_s": pct(busy, 95), "during_max_s": max(busy) if busy else float("nan"),
        "index_updates": assistant.keyword_index.updates, "index_full_builds": assistant.keyword_index.full_builds,
    }
