"""``python -m eval.bench_scale`` (or ``python -m eval.bench --scale``): how the assistant scales.

A benchmark, not a test. Figures, all from one run on one machine (compare ratios, not absolutes):

- **ingestion**: wall time of ingesting the bundled corpus and the test PDFs, against one bare
  ``model.encode`` of the same texts; a no-op re-ingest against the full one;
- **during ingestion**: question latency while 20 documents are ingested in another thread (max and
  p95) against idle p95, and the target (2 x idle p95 + one embedding batch);
- **per size** (``--sizes``, passages; built as ``eval/scale_data.py`` describes): cold first question
  (derived indexes built at open), ask and retrieval p50/p95, Chroma ANN vs in-memory scan for the
  sentence search, derived-index update after a one-document write, peak RSS (a fresh process per
  size), disk; and the textbook pipeline's query p50/p95 over the same passages and vectors.

Writes JSON and a PNG chart to ``eval/out/``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

import numpy as np

from eval.bench_ingest import ROOT, _settings, during_ingestion, ingestion_figures, machine, pct, save_json

OUT = Path(__file__).resolve().parent / "out"


def peak_rss_mb() -> float:
    """This process's own peak RSS. Not ``ru_maxrss``: Linux carries it over fork and exec, so a child
    reported the benchmark parent's peak when that was higher (at 1k and 10k passages it was)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def disk_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


# --- per size -------------------------------------------------------------------------------------


def child(data_dir: Path, repeat: int, scan_max: int | None, profile: Path | None = None) -> dict[str, Any]:
    """Runs in a fresh process (clean peak RSS): cold first question, warm latencies, update time.
    ``profile``: also write a cProfile of the warm questions there (``--child DIR --profile FILE``)."""
    import cProfile
    import pstats

    from assistant.components import build
    from assistant.service import Assistant
    from eval.dataset import load_questions
    from ingest.pipeline import Ingester

    questions = [q for q in load_questions() if not q.history]
    memory: dict[str, float] = {}  # peak RSS (MB) after each phase: where the memory goes

    def mark(phase: str) -> None:
        memory[phase] = peak_rss_mb()

    mark("imports")
    t0 = time.perf_counter()
    components = build(_settings(data_dir))
    components.embedder.embed_query("warm up")
    model_load = time.perf_counter() - t0
    mark("model_and_store")
    assistant = Assistant(components)
    if scan_max is not None:
        assistant.sentence_index.scan_max = scan_max
    t0 = time.perf_counter()
    assistant.keyword_index.state()
    keyword_open = time.perf_counter() - t0
    mark("keyword_index")
    t0 = time.perf_counter()
    assistant.sentence_index.state()
    sentence_open = time.perf_counter() - t0
    mark("sentence_index")
    t0 = time.perf_counter()
    assistant.ask(questions[0].q)
    first_ask = time.perf_counter() - t0
    mark("first_question")
    for q in questions[1:6]:
        assistant.ask(q.q)
    asks, retrievals, stages = [], [], {}
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    for _ in range(repeat):
        for q in questions:
            t0 = time.perf_counter()
            answer = assistant.ask(q.q)
            asks.append(time.perf_counter() - t0)
            t = answer.timings
            retrievals.append(sum(t.get(k, 0.0) for k in ("dense", "keyword", "sentences", "fuse")))
            for k, v in t.items():
                stages.setdefault(k, []).append(v)
    if profiler and profile:
        profiler.disable()
        with profile.open("w", encoding="utf-8") as out:
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)
    mark("all_questions")
    store, vector = components.store, np.asarray(components.embedder.embed_query(questions[0].q), dtype=np.float32)
    ann = []
    for _ in range(20):
        t0 = time.perf_counter()
        store.search_sentences(vector.tolist(), 30)
        ann.append(time.perf_counter() - t0)
    note = data_dir.parent / f"note-{data_dir.name}.md"
    note.write_text(  # new content on every run: with --reuse the index already holds an earlier note
        f"# A note\n\nThe zorblax accord was signed in Reykjavik (run {time.time_ns()}). It binds the panel "
        "to nothing.\n", encoding="utf-8")
    t0 = time.perf_counter()
    Ingester(components.settings, store).sync([note])
    write_s = time.perf_counter() - t0
    builds = (assistant.keyword_index.full_builds, assistant.sentence_index.full_builds)
    t0 = time.perf_counter()
    assistant.keyword_index.state()
    keyword_update = time.perf_counter() - t0
    t0 = time.perf_counter()
    assistant.sentence_index.state()
    sentence_update = time.perf_counter() - t0
    found = bool(assistant.keyword_index.search("zorblax", 1))
    return {
        "model_load_s": model_load, "keyword_open_s": keyword_open, "sentence_open_s": sentence_open,
        "first_ask_s": first_ask, "cold_first_question_s": keyword_open + sentence_open + first_ask,
        "asks": len(asks), "ask_p50_s": pct(asks, 50), "ask_p95_s": pct(asks, 95),
        "retrieval_p50_s": pct(retrievals, 50), "retrieval_p95_s": pct(retrievals, 95),
        "stages_mean_s": {k: float(np.mean(v)) for k, v in stages.items()},
        "sentence_mode": "scan" if assistant.sentence_index.state().in_memory else "ann",
        "sentence_ann_p50_s": pct(ann, 50),
        "write_one_document_s": write_s, "keyword_update_s": keyword_update, "sentence_update_s": sentence_update,
        "index_update_s": keyword_update + sentence_update, "update_found_new_document": found,
        "full_builds_after_write": [assistant.keyword_index.full_builds, assistant.sentence_index.full_builds],
        "full_builds_before_write": list(builds),
        "peak_rss_mb": peak_rss_mb(),
        "peak_rss_after_mb": memory,
    }


