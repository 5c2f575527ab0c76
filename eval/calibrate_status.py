"""``python -m eval.calibrate_status RUN/results.json ...``: fit when an answer is stated, not just shown.

An answer the documents probably hold (``abstain_threshold``) is still only *uncertain* unless its lead
is likely right. This fits that second model, the probability that the first sentence answers, on
pooled evaluation runs (the sets the team may tune on; never the clean held-out ones):
1. every item that was not refused, with the signals the assistant showed (``Answer.signals``) and the
   answer kind it gave; "right" is the evaluation's own per-kind judgement (``eval.status``);
   unanswerable items are never right;
2. a lightly L2-regularised logistic regression (``eval.calibrate.fit_logistic``), scored by 5-fold
   cross-validation so the threshold is chosen on predictions for items the fit did not see;
3. the threshold: the lowest at which cross-validated stated precision reaches ``--precision``.
It prints ``LEAD_WEIGHTS``, ``LEAD_BIAS`` (for ``assistant/answering/abstention.py``) and
``PANEL_ANSWER_THRESHOLD``, with the cross-validated figures at that threshold.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

from eval.calibrate import fit_logistic

LEAD_FEATURES = ("lead_score", "lead_margin", "lead_coverage", "lead_typed", "best_similarity", "top_dense")
KIND_FEATURES = ("list", "summary", "reason")  # the answer kind given; factoid is the baseline
FOLDS = 5


def features(signals: dict[str, float], kind: str) -> list[float]:
    return [float(signals.get(f, 0.0)) for f in LEAD_FEATURES] + [float(kind == k) for k in KIND_FEATURES]


def load(paths: list[Path]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features, right, answerable) of every item not refused and answered as one ask."""
    x, right, answerable = [], [], []
    for path in paths:
        data = json.loads(path.read_text(encoding="utf-8"))
        for q in data["pipelines"]["assistant"]["questions"]:
            answer, scores = q["answer"], q["scores"]
            if scores.get("status") == "not_covered" or "lead_score" not in (answer.get("signals") or {}):
                continue
            x.append(features(answer["signals"], answer.get("kind", "factoid")))
            right.append(bool(scores.get("right")))
            answerable.append(bool(q["answerable"]))
    return np.array(x), np.array(right), np.array(answerable)


def cross_validated(x: np.ndarray, y: np.ndarray, seed: int = 0) -> np.ndarray:
    order = np.random.default_rng(seed).permutation(len(y))
    out = np.zeros(len(y))
    for fold in np.array_split(order, FOLDS):
        train = np.setdiff1d(order, fold)
        w, b = fit_logistic(x[train], y[train], steps=5000)
        out[fold] = 1.0 / (1.0 + np.exp(-(x[fold] @ w + b)))
    return out


def figures(p: np.ndarray, right: np.ndarray, answerable: np.ndarray, t: float) -> dict[str, float]:
    stated = p >= t
    return {
        "threshold": t, "stated": int(stated.sum()),
        "precision": float(right[stated].mean()) if stated.any() else 0.0,
        "coverage": float((stated & answerable).sum() / max(1, answerable.sum())),
        "unanswerable_stated": float((stated & ~answerable).sum() / max(1, (~answerable).sum())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.calibrate_status", description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, nargs="+", help="results.json of evaluation runs to pool")
    parser.add_argument("--precision", type=float, default=0.9, help="stated precision to reach")
    args = parser.parse_args(argv)
    x, right, answerable = load(args.results)
    if not len(right):
        print("no items with lead signals: run the evaluation with this version first", file=sys.stderr)
        return 2
    y = right.astype(float)
    print(f"{len(y)} items not refused: {int(y.sum())} right in their lead, {int((~answerable).sum())} unanswerable")
    p = cross_validated(x, y)
    grid = [round(t, 3) for t in np.arange(0.3, 0.96, 0.01)]
    table = [figures(p, right, answerable, t) for t in grid]
    reached = [row for row in table if row["precision"] >= args.precision and row["stated"] >= 10]
    chosen = reached[0] if reached else max(table, key=lambda row: (row["precision"], row["coverage"]))
    print(f"{'threshold':>9} {'stated':>6} {'precision':>9} {'coverage':>8} {'unanswerable stated':>19}")
    for row in table[::5]:
        print(f"{row['threshold']:>9.2f} {row['stated']:>6} {row['precision']:>9.3f} {row['coverage']:>8.3f} "
              f"{row['unanswerable_stated']:>19.3f}")
    w, b = fit_logistic(x, y)
    names = [*LEAD_FEATURES, *(f"kind_{k}" for k in KIND_FEATURES)]
    print("\nLEAD_WEIGHTS =", {n: round(float(v), 3) for n, v in zip(names, w, strict=True)}, f"LEAD_BIAS = {b:.3f}")
    note = "" if reached else f" (precision {args.precision} not reached; best shown)"
    print(f"PANEL_ANSWER_THRESHOLD = {chosen['threshold']:.3f}{note}: cross-validated stated precision "
          f"{chosen['precision']:.3f}, coverage {chosen['coverage']:.3f}, "
          f"unanswerable stated {chosen['unanswerable_stated']:.3f}")
    return 0 if math.isfinite(b) else 1


if __name__ == "__main__":
    sys.exit(main())
