"""Running an evaluation: a throwaway index, every question through each pipeline, scores, files.

The CLI, the CI gate and the web UI all call ``run_evaluation``. By default the index is built in a
temporary directory from ``settings.corpus_dir``, so a run never depends on (or changes) the
user's own index. Pipelines are asked question by question, interleaved, so both see the same
machine load and their latencies are comparable.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
import tomllib
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from assistant.answer import Answer
from assistant.settings import PROJECT_ROOT, Settings, get_settings
from eval.dataset import Question, load_questions
from eval.metrics import QuestionScore, check_thresholds, compare_results, score_question, summarise
from eval.report import markdown_report, summary_rows, write_charts
from eval.textbook import TOP_K as TEXTBOOK_K
from eval.textbook import TextbookPipeline

PIPELINES = ("assistant", "textbook")
OUT_ROOT = Path(__file__).resolve().parent / "out"
THRESHOLDS = Path(__file__).resolve().parent / "thresholds.toml"

#: ``progress(fraction, description)``: what the UI's progress bar and the CLI's tqdm bar are told.
ProgressFn = Callable[[float, str], None]


def conversation_history(pipe: Pipeline, earlier: Sequence[str], k: int) -> list[tuple[str, str]] | None:
    """The earlier turns as the user saw them: each earlier question asked in turn, with its answer,
    so a follow-up ("which one of them ...") can resolve against what was really answered."""
    turns: list[tuple[str, str]] = []
    for question in earlier:
        turns.append((question, pipe.ask(question, history=turns or None, k=k).text))
    return turns or None


class Pipeline(Protocol):
    def ask(self, question: str, history: Sequence[Any] | None = None, k: int | None = None) -> Answer: ...


@dataclass
class EvaluationRun:
    """A finished run: everything in ``results.json`` plus where the files were written."""

    results: dict[str, Any]
    out_dir: Path | None = None
    results_path: Path | None = None
    report_path: Path | None = None
    charts: dict[str, Path] = field(default_factory=dict)  # "metrics", "latency" -> PNG path
    compared_to: Path | None = None

    @property
    def summaries(self) -> dict[str, dict[str, Any]]:
        """Per pipeline name, its summary dict (see ``eval.metrics.summarise``)."""
        return {name: p["summary"] for name, p in self.results["pipelines"].items()}

    @property
    def summary(self) -> dict[str, Any]:
        """The summary of the first pipeline run (the assistant unless only the textbook ran)."""
        return next(iter(self.summaries.values()))

    @property
    def comparison(self) -> dict[str, Any] | None:
        return self.results.get("comparison")

    @property
    def seconds(self) -> float:
        return float(self.results["seconds"])

    @property
    def rows(self) -> list[dict[str, Any]]:
        """One flat dict per (pipeline, question), for tables."""
        rows = []
        for name, p in self.results["pipelines"].items():
            for q in p["questions"]:
                s = q["scores"]
                rows.append({
                    "pipeline": name, "id": q["id"], "question": q["question"], "answerable": q["answerable"],
                    "passed": s["passed"], "abstained": s["abstained"], "abstention_correct": s["abstention_correct"],
                    "hit": s["hit"], "rank": s["rank"], "fact_coverage": s["partial_coverage"],
                    "all_facts": s["coverage"], "citation_precision": s["citation_precision"],
                    "latency": s["latency"], "answer": q["answer"]["text"], "reasons": s["reasons"],
                })
        return rows

    def summary_table(self) -> tuple[list[str], list[list[str]]]:
        """(header, rows) of the summary as shown in the report: metric, then one column per pipeline."""
        return ["metric", *self.summaries], summary_rows(self.summaries)


# --- building the pipelines ----------------------------------------------------------------------

def eval_settings(base: Settings | None, data_dir: Path, temporary: bool, **overrides: Any) -> Settings:
    """The caller's settings with the evaluation's data dir (and an embedded store when temporary)."""
    base = base or get_settings()
    values = {name: getattr(base, name) for name in Settings.model_fields}
    values.update({k: v for k, v in overrides.items() if v is not None}, data_dir=data_dir)
    if temporary:
        values["chroma_host"] = None
    return Settings(**values)


class _IngestProgress:
    """Maps the ingester's progress calls onto a slice of the overall fraction."""

    def __init__(self, report: ProgressFn, start: float, end: float) -> None:
        self.report, self.start, self.end = report, start, end
        self.files = (0, 1)

    def file_started(self, source: str, index: int, total: int) -> None:
        self.files = (index, max(1, total))
        self.report(self.start + (self.end - self.start) * index / max(1, total), f"Indexing {Path(source).name}")

    def embedded(self, done: int, total: int) -> None:
        index, files = self.files
        share = (index + done / max(1, total)) / files
        self.report(self.start + (self.end - self.start) * share, "Indexing the corpus")