def scan_seconds(sentences: int, dim: int, runs: int = 15) -> float:
    """Median time of the in-memory scan (matrix product + top 30) over ``sentences`` vectors."""
    rng = np.random.default_rng(0)
    matrix = rng.standard_normal((sentences, dim), dtype=np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    query = matrix[0].copy()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        sims = matrix @ query
        top = np.argpartition(-sims, 30)[:30]
        top[np.argsort(-sims[top])]
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def textbook_queries(work: Path, rows: list, embedder: Any, questions: list) -> dict[str, Any]:
    """The textbook pipeline's top-4 similarity search over the same passages and vectors."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma

    client = chromadb.PersistentClient(path=str(work / "chroma"), settings=ChromaSettings(anonymized_telemetry=False))
    store = Chroma(collection_name="textbook", embedding_function=embedder, client=client)
    for ids, texts, metas, vectors in rows:
        for start in range(0, len(ids), 5000):
            store._collection.upsert(
                ids=ids[start : start + 5000], documents=texts[start : start + 5000],
                metadatas=metas[start : start + 5000], embeddings=vectors[start : start + 5000],
            )
    for q in questions[:5]:
        store.similarity_search_with_score(q.q, k=4)
    times = []
    for q in questions:
        t0 = time.perf_counter()
        store.similarity_search_with_score(q.q, k=4)
        times.append(time.perf_counter() - t0)
    result = {"query_p50_s": pct(times, 50), "query_p95_s": pct(times, 95), "disk_mb": disk_bytes(work) / 2**20}
    client.close()
    return result


def one_size(size: int, work: Path, versions: list, embedder: Any, questions: list, repeat: int,
             scan_max: int | None, reuse: bool = False) -> dict[str, Any]:
    """Build (or, with ``reuse``, reopen) the index of ``size`` passages and measure it in a child."""
    from assistant.store.store import Store
    from eval.scale_data import build_synthetic

    data, marker = work / f"n{size}", work / f"n{size}.built.json"
    rows: list = []
    if reuse and marker.exists():
        built = json.loads(marker.read_text(encoding="utf-8"))
        print(f"  {size}: reusing {data} (built in {built['seconds']:.0f} s)", file=sys.stderr)
    else:
        store = Store(_settings(data), embedder)
        original = store.add_passages

        def add_passages(ids, texts, metas, vectors):  # the textbook collection gets the same passages
            rows.append((list(ids), list(texts), [{k: m[k] for k in ("doc_id", "title", "source")} for m in metas],
                         np.asarray(vectors)))
            original(ids, texts, metas, vectors)

        store.add_passages = add_passages  # type: ignore[method-assign]
        built = build_synthetic(store, versions, size)
        store.client.close()
        print(f"  {size}: built {built['passages']} passages in {built['seconds']:.0f} s", file=sys.stderr)
        marker.write_text(json.dumps(built), encoding="utf-8")
    sentences = _count_sentences(data)
    result: dict[str, Any] = {"size": size, "built": built, "passages": built["passages"], "sentences": sentences,
                              "reused": not rows}
    result["disk_mb"] = disk_bytes(data) / 2**20
    result["scan_p50_s"] = scan_seconds(sentences, embedder.dimension)
    cmd = [sys.executable, "-m", "eval.bench_scale", "--child", str(data), "--repeat", str(repeat)]
    if scan_max is not None:
        cmd += ["--scan-max", str(scan_max)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"child for {size} failed:\n{proc.stderr[-3000:]}")
    result["assistant"] = json.loads(proc.stdout.strip().splitlines()[-1])
    tb, tb_marker = work / f"tb{size}", work / f"tb{size}.json"
    if rows or not tb_marker.exists():
        if not rows:  # reused index, no textbook yet: its passages are read back from the store
            rows = _passage_rows(data, embedder)
        result["textbook"] = textbook_queries(tb, rows, embedder, questions)
        tb_marker.write_text("{}", encoding="utf-8")
    else:
        result["textbook"] = textbook_queries(tb, [], embedder, questions)
    return result


def _count_sentences(data: Path) -> int:
    from assistant.store.store import Store

    store = Store(_settings(data), _IdOnly())
    try:
        return store.sentences.count()
    finally:
        store.client.close()


def _passage_rows(data: Path, embedder: Any) -> list:
    from assistant.store.store import Store

    store = Store(_settings(data), embedder)
    passages = store.all_passages()
    vectors = store.passage_vectors([p.id for p in passages])
    store.client.close()
    metas = [{k: p.metadata.get(k, "") for k in ("doc_id", "title", "source")} for p in passages]
    return [([p.id for p in passages], [p.text for p in passages], metas, np.asarray(vectors))]


class _IdOnly:
    """Opens a store without loading the model (the id check is all a count needs)."""

    model_id, backend, dimension = "sentence-transformers/all-MiniLM-L6-v2", "torch", 384


# --- report ---------------------------------------------------------------------------------------


def summary_lines(result: dict[str, Any]) -> list[str]:
    ing, dur = result["ingestion"], result["during_ingestion"]
    lines = [
        f"ingestion: {ing['texts']} texts, ingest {ing['ingest_s']:.1f} s vs bare encode {ing['bare_encode_s']:.1f} s "
        f"= {ing['ingest_over_encode']:.2f}x (target <= 1.15x; CPU seconds of this process "
        f"{ing.get('ingest_cpu_over_encode_cpu', float('nan')):.2f}x); no-op re-ingest {ing['noop_s']:.2f} s "
        f"= {ing['full_over_noop']:.0f}x faster (target >= 50x)",
        f"during ingestion of 20 documents: {dur['questions_during']} questions, "
        f"max {1000 * dur['during_max_s']:.0f} ms, "
        f"p95 {1000 * dur['during_p95_s']:.0f} ms vs idle p95 {1000 * dur['idle_p95_s']:.0f} ms "
        f"(target max <= {1000 * (2 * dur['idle_p95_s'] + ing['one_batch_s']):.0f} ms = 2 x idle p95 + one batch)",
        "| passages | sentences | cold 1st q | ask p50 / p95 | retrieval p50 / p95 | textbook p50 / p95 "
        "| sentence scan / ANN | index update | peak RSS | disk (textbook) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in result["sizes"]:
        a, t = s["assistant"], s["textbook"]
        lines.append(
            f"| {s['passages']:,} | {s['sentences']:,} | {a['cold_first_question_s']:.1f} s "
            f"| {1000 * a['ask_p50_s']:.0f} / {1000 * a['ask_p95_s']:.0f} ms "
            f"| {1000 * a['retrieval_p50_s']:.0f} / {1000 * a['retrieval_p95_s']:.0f} ms "
            f"| {1000 * t['query_p50_s']:.0f} / {1000 * t['query_p95_s']:.0f} ms "
            f"| {1000 * s['scan_p50_s']:.1f} / {1000 * a['sentence_ann_p50_s']:.1f} ms ({a['sentence_mode']}) "
            f"| {1000 * a['index_update_s']:.0f} ms | {a['peak_rss_mb'] / 1024:.2f} GB "
            f"| {s['disk_mb'] / 1024:.2f} GB ({t['disk_mb'] / 1024:.2f} GB) |"
        )
    return lines


def chart(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = result["sizes"]
    n = [s["passages"] for s in sizes]
    a = [s["assistant"] for s in sizes]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    ax = axes[0]
    for key, label in (("ask_p50_s", "ask p50"), ("ask_p95_s", "ask p95"), ("retrieval_p95_s", "retrieval p95")):
        ax.plot(n, [1000 * x[key] for x in a], marker="o", label=label)
    for key, label in (("query_p50_s", "textbook p50"), ("query_p95_s", "textbook p95")):
        ax.plot(n, [1000 * s["textbook"][key] for s in sizes], marker="s", linestyle="--", label=label)
    ax.set(xscale="log", xlabel="passages", ylabel="ms", title="Question latency")
    ax.legend(fontsize=8)
    ax = axes[1]
    ax.plot(n, [x["cold_first_question_s"] for x in a], marker="o", label="cold first question")
    ax.plot(n, [x["index_update_s"] for x in a], marker="o", label="index update after a write")
    ax.plot(n, [1000 * s["scan_p50_s"] for s in sizes], marker="^", label="sentence scan (ms)")
    ax.plot(n, [1000 * x["sentence_ann_p50_s"] for x in a], marker="v", label="sentence ANN (ms)")
    ax.set(xscale="log", yscale="log", xlabel="passages", ylabel="s (or ms)", title="Open, update, sentence search")
    ax.legend(fontsize=8)
    ax = axes[2]
    ax.plot(n, [x["peak_rss_mb"] / 1024 for x in a], marker="o", label="peak RSS")
    ax.plot(n, [s["disk_mb"] / 1024 for s in sizes], marker="o", label="disk")
    ax.plot(n, [s["textbook"]["disk_mb"] / 1024 for s in sizes], marker="s", linestyle="--", label="textbook disk")
    ax.set(xscale="log", xlabel="passages", ylabel="GB", title="Memory and disk")
    ax.legend(fontsize=8)
    fig.suptitle(f"panel-assistant at scale ({result['machine']['cpus']} CPUs, {result['created']})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run(sizes: list[int], repeat: int, work: Path, scan_max: int | None, out: Path,
        reuse: bool = False) -> dict[str, Any]:
    import torch

    from eval.dataset import load_questions
    from eval.scale_data import read_versions

    questions = [q for q in load_questions() if not q.history]
    print("ingesting the corpus and the test PDFs with the real model…", file=sys.stderr)
    ingestion, components = ingestion_figures(work / "base")
    print("questions while 20 documents are ingested…", file=sys.stderr)
    during = during_ingestion(components, work, questions)
    versions = [v for v in read_versions(components.store) if not v.doc_id.startswith("doc-")]
    per_size: list[dict[str, Any]] = []
    result = {
        "created": datetime.now().isoformat(timespec="seconds"),
        "how_built": "sizes: copies of the real corpus + test-PDF index; see eval/scale_data.py "
                     "(copy 0 real; copies: ~1/3 of words swapped for same-length corpus words, "
                     "vectors = real + N(0, 0.012) noise, re-normalised)",
        "ingestion": ingestion, "during_ingestion": during, "sizes": per_size,
        "machine": machine(torch_threads=torch.get_num_threads(), load_average_at_end=os.getloadavg()),
    }
    for size in sizes:
        print(f"size {size}…", file=sys.stderr)
        per_size.append(one_size(size, work, versions, components.embedder, questions, repeat, scan_max,
                                 reuse))
        result["machine"]["load_average_at_end"] = os.getloadavg()
        save_json(out, result)  # a long run keeps what it finished
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench_scale", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000", help="passage counts (default 1000,10000,100000)")
    parser.add_argument("--repeat", type=int, default=1, help="times each question is asked per size (default 1)")
    parser.add_argument("--scan-max", type=int, default=None, help="override the sentence scan/ANN switch")
    parser.add_argument("--work-dir", type=Path, default=None, help="keep the indexes here (default: temporary)")
    parser.add_argument("--reuse", action="store_true",
                        help="with --work-dir: reopen the indexes an earlier run built there instead of rebuilding")
    parser.add_argument("--out", type=Path, default=OUT / "bench_scale.json")
    parser.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--profile", type=Path, default=None,
                        help="with --child DATA_DIR: write a cProfile of the warm questions to this file")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.repeat, args.scan_max, args.profile)))
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    with tempfile.TemporaryDirectory(prefix="panel-scale-") as scratch:
        work = args.work_dir or Path(scratch)
        result = run(sizes, args.repeat, work, args.scan_max, args.out, args.reuse)
    lines = summary_lines(result)
    print("\n".join(lines))
    save_json(args.out, result)
    chart(result, args.out.with_suffix(".png"))
    print(f"Written to {args.out} and {args.out.with_suffix('.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
