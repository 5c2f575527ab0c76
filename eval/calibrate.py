"""``python -m eval.calibrate``: re-fit the abstention model on a regression set and print the figures.

The assistant abstains when a logistic model over retrieval signals says the documents probably do
not answer. This script is how its weights (``assistant/answering/abstention.py``) and threshold
(``PANEL_ABSTAIN_THRESHOLD``) were chosen, and how to re-choose them after a change of model,
chunking or corpus:
1. ask every question, keep the signals the assistant computed (``Answer.signals``);
2. fit a lightly L2-regularised logistic regression, answerable = 1;
3. choose the threshold on leave-one-out predictions (each question scored by a model fitted without
   it): the one with the best balanced accuracy among those refusing at most ``--max-false`` of the
   answerable questions; report the held-out figures at that threshold, not the fitted ones.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from pathlib import Path

import numpy as np

FEATURES = ("best_similarity", "top_dense", "typed", "topic_held")


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 20000, lr: float = 1.0):
    """Plain gradient descent: a handful of features needs nothing more."""
    w = np.zeros(x.shape[1])
    b = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
        w -= lr * (x.T @ (p - y) + l2 * w) / len(y)
        b -= lr * float(np.mean(p - y))
    return w, b


def leave_one_out(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    scores = np.zeros(len(y))
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        w, b = fit_logistic(x[keep], y[keep], steps=5000)
        scores[i] = x[i] @ w + b
    return scores


def choose_threshold(scores: np.ndarray, y: np.ndarray, max_false: float) -> dict[str, float]:
    """Thresholds are midpoints between neighbouring scores: the widest margin on both sides."""
    best: dict[str, float] | None = None
    ordered = np.unique(scores)
    for t in np.concatenate([[ordered[0] - 1], (ordered[:-1] + ordered[1:]) / 2]):
        abstain = scores < t
        recall = float(abstain[y == 0].mean()) if (y == 0).any() else 0.0
        false = float(abstain[y == 1].mean()) if (y == 1).any() else 0.0
        precision = float((abstain & (y == 0)).sum() / max(1, abstain.sum()))
        balanced = (recall + 1 - false) / 2
        if false <= max_false and (best is None or balanced > best["balanced"]):
            best = {"logit": float(t), "recall": recall, "false": false, "precision": precision, "balanced": balanced}
    assert best is not None
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.calibrate", description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=None, help="regression set (default eval/questions.jsonl)")
    parser.add_argument("--max-false", type=float, default=0.03, help="most answerable questions to refuse")
    args = parser.parse_args(argv)

    from assistant.service import Assistant
    from eval.dataset import load_questions
    from eval.runner import conversation_history, eval_settings
    from ingest.pipeline import Ingester, ensure_corpus

    questions = load_questions(args.questions)
    with tempfile.TemporaryDirectory(prefix="panel-calibrate-") as tmp:
        settings = eval_settings(None, Path(tmp) / "data", True, backend="extractive")
        assistant = Assistant.from_settings(settings, backend="extractive")
        ensure_corpus(Ingester(settings, assistant.store))
        rows = [
            assistant.ask(q.q, conversation_history(assistant, q.history, settings.k)).signals for q in questions
        ]
        close = getattr(assistant.store.client, "close", None)
        if close:  # release the store before its temporary folder goes
            close()
    x = np.array([[row[f] for f in FEATURES] for row in rows])
    y = np.array([1.0 if q.answerable else 0.0 for q in questions])
    print(f"{len(y)} questions: {int(y.sum())} answerable, {int(len(y) - y.sum())} not\n")
    print(f"{'signal':<18} {'answerable mean':>16} {'min':>6} {'unanswerable mean':>18} {'max':>6}")
    for i, name in enumerate(FEATURES):
        a, u = x[y == 1, i], x[y == 0, i]
        print(f"{name:<18} {a.mean():>16.3f} {a.min():>6.3f} {u.mean():>18.3f} {u.max():>6.3f}")
    w, b = fit_logistic(x, y)
    chosen = choose_threshold(leave_one_out(x, y), y, args.max_false)
    probability = 1.0 / (1.0 + math.exp(-chosen["logit"]))
    print("\nfitted WEIGHTS =", {f: round(float(v), 3) for f, v in zip(FEATURES, w, strict=True)}, f"BIAS = {b:.3f}")
    print(
        f"threshold (leave-one-out, at most {args.max_false:.0%} answerable refused): "
        f"PANEL_ABSTAIN_THRESHOLD = {probability:.3f}\n"
        f"held-out at that threshold: abstention recall {chosen['recall']:.3f}, precision "
        f"{chosen['precision']:.3f}, false abstentions {chosen['false']:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
