"""Presenting a run: the terminal summary, ``report.md`` and the PNG charts.

Charts are drawn on matplotlib ``Figure`` objects with the Agg canvas, never through ``pyplot``:
no display is needed, and a run started from the web UI's worker thread touches no global state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: (summary key, label) in display order; rates are shown as percentages.
SUMMARY_ROWS: list[tuple[str, str]] = [
    ("questions", "questions"),
    ("answerable", "answerable / unanswerable"),
    ("k", "passages scored (k)"),
    ("hit_at_k", "evidence hit@k"),
    ("hit_at_1", "evidence hit@1"),
    ("mrr", "MRR"),
    ("fact_coverage", "fact coverage (all facts)"),
    ("partial_coverage", "partial fact coverage"),
    ("citation_precision", "citation precision"),
    ("citation_recall", "citation recall"),
    ("abstention_precision", "abstention precision"),
    ("abstention_recall", "abstention recall"),
    ("false_abstention_rate", "false-abstention rate"),
    ("pass_rate", "questions passed"),
    ("lead_accuracy", "lead accuracy (factoid: facts in 1st sentence)"),
    ("list_completeness", "list completeness"),
    ("summary_coverage", "summary coverage (>= min_facts)"),
    ("reason_accuracy", "reason accuracy (facts in 1st unit)"),
    ("stated_precision", "stated precision (answered: right in the lead)"),
    ("stated_coverage", "coverage (answerable: answered)"),
    ("shown_recall", "shown recall (facts in the first 3 units)"),
    ("unanswerable_answered", "unanswerable answered"),
    ("answerable_not_covered", "answerable not covered"),
    ("far_off_not_covered", "far-off questions not covered"),
    ("comparisons_both_right", "comparisons, both sides right"),
    ("multipart_both_right", "two-part questions, both parts right"),
    ("headings_quoted", "headings quoted"),
    ("near_topic_refusal", "near-topic questions refused"),
    ("follow_up_accuracy", "follow-up accuracy"),
    ("topic_shifts_rewritten", "topic shifts rewritten"),
    ("latency_p50", "latency p50"),
    ("latency_p95", "latency p95"),
    ("answer_sentences", "answer sentences (mean)"),
    ("answer_words", "answer words (mean)"),
]
SUBSET_ROWS = ["pass_rate", "abstention_rate", "citation_precision", "citation_recall", "latency_p50",
               "latency_p95", "answer_words"]
CHART_METRICS = ["hit_at_k", "hit_at_1", "mrr", "fact_coverage", "partial_coverage", "citation_precision",
                 "citation_recall", "abstention_precision", "abstention_recall", "false_abstention_rate", "pass_rate"]
SHAPE_RATES = {"lead_accuracy", "list_completeness", "summary_coverage", "reason_accuracy", "near_topic_refusal",
               "follow_up_accuracy", "topic_shifts_rewritten", "kind_agreement"}
STATUS_RATES = {"stated_precision", "stated_coverage", "shown_recall", "unanswerable_answered",
                "answerable_not_covered", "far_off_not_covered", "comparisons_both_right", "multipart_both_right"}
RATES = set(CHART_METRICS) | {"abstention_rate"} | SHAPE_RATES | STATUS_RATES


def fmt(key: str, value: Any, summary: dict[str, Any] | None = None) -> str:
    """One summary value for people: rates in %, latencies in ms, ``n/a`` when undefined."""
    base = key.rsplit(".", 1)[-1]
    if value is None:
        return "n/a"
    if base == "answerable" and summary is not None:
        return f"{value} / {summary.get('unanswerable', 0)}"
    if base in RATES:
        return f"{100 * value:.1f}%"
    if base.startswith("latency"):
        return f"{1000 * value:.0f} ms"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def fmt_delta(key: str, delta: float) -> str:
    base = key.rsplit(".", 1)[-1]
    if base in RATES:
        return f"{100 * delta:+.1f} pts"
    if base.startswith("latency"):
        return f"{1000 * delta:+.0f} ms"
    return f"{delta:+.1f}"


def summary_rows(summaries: dict[str, dict[str, Any]]) -> list[list[str]]:
    """``[metric, value per pipeline...]`` rows: the shared table of the terminal, report and UI."""
    return [[label, *(fmt(key, s.get(key), s) for s in summaries.values())] for key, label in SUMMARY_ROWS]


def _text_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        cells = zip(row, widths, strict=True)
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(cells))

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)])


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    def esc(cell: object) -> str:
        return str(cell).replace("|", "\\|").replace("\n", " ")

    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def terminal_summary(results: dict[str, Any]) -> str:
    pipelines = results["pipelines"]
    summaries = {name: p["summary"] for name, p in pipelines.items()}
    text = _text_table(["metric", *summaries], summary_rows(summaries))
    if results.get("comparison"):
        text += "\n\n" + comparison_text(results["comparison"], results.get("compared_to"))
    return text


def _delta_rows(entry: dict[str, Any]) -> list[list[str]]:
    rows = []
    for key, d in entry["summary_deltas"].items():
        if d["direction"] in ("same",) or key.startswith("subsets.") or key in ("k", "questions"):
            continue
        rows.append([key, fmt(key, d["old"]), fmt(key, d["new"]), fmt_delta(key, d["delta"]), d["direction"]])
    return rows


def comparison_text(comparison: dict[str, Any], compared_to: str | None = None) -> str:
    lines = [f"Compared with {compared_to}" if compared_to else "Compared with the previous run"]
    for name, entry in comparison.items():
        lines.append(f"\n[{name}] {len(entry['worse'])} worse, {len(entry['better'])} better, "
                     f"{entry['unchanged']} unchanged")
        for label in ("worse", "better"):
            for row in entry[label]:
                lines.append(f"  {label.upper():6} {row['id']}: {'; '.join(row['changes'])}")
        rows = _delta_rows(entry)
        if rows:
            lines.append(_text_table(["metric", "old", "new", "delta", ""], rows))
    return "\n".join(lines)


def _cell(q: dict[str, Any]) -> str:
    s = q["scores"]
    verdict = "✅ pass" if s["passed"] else "❌ fail"
    if not q["answerable"]:
        return f"{verdict} · {'abstained' if s['abstained'] else 'answered'}"
    if s["abstained"]:
        return f"{verdict} · abstained"
    facts = f"{sum(s['facts_covered'])}/{len(s['facts_covered'])} facts"
    hit = "no hit" if s["rank"] is None else f"hit@{s['rank']}"
    return f"{verdict} · {facts} · {hit}"


def markdown_report(results: dict[str, Any], charts: dict[str, Path]) -> str:
    pipelines = results["pipelines"]
    names = list(pipelines)
    summaries = {name: p["summary"] for name, p in pipelines.items()}
    settings = results.get("settings", {})
    parts = [
        f"# Answer-quality evaluation — {results['created']}",
        "",
        f"- questions: `{results['questions_file']}` ({summaries[names[0]]['questions']} items)",
        f"- pipelines: {', '.join(names)} (measured in this one run)",
        f"- embedding model: `{settings.get('embedding_model')}`; backend: `{settings.get('backend')}`; "
        f"k: {settings.get('k')}; index: `{results.get('index')}`",
        f"- run time: {results['seconds']:.1f} s",
        "",
        "## Summary",
        "",
        _md_table(["metric", *names], summary_rows(summaries)),
        "",
        "Retrieval and fact coverage are over answerable questions only; citation figures pool every "
        "(answer sentence, citation) pair of the answered questions.",
        "",
        "### By subset",
        "",
        _md_table(
            ["metric", *(f"{n} · {sub}" for n in names for sub in ("answerable", "unanswerable"))],
            [[key, *(fmt(key, summaries[n]["subsets"][sub].get(key)) for n in names
                     for sub in ("answerable", "unanswerable"))] for key in SUBSET_ROWS],
        ),
        "",
        "### By kind (answerable items)",
        "",
        _md_table(
            ["pipeline", "kind", "items", "answered", "uncertain", "not covered", "stated precision", "shown recall"],
            [[n, kind, row["items"], row["answered"], row["uncertain"], row["not_covered"],
              fmt("stated_precision", row["stated_precision"]), fmt("shown_recall", row["shown_recall"])]
             for n in names for kind, row in summaries[n].get("by_kind", {}).items()],
        ),
        "",
    ]
    if results.get("comparison"):
        parts += [f"## Compared with `{results.get('compared_to')}`", ""]
        for name, entry in results["comparison"].items():
            parts += [f"### {name}: {len(entry['worse'])} worse, {len(entry['better'])} better, "
                      f"{entry['unchanged']} unchanged", ""]
            for label in ("worse", "better"):
                for row in entry[label]:
                    parts.append(f"- **{label}** `{row['id']}` {row['question']} — {'; '.join(row['changes'])}")
            if not entry["worse"] and not entry["better"]:
                parts.append("No question changed (fact coverage, evidence hit, abstention decision).")
            if entry["added"] or entry["removed"]:
                parts.append(f"- new questions: {entry['added'] or '-'}; dropped: {entry['removed'] or '-'}")
            rows = _delta_rows(entry)
            parts += ["", _md_table(["metric", "old", "new", "delta", ""], rows) if rows else "No summary change.", ""]
    if charts:
        parts += ["## Charts", ""] + [f"![{key}]({path.name})" for key, path in charts.items()] + [""]
    by_id = {name: {q["id"]: q for q in p["questions"]} for name, p in pipelines.items()}
    first = pipelines[names[0]]["questions"]
    parts += ["## Per question", "", _md_table(
        ["id", "question", "expected", *names],
        [[q["id"], q["question"], "answer" if q["answerable"] else "abstain",
          *(_cell(by_id[n][q["id"]]) for n in names)] for q in first],
    ), "", "## Failures", ""]
    for name in names:
        failed = [q for q in pipelines[name]["questions"] if not q["scores"]["passed"]]
        parts += [f"### {name} ({len(failed)})", ""]
        for q in failed:
            answer = " ".join(q["answer"]["text"].split())
            answer = answer if len(answer) <= 200 else answer[:200] + "…"
            parts.append(f"- **{q['id']}** {q['question']} — {'; '.join(q['scores']['reasons'])}  \n  answer: {answer}")
        parts.append("" if failed else "None.\n")
    return "\n".join(parts) + "\n"


#: Type sizes of the charts: read at the UI's gallery size (~650 px per chart), the labels stay legible.
CHART_FONTS = {"font.size": 11, "axes.titlesize": 13, "axes.labelsize": 11, "xtick.labelsize": 10.5,
               "ytick.labelsize": 10.5, "legend.fontsize": 10}


def write_charts(results: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    """``metrics.png`` (grouped bars per pipeline) and ``latency.png`` (histogram with p50/p95)."""
    import matplotlib

    with matplotlib.rc_context(CHART_FONTS):
        return _write_charts(results, out_dir)


def _write_charts(results: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    pipelines = results["pipelines"]
    colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]
    charts: dict[str, Path] = {}

    # Sized for the UI's two-column gallery (~475 px per chart at 1400 px): labels stay ~13 px on screen.
    fig = Figure(figsize=(5.6, 4.2), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    width = 0.8 / max(1, len(pipelines))
    labels = dict(SUMMARY_ROWS)
    for i, (name, p) in enumerate(pipelines.items()):
        values = [p["summary"].get(m) for m in CHART_METRICS]
        ys = [j + i * width for j in range(len(CHART_METRICS))]
        bars = ax.barh(ys, [v or 0 for v in values], height=width, label=name, color=colors[i % len(colors)])
        ax.bar_label(bars, labels=["n/a" if v is None else f"{100 * v:.0f}%" for v in values], fontsize=10, padding=2)
    ax.set_yticks([j + width * (len(pipelines) - 1) / 2 for j in range(len(CHART_METRICS))],
                  [labels[m] for m in CHART_METRICS])
    ax.invert_yaxis()
    ax.set_xlim(0, 1.12)
    ax.set_xlabel("share (false-abstention rate: lower is better)")
    ax.set_title("Answer quality on the regression set")
    fig.legend(loc="outside lower center", ncols=max(1, len(pipelines)), frameon=False)
    charts["metrics"] = out_dir / "metrics.png"
    fig.savefig(charts["metrics"], dpi=110)

    fig = Figure(figsize=(5.6, 4.2), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    all_ms = [1000 * q["latency"] for p in pipelines.values() for q in p["questions"]]
    top = max(all_ms, default=1.0)
    bins = [top * j / 30 for j in range(31)] if top > 0 else 30
    for i, (name, p) in enumerate(pipelines.items()):
        color = colors[i % len(colors)]
        ax.hist([1000 * q["latency"] for q in p["questions"]], bins=bins, alpha=0.55, label=name, color=color)
        for key, style in (("latency_p50", "--"), ("latency_p95", ":")):
            value = p["summary"].get(key)
            if value is not None:
                ax.axvline(1000 * value, color=color, linestyle=style, linewidth=1.2,
                           label=f"{name} {key.split('_')[1]} {1000 * value:.0f} ms")
    ax.set_xlabel("latency per question (ms)")
    ax.set_ylabel("questions")
    ax.set_title("Latency per question")
    fig.legend(loc="outside lower center", ncols=3, frameon=False, fontsize=9.5)
    charts["latency"] = out_dir / "latency.png"
    fig.savefig(charts["latency"], dpi=110)

    fig = Figure(figsize=(5.6, 4.2), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for i, (name, p) in enumerate(pipelines.items()):
        curve = p["summary"].get("risk_coverage") or []
        if curve:
            ax.plot([c["coverage"] for c in curve], [c["precision"] for c in curve], label=name,
                    color=colors[i % len(colors)], linewidth=1.6)
        stated = p["summary"].get("stated_precision"), p["summary"].get("stated_coverage")
        if None not in stated:
            ax.scatter([stated[1]], [stated[0]], color=colors[i % len(colors)], zorder=3,
                       label=f"{name}: what it states as answered")
    ax.axhline(0.9, color="#888", linestyle=":", linewidth=1, label="precision target 0.90")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("coverage: answerable questions stated")
    ax.set_ylabel("precision of what is answered")
    ax.set_title("Risk and coverage: answering fewer, more surely")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=1)
    charts["risk_coverage"] = out_dir / "risk_coverage.png"
    fig.savefig(charts["risk_coverage"], dpi=110)
    return charts
