"""``python -m eval.bench_backend``: embedding throughput of the torch and the ONNX int8 backends.

A benchmark, not a test. Both backends embed the same texts, the passages and sentences the ingester
makes from the bundled corpus and the test PDFs (``--corpus-only``: the corpus alone), in the same process,
alternating rounds so that the machine's load drifts over both alike; figures are texts per second
(median of the rounds) and their ratio, plus the cosine between the two backends' vectors of each text.
The regression-set metrics of each backend come from ``python -m eval`` with
``PANEL_EMBEDDING_BACKEND`` set (each on an index it built); the README puts them side by side.

Writes JSON to ``eval/out/bench_backend.json`` (or ``--out``).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np

OUT = Path(__file__).resolve().parent / "out"
ROOT = Path(__file__).resolve().parent.parent


def corpus_texts(with_fixtures: bool) -> list[str]:
    """What an ingestion of the corpus embeds: its passages, then its sentences."""
    from assistant.embedding.embedder import Embedder
    from eval.bench_ingest import FIXTURES, _pages, _sentences, _settings
    from ingest.chunking import SentenceChunker

    files = [ROOT / "corpus", *([FIXTURES] if with_fixtures else [])]
    settings = _settings(Path(tempfile.gettempdir()))
    embedder = Embedder(settings.embedding_model, settings.batch_size)
    chunker = SentenceChunker(embedder.count_tokens, min(settings.chunk_tokens, embedder.max_tokens - 2),
                              settings.chunk_overlap_sentences)
    return [p.text for p in chunker.split(_pages(files))] + _sentences(files)


def run(rounds: int, with_fixtures: bool, out: Path) -> dict[str, Any]:
    from assistant.embedding.embedder import Embedder
    from eval.bench_ingest import save_json

    texts = corpus_texts(with_fixtures)
    with tempfile.TemporaryDirectory() as cache:
        embedders = {"torch": Embedder(), "onnx-int8": Embedder(backend="onnx-int8", cache_dir=Path(cache))}
        load = {}
        for name, embedder in embedders.items():
            t0 = time.perf_counter()
            embedder.embed_query("warm up")  # loading (and for ONNX, the export) is timed apart
            load[name] = time.perf_counter() - t0
        rates: dict[str, list[float]] = {name: [] for name in embedders}
        vectors: dict[str, np.ndarray] = {}
        for _ in range(rounds):
            for name, embedder in embedders.items():
                t0 = time.perf_counter()
                vectors[name] = embedder.encode(texts)
                rates[name].append(len(texts) / (time.perf_counter() - t0))
    cosine = (vectors["torch"] * vectors["onnx-int8"]).sum(axis=1)
    median = {name: statistics.median(r) for name, r in rates.items()}
    result = {
        "when": datetime.now().isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.python_version()}",
        "texts": len(texts), "rounds": rounds, "texts_per_s": rates, "median_texts_per_s": median,
        "onnx_over_torch": median["onnx-int8"] / median["torch"],
        "load_s": load,
        "cosine_onnx_vs_torch": {"min": float(cosine.min()), "p05": float(np.percentile(cosine, 5)),
                                 "mean": float(cosine.mean())},
    }
    save_json(out, result)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench_backend", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per backend (default 3)")
    parser.add_argument("--corpus-only", action="store_true", help="only the bundled corpus, not the test PDFs")
    parser.add_argument("--out", type=Path, default=OUT / "bench_backend.json")
    args = parser.parse_args(argv)
    result = run(args.rounds, not args.corpus_only, args.out)
    median, cos = result["median_texts_per_s"], result["cosine_onnx_vs_torch"]
    print(f"{result['texts']} texts, {args.rounds} alternating rounds, {result['machine']}")
    for name in median:
        rounds = ", ".join(f"{r:.1f}" for r in result["texts_per_s"][name])
        print(f"  {name:10s} {median[name]:6.1f} texts/s (rounds {rounds}; load {result['load_s'][name]:.1f} s)")
    print(f"  onnx-int8 / torch throughput: {result['onnx_over_torch']:.2f}x")
    print(f"  cosine onnx-int8 vs torch per text: min {cos['min']:.4f}, p05 {cos['p05']:.4f}, mean {cos['mean']:.4f}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