def _relative(path: Path) -> str:
    try:
        return path.resolve().relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return str(path)


def evaluate(
    questions: Sequence[Question], pipelines: Sequence[str] = ("assistant",), *, settings: Settings | None = None,
    data_dir: Path | None = None, k: int | None = None, backend: str | None = None,
    progress: ProgressFn | None = None,
) -> dict[str, Any]:
    """Ask every question through each pipeline and score it; returns the results dict (no files)."""
    from assistant.service import Assistant
    from ingest.pipeline import Ingester, ensure_corpus

    report = progress or (lambda fraction, desc: None)
    unknown = [p for p in pipelines if p not in PIPELINES]
    if unknown or not pipelines:
        raise ValueError(f"unknown pipeline(s) {unknown} (choose from {', '.join(PIPELINES)} or 'both')")
    started = time.perf_counter()
    with ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="panel-eval-")))
        temporary = data_dir is None
        s = eval_settings(settings, Path(data_dir) if data_dir else scratch / "data", temporary, k=k, backend=backend)
        report(0.0, "Loading the embedding model")
        assistant = Assistant.from_settings(s, backend=backend)
        close = getattr(assistant.store.client, "close", None)
        if close:  # released before the temporary directory is removed (the stack unwinds in reverse)
            stack.callback(close)
        ingested = ensure_corpus(Ingester(s, assistant.store), progress=_IngestProgress(report, 0.02, 0.25))
        if assistant.store.count() == 0:
            raise RuntimeError(f"nothing could be indexed from {s.corpus_dir}")
        runners: dict[str, tuple[Pipeline, int]] = {}
        info: dict[str, dict[str, Any]] = {}
        if "assistant" in pipelines:
            runners["assistant"] = (assistant, k or s.k)
            info["assistant"] = {"backend": assistant.backend, "passages": assistant.store.count(), "k": k or s.k}
        if "textbook" in pipelines:
            report(0.26, "Building the textbook LangChain pipeline")
            textbook = TextbookPipeline.build(s, scratch / "textbook", embedder=assistant.store.embedder)
            stack.callback(textbook.close)
            runners["textbook"] = (textbook, TEXTBOOK_K)
            info["textbook"] = {"backend": "textbook", "passages": textbook.chunks, "k": TEXTBOOK_K}
        ordered = {name: runners[name] for name in PIPELINES if name in runners}
        report(0.3, "Warming up")
        for name, (pipe, pipe_k) in ordered.items():  # first-call costs (BM25 build, caches) are not latency
            try:
                pipe.ask(questions[0].q, history=list(questions[0].history) or None, k=pipe_k)
            except Exception as exc:
                hint = f" Is the LLM server at {s.llm_base_url} running?" if s.backend == "generative" else ""
                why = str(exc).rstrip(".")
                raise RuntimeError(f"the {name} pipeline failed on its first question: {why}.{hint}") from exc

        per_pipeline: dict[str, list[dict[str, Any]]] = {name: [] for name in ordered}
        total = len(questions) * len(ordered)
        done = 0
        for question in questions:
            for name, (pipe, pipe_k) in ordered.items():
                report(0.3 + 0.65 * done / total, f"{name}: {question.id} ({done + 1}/{total})")
                history = conversation_history(pipe, question.history, pipe_k)
                t0 = time.perf_counter()
                answer = pipe.ask(question.q, history=history, k=pipe_k)
                latency = time.perf_counter() - t0
                scores = score_question(question, answer, latency, pipe_k)
                per_pipeline[name].append({
                    "id": question.id, "question": question.q, "answerable": question.answerable,
                    "history": list(question.history), "facts": [list(g) for g in question.facts],
                    "evidence": list(question.evidence), "sources": list(question.sources),
                    "latency": latency, "answer": answer.to_dict(), "scores": scores.to_dict(),
                })
                done += 1
        index = "temporary" if temporary else _relative(Path(data_dir))
        results: dict[str, Any] = {
            "created": datetime.now().isoformat(timespec="seconds"),
            "index": index,
            "ingest": ingested.counts if ingested else "existing index",
            "settings": s.model_dump(mode="json", exclude={"data_dir"} if temporary else None),
            "pipelines": {},
        }
        for name, rows in per_pipeline.items():
            scored = [QuestionScore(**row["scores"]) for row in rows]
            results["pipelines"][name] = {"info": info[name], "summary": summarise(scored, info[name]["k"]),
                                          "questions": rows}
            if info[name].get("backend") == "generative":
                results["pipelines"][name]["verifier"] = verifier_summary(rows)
    results["seconds"] = time.perf_counter() - started
    return results


