"""Evaluation tab: run the regression set (``eval.runner.run_evaluation``) and show what it measured.

The evaluation package is imported only when a run starts, so the chat works without it. A run builds
its own throwaway index from the corpus folder (the user's index is neither read nor changed) and
writes ``results.json``, ``report.md`` and the charts to ``eval/out/<timestamp>/``; the charts and
the report are copied to the app's export folder so the browser may fetch them.
"""

from __future__ import annotations

import logging
import shutil
from html import escape
from pathlib import Path
from typing import Any

import gradio as gr

from ui.services import Services

log = logging.getLogger("ui.evaluation")

PIPELINE = "assistant"
ROW_HEADERS = ["id", "question", "expected", "result", "why", "answer", "latency"]
NO_RESULT = (gr.skip(),) * 5


def question_rows(rows: list[dict[str, Any]], only_failures: bool) -> list[list[Any]]:
    """The per-question table from ``EvaluationRun.rows`` (the assistant's rows), failures only if asked."""
    table = []
    for r in rows or []:
        if r.get("pipeline", PIPELINE) != PIPELINE or (only_failures and r.get("passed")):
            continue
        answer = " ".join(str(r.get("answer", "")).split())
        table.append([
            r.get("id", ""), r.get("question", ""), "answer" if r.get("answerable") else "abstain",
            "pass" if r.get("passed") else "FAIL", "; ".join(r.get("reasons") or []),
            answer if len(answer) <= 240 else answer[:240] + "…",
            f"{1000 * float(r.get('latency') or 0):.0f} ms",
        ])
    return table


def _md(text: Any) -> str:
    """Text from the question set or an answer, safe inside Markdown (HTML-escaped, no table breaks)."""
    return escape(" ".join(str(text).split())).replace("|", "\\|")


def run_name(where: Any) -> str:
    """A run's folder name (its timestamp), never the server path it is kept under."""
    if not where:
        return "the previous run"
    path = Path(str(where))
    return path.parent.name if path.suffix == ".json" else path.name


def comparison_markdown(comparison: dict[str, Any] | None, compared_to: Any = None) -> str:
    """The comparison with the previous run: what got worse, what got better, summary deltas."""
    if not comparison:
        return "No earlier run to compare with: the next run will be compared with this one."
    from eval.report import fmt, fmt_delta

    lines = [f"**Compared with** run `{_md(run_name(compared_to))}`", ""]
    for name, entry in comparison.items():
        lines.append(f"**{_md(name)}**: {len(entry.get('worse', []))} worse, {len(entry.get('better', []))} better, "
                     f"{entry.get('unchanged', 0)} unchanged")
        lines.append("")
        for label in ("worse", "better"):
            for row in entry.get(label, []):
                lines.append(f"- {'🔻' if label == 'worse' else '🔺'} **{label}** `{_md(row.get('id'))}` "
                             f"{_md(row.get('question', ''))} — {_md('; '.join(row.get('changes', [])))}")
        deltas = [
            (key, d) for key, d in entry.get("summary_deltas", {}).items()
            if d.get("direction") != "same" and not key.startswith("subsets.") and key not in ("k", "questions")
        ]
        if deltas:
            lines += ["", "| metric | before | now | change | |", "|---|---|---|---|---|"]
            lines += [f"| {_md(key)} | {fmt(key, d['old'])} | {fmt(key, d['new'])} | {fmt_delta(key, d['delta'])} "
                      f"| {_md(d['direction'])} |" for key, d in deltas]
        else:
            lines += ["", "No summary metric changed."]
        lines.append("")
    return "\n".join(lines)


