"""``python -m eval.bench``: extractive answer latency over the bundled corpus, once the model is loaded.

A benchmark, not a test: it warms up (model load, BM25 build, first-call caches are excluded), asks
every regression question ``--repeat`` times, and prints and saves p50/p95/mean plus the mean time
of each stage, so a change's cost shows up as a number rather than a feeling.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from eval.bench_ingest import machine, save_json

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

DEFAULT_OUT = Path(__file__).resolve().parent / "out" / "bench.json"


def bench(questions_path: Path | None = None, repeat: int = 3, warmup: int = 5,
          data_dir: Path | None = None) -> dict[str, Any]:
    """Latency figures (seconds) of ``Assistant.ask`` with the extractive answerer."""
    from assistant.service import Assistant
    from eval.dataset import load_questions
    from eval.metrics import mean, percentile
    from eval.runner import eval_settings
    from ingest.pipeline import Ingester, ensure_corpus

    questions = load_questions(questions_path)
    with tempfile.TemporaryDirectory(prefix="panel-bench-") as scratch:
        settings = eval_settings(None, data_dir or Path(scratch) / "data", data_dir is None, backend="extractive")
        assistant = Assistant.from_settings(settings, backend="extractive")
        ensure_corpus(Ingester(settings, assistant.store))
        for q in questions[: max(1, warmup)]:
            assistant.ask(q.q, history=list(q.history) or None)
        latencies: list[float] = []
        stages: dict[str, list[float]] = {}
        for _ in range(repeat):
            for q in questions:
                t0 = time.perf_counter()
                answer = assistant.ask(q.q, history=list(q.history) or None)
                latencies.append(time.perf_counter() - t0)
                for stage, seconds in answer.timings.items():
                    stages.setdefault(stage, []).append(seconds)
        passages = assistant.store.count()
    import torch

    return {
        "created": datetime.now().isoformat(timespec="seconds"),
        "questions": len(questions), "repeat": repeat, "warmup": warmup, "asks": len(latencies),
        "passages": passages,
        "p50": percentile(latencies, 50), "p95": percentile(latencies, 95), "mean": mean(latencies),
        "min": min(latencies), "max": max(latencies),
        "stages_mean": {stage: mean(values) for stage, values in stages.items()},
        "settings": {"embedding_model": settings.embedding_model, "k": settings.k,
                     "chunk_tokens": settings.chunk_tokens, "backend": "extractive"},
        "machine": machine(torch_threads=torch.get_num_threads()),
    }


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--scale" in argv:  # the scale benchmark has its own options (--sizes, --repeat, ...)
        from eval.bench_scale import main as scale_main

        argv.remove("--scale")
        return scale_main(argv)
    if "--large" in argv:  # one large PDF: peak memory in page windows, resume after a kill
        from eval.bench_large import main as large_main

        argv.remove("--large")
        return large_main(argv)
    parser = argparse.ArgumentParser(prog="python -m eval.bench", description=__doc__)
    parser.add_argument("--scale", action="store_true", help="run eval.bench_scale instead (see its --help)")
    parser.add_argument("--large", action="store_true", help="run eval.bench_large instead (see its --help)")
    parser.add_argument("--questions", type=Path, default=None, help="JSONL regression set (default: the bundled one)")
    parser.add_argument("--repeat", type=int, default=3, help="times each question is asked (default 3)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed questions asked first (default 5)")
    parser.add_argument("--data-dir", type=Path, default=None, help="use this index instead of a temporary one")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON file to write (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    print("Indexing the corpus and warming up…", file=sys.stderr)
    result = bench(args.questions, args.repeat, args.warmup, args.data_dir)
    print(f"{result['asks']} asks ({result['questions']} questions × {result['repeat']}), "
          f"{result['passages']} passages")
    for key in ("p50", "p95", "mean", "min", "max"):
        print(f"  {key:<5} {1000 * result[key]:8.1f} ms")
    print("  mean per stage: " + ", ".join(f"{k} {1000 * v:.1f} ms" for k, v in result["stages_mean"].items()))
    save_json(args.out, result)
    print(f"Written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