def _reason_kind(reason: str) -> str:
    for key, kind in (("number", "number"), ("date", "date"), ("say this of", "name"), ("name", "name"),
                      ("negat", "negation"), ("does not say:", "clause"), ("support", "content words"),
                      ("cites no passage", "uncited")):
        if key in reason:
            return kind
    return "other"


def verifier_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What the verifier removed from a generative run's answers, by reason, and what checking cost
    beside the model's own time."""
    removed = [r for row in rows for r in row["answer"].get("removed", [])]
    by_kind: dict[str, int] = {}
    for r in removed:
        by_kind[_reason_kind(r["reason"])] = by_kind.get(_reason_kind(r["reason"]), 0) + 1
    check = sum(row["answer"]["timings"].get("check", 0.0) for row in rows)
    model = sum(row["answer"]["timings"].get("answer", 0.0) for row in rows) - check
    return {
        "answers": len(rows), "answers_with_removals": sum(1 for row in rows if row["answer"].get("removed")),
        "sentences_removed": len(removed), "by_reason": by_kind,
        "check_seconds": round(check, 4), "model_seconds": round(model, 4),
        "check_share_of_model": round(check / model, 4) if model > 0 else None,
    }


def verifier_lines(results: dict[str, Any]) -> list[str]:
    lines = []
    for name, data in results["pipelines"].items():
        v = data.get("verifier")
        if v:
            reasons = ", ".join(f"{k} {n}" for k, n in sorted(v["by_reason"].items())) or "none"
            share = f"{v['check_share_of_model']:.1%}" if v["check_share_of_model"] is not None else "n/a"
            lines.append(f"{name} verifier: {v['sentences_removed']} sentence(s) removed from "
                         f"{v['answers_with_removals']}/{v['answers']} answers ({reasons}); checking took "
                         f"{v['check_seconds']:.2f} s = {share} of the model's {v['model_seconds']:.1f} s")
    return lines


# --- files, comparison, gate ------------------------------------------------------------------------

def new_run_dir(root: Path = OUT_ROOT) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path, n = root / stamp, 2
    while path.exists():
        path, n = root / f"{stamp}-{n}", n + 1
    return path


def latest_results(root: Path = OUT_ROOT, exclude: Path | None = None) -> Path | None:
    """The most recent ``<root>/*/results.json`` other than ``exclude``'s, or None."""
    if not root.is_dir():
        return None
    found = [p for p in root.glob("*/results.json") if exclude is None or p.parent.resolve() != exclude.resolve()]
    return max(found, key=lambda p: p.stat().st_mtime, default=None)