class EvaluationHandlers:
    def __init__(self, services: Services) -> None:
        self.services = services

    def run(self, only_failures: bool, progress=gr.Progress()) -> tuple:  # noqa: B008 (Gradio idiom)
        """(status, summary table, charts, per-question table, comparison, rows state, report file)."""
        try:
            from eval.runner import run_evaluation
        except ImportError:
            log.exception("the evaluation package is not available")
            gr.Warning("The evaluation package (eval/) is not installed with this app.")
            return ("The evaluation package is not available.", *NO_RESULT, None)

        def report(fraction: float, desc: str) -> None:
            progress(min(max(fraction, 0.0), 1.0), desc=desc)

        try:
            run = run_evaluation(pipeline=PIPELINE, progress=report, settings=self.services.settings)
        except Exception:
            log.exception("the evaluation failed")
            gr.Warning("The evaluation stopped with an error (the details are in the server log).")
            return ("The evaluation failed; the details are in the server log.", *NO_RESULT, None)

        header, summary_rows = run.summary_table()
        rows = [r for r in run.rows if r.get("pipeline") == PIPELINE]
        failed = sum(1 for r in rows if not r.get("passed"))
        charts, report_file = self._publish(run)
        where = f" Saved as run `{_md(run.out_dir.name)}` (report below)." if run.out_dir else ""
        status = f"**{len(rows) - failed} of {len(rows)} questions passed** in {run.seconds:.0f} s.{where}"
        return (
            status, {"headers": header, "data": summary_rows}, gr.update(value=charts, visible=bool(charts)),
            question_rows(rows, only_failures), comparison_markdown(run.comparison, run.compared_to), rows,
            gr.update(value=report_file, visible=bool(report_file)),
        )

    def _publish(self, run) -> tuple[list[tuple[str, str]], str | None]:
        """Copies of the charts and report.md where the browser may fetch them."""
        if not run.out_dir:
            return [], None
        target = self.services.exports_dir / f"eval-{run.out_dir.name}"
        target.mkdir(parents=True, exist_ok=True)
        charts = []
        for name, path in (run.charts or {}).items():
            copy = target / path.name
            shutil.copyfile(path, copy)
            charts.append((str(copy), name))
        report = None
        if run.report_path and run.report_path.is_file():
            report = str(shutil.copyfile(run.report_path, target / "report.md"))
        return charts, report


def running_status() -> str:
    return "**Running the regression set…** the progress is shown here."


def build_evaluation_tab(services: Services) -> None:
    handlers = EvaluationHandlers(services)
    gr.Markdown(
        "Runs the regression set (`eval/questions.jsonl`) through the assistant on a fresh index of the "
        "corpus folder (your own index and uploads are not used) and compares it with the previous run. "
        "It takes a minute or two; the chat keeps working meanwhile."
    )
    with gr.Row(equal_height=False):
        start = gr.Button("Run evaluation", variant="primary", elem_id="eval-run", scale=0, min_width=200)
        status = gr.Markdown("Not run yet in this session.", elem_id="eval-status", min_height=60)
    with gr.Row(equal_height=False):
        summary = gr.Dataframe(headers=["metric", "assistant"], interactive=False, label="Summary", wrap=True,
                               elem_id="eval-summary", max_height=620, column_widths=["58%", "42%"], scale=1,
                               min_width=360)
        with gr.Column(scale=1):
            gr.Markdown("#### Compared with the previous run")
            comparison = gr.Markdown(elem_id="eval-comparison")
    charts = gr.Gallery(label="Charts", columns=2, height="auto", elem_id="eval-charts", object_fit="contain",
                        visible=False)
    only_failures = gr.Checkbox(label="Show only failures", value=False, elem_id="eval-only-failures")
    questions = gr.Dataframe(headers=ROW_HEADERS, interactive=False, wrap=True, label="Per question",
                             elem_id="eval-questions", column_widths=["6%", "22%", "10%", "8%", "17%", "28%", "9%"])
    report = gr.File(label="report.md (the full report)", interactive=False, elem_id="eval-report", visible=False)
    rows = gr.State([])

    # the old "not run yet" (or the last result) gives way at once to what is happening now
    start.click(running_status, None, status, queue=False, show_progress="hidden").then(
        handlers.run, [only_failures], [status, summary, charts, questions, comparison, rows, report],
        concurrency_id="eval", concurrency_limit=1, show_progress_on=[status],
    )
    only_failures.change(question_rows, [rows, only_failures], questions, queue=False)
