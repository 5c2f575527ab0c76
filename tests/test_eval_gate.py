"""CI gate: the assistant on the regression set must meet every reviewed threshold.

Runs the real evaluation (model, fresh index in a tmp dir) and lists every metric that misses
``eval/thresholds.toml`` at once, so one run shows everything a change broke.
"""

from __future__ import annotations

from pathlib import Path

import pytest

QUESTIONS = Path(__file__).resolve().parent.parent / "eval" / "questions.jsonl"


@pytest.mark.slow
def test_assistant_meets_thresholds(tmp_path):
    from eval.runner import gate_failures, run_evaluation

    run = run_evaluation(
        QUESTIONS, "assistant", out_dir=tmp_path / "out", data_dir=tmp_path / "data", auto_compare=False,
    )
    failures = gate_failures(run.summary)
    assert not failures, (
        f"{len(failures)} metric(s) outside eval/thresholds.toml (report: {run.report_path}):\n  "
        + "\n  ".join(failures)
    )
