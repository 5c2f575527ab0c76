"""``python -m eval``: score the assistant (and the textbook LangChain pipeline) on the regression set.

    python -m eval --pipeline both                   # the side-by-side comparison, one run
    python -m eval --compare eval/out/<run>/results.json   # what got better or worse since then
    python -m eval --check-thresholds                # exit 1 when a metric misses eval/thresholds.toml

Writes results.json, report.md, metrics.png and latency.png to eval/out/<timestamp>/ (or --out).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eval", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--questions", type=Path, default=None, help="JSONL regression set (default: the bundled one)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default eval/out/<timestamp>/)")
    parser.add_argument("--k", type=int, default=None, help="passages the assistant retrieves and hit@k scores")
    parser.add_argument("--backend", choices=["extractive", "generative"], default=None, help="assistant answerer")
    parser.add_argument("--pipeline", choices=["assistant", "textbook", "both"], default="assistant",
                        help="what to evaluate; 'both' puts the assistant and the textbook pipeline side by side")
    parser.add_argument("--compare", default=None, metavar="OLD/results.json",
                        help="an earlier results.json (or its folder, or 'latest') to list what got worse or better")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="evaluate the index in this data dir (ingesting the corpus if empty) "
                             "instead of a fresh temporary one")
    parser.add_argument("--check-thresholds", action="store_true",
                        help="exit 1 when an assistant metric misses eval/thresholds.toml")
    args = parser.parse_args(argv)

    from tqdm import tqdm

    from eval.dataset import DatasetError, load_questions
    from eval.report import terminal_summary
    from eval.runner import OUT_ROOT, gate_failures, latest_results, run_evaluation

    compare = args.compare
    if compare == "latest":
        compare = latest_results((args.out.parent if args.out else OUT_ROOT), args.out)
        if compare is None:
            print("--compare latest: no earlier run found", file=sys.stderr)
            return 2
    try:
        load_questions(args.questions)  # a malformed set stops here, before the model loads
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    bar = tqdm(total=1000, bar_format="{desc:<42.42} {percentage:3.0f}%|{bar}| {elapsed}<{remaining}", file=sys.stderr)

    def progress(fraction: float, desc: str) -> None:
        bar.set_description_str(desc, refresh=False)
        bar.update(max(0, round(fraction * 1000) - bar.n))

    try:
        run = run_evaluation(
            args.questions, args.pipeline, progress, args.out, compare, k=args.k, backend=args.backend,
            data_dir=args.data_dir, auto_compare=False,
        )
    except (DatasetError, FileNotFoundError, ValueError, RuntimeError) as exc:
        bar.close()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    bar.close()
    print(terminal_summary(run.results))
    from eval.runner import verifier_lines

    for line in verifier_lines(run.results):
        print(line)
    print(f"\nReport: {run.report_path}\nResults: {run.results_path}")
    print(f"Charts: {', '.join(str(p) for p in run.charts.values())}")
    print(f"Run time: {time.perf_counter() - started:.1f} s")
    if args.check_thresholds:
        if "assistant" not in run.summaries:
            print("--check-thresholds needs the assistant pipeline", file=sys.stderr)
            return 2
        failures = gate_failures(run.summaries["assistant"])
        for line in failures:
            print(f"BELOW THRESHOLD: {line}", file=sys.stderr)
        return 1 if failures else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