def read_results(path: Path | str) -> dict[str, Any]:
    """A ``results.json`` (or the run folder holding one)."""
    path = Path(path)
    if path.is_dir():
        path = path / "results.json"
    if not path.is_file():
        raise FileNotFoundError(f"no results file at {path}")
    with path.open(encoding="utf-8") as fh:
        data = json.load(fh)
    if "pipelines" not in data:
        raise ValueError(f"{path} is not a results.json written by python -m eval")
    return data


def pipeline_names(pipeline: str) -> tuple[str, ...]:
    if pipeline == "both":
        return PIPELINES
    if pipeline not in PIPELINES:
        raise ValueError(f"unknown pipeline {pipeline!r} (choose assistant, textbook or both)")
    return (pipeline,)


def run_evaluation(
    questions_path: Path | str | None = None, pipeline: str = "assistant", progress: ProgressFn | None = None,
    out_dir: Path | str | None = None, compare_to: Path | str | None = None, *, k: int | None = None,
    backend: str | None = None, data_dir: Path | str | None = None, settings: Settings | None = None,
    auto_compare: bool = True, write: bool = True,
) -> EvaluationRun:
    """Evaluate ``pipeline`` ("assistant", "textbook" or "both") and write ``results.json``,
    ``report.md`` and the charts to ``out_dir`` (default ``eval/out/<timestamp>/``).

    ``compare_to`` is an earlier ``results.json``; when it is None and ``auto_compare`` is on, the
    latest earlier run in ``out_dir``'s parent folder is used, if there is one.
    """
    report = progress or (lambda fraction, desc: None)
    questions_file = Path(questions_path) if questions_path else Path(__file__).resolve().parent / "questions.jsonl"
    questions = load_questions(questions_file)
    names = pipeline_names(pipeline)
    target = Path(out_dir) if out_dir else new_run_dir()
    previous = Path(compare_to) if compare_to else (latest_results(target.parent, target) if auto_compare else None)
    old = read_results(previous) if previous else None  # fail before the long part, not after

    results = evaluate(questions, names, settings=settings, data_dir=Path(data_dir) if data_dir else None,
                       k=k, backend=backend, progress=report)
    results["questions_file"] = _relative(questions_file)
    results["questions_sha256"] = hashlib.sha256(questions_file.read_bytes()).hexdigest()
    if old is not None:
        results["comparison"] = compare_results(old, results)
        results["compared_to"] = _relative(previous)
    run = EvaluationRun(results=results, compared_to=previous)
    if write:
        report(0.96, "Writing the report")
        target.mkdir(parents=True, exist_ok=True)
        run.out_dir = target
        run.charts = write_charts(results, target)
        run.results_path = target / "results.json"
        run.results_path.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
        run.report_path = target / "report.md"
        run.report_path.write_text(markdown_report(results, run.charts), encoding="utf-8")
    report(1.0, "Done")
    return run


def load_thresholds(path: Path | str | None = None, pipeline: str = "assistant") -> dict[str, dict[str, float]]:
    """``{"min": {...}, "max": {...}}`` for ``pipeline`` from ``thresholds.toml``."""
    with Path(path or THRESHOLDS).open("rb") as fh:
        data = tomllib.load(fh)
    section = data.get(pipeline)
    if not isinstance(section, dict):
        raise ValueError(f"{path or THRESHOLDS} has no [{pipeline}] thresholds")
    return {kind: dict(section.get(kind, {})) for kind in ("min", "max")}


def gate_failures(summary: dict[str, Any], path: Path | str | None = None, pipeline: str = "assistant") -> list[str]:
    """Every metric of ``summary`` outside the reviewed thresholds (empty when the gate passes)."""
    return check_thresholds(summary, load_thresholds(path, pipeline))
