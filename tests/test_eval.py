"""The evaluation's own logic on hand-made answers: no model, no index, fast."""

from __future__ import annotations

import json

import pytest

from assistant.answer import NOT_COVERED, Answer, Citation, Passage
from eval.dataset import DatasetError, Question, load_questions
from eval.metrics import (
    abstention_metrics,
    check_thresholds,
    cited_sentences,
    compare_results,
    percentile,
    score_question,
    strip_markers,
    summarise,
    supports,
)

P1 = "The panel will report back with its recommendations in nine months. It has 20 members."
P2 = "Digital technology is changing economies and societies at warp speed."


def passage(pid: str, text: str) -> Passage:
    return Passage(id=pid, doc_id="doc", title="Doc", source="corpus/doc.md", text=text)


def citation(number: int, p: Passage, sentence: str) -> Citation:
    start = p.text.find(sentence)
    return Citation(number, p.doc_id, p.title, p.source, None, p.id, p.text, sentence, (start, start + len(sentence)))


def answer(text: str, citations: list[Citation], passages: list[Passage], abstained: bool = False) -> Answer:
    return Answer(question="q", text=text, abstained=abstained, citations=citations, passages=passages)


def question(facts=(("nine months",),), evidence=("recommendations in nine months",), answerable=True) -> Question:
    return Question(id="q1", q="When?", facts=tuple(tuple(g) for g in facts), evidence=tuple(evidence),
                    answerable=answerable)


# --- text handling ------------------------------------------------------------------------------

def test_markers_are_stripped_and_split():
    text = "First fact [1] Second fact [2, 3] Third [4][5]. Loose end"
    assert strip_markers(text) == "First fact Second fact Third. Loose end"
    parts = cited_sentences(text)
    assert [(p.text, p.numbers) for p in parts] == [
        ("First fact", (1,)), ("Second fact", (2, 3)), ("Third", (4, 5)), ("Loose end", ()),
    ]


def test_fact_alternatives_case_whitespace_and_markers():
    p = passage("p1", P1)
    text = "It will  REPORT back in Nine\nMonths [1]"
    a = answer(text, [citation(1, p, "The panel will report back with its recommendations in nine months.")], [p])
    q = question(facts=[["three quarters of a year", "nine months"], ["report back"], ["missing fact"]])
    s = score_question(q, a, 0.1, k=3)
    assert s.facts_covered == [True, True, False]
    assert s.coverage is False and s.partial_coverage == pytest.approx(2 / 3)
    assert "missing facts: missing fact" in s.reasons
    # a marker between two words of a fact does not hide it
    s2 = score_question(question(facts=[["nine months"]]), answer("in nine [1] months [2]", [], [p]), 0.1, 3)
    assert s2.coverage is True


def test_retrieval_hit_and_reciprocal_rank():
    passages = [passage("a", P2), passage("b", "nothing here"), passage("c", P1.upper())]
    a = answer("x [1]", [], passages)
    s = score_question(question(evidence=["Recommendations  in\nnine months"]), a, 0.1, k=3)
    assert (s.hit, s.rank, s.hit_at_1) == (True, 3, False)
    assert s.reciprocal_rank == pytest.approx(1 / 3)
    s = score_question(question(), a, 0.1, k=2)  # beyond k: a miss
    assert (s.hit, s.reciprocal_rank) == (False, 0.0)


# --- citations ------------------------------------------------------------------------------------

def test_citation_precision_correct_and_incorrect():
    p1, p2 = passage("p1", P1), passage("p2", P2)
    s1 = "The panel will report back with its recommendations in nine months."
    good = citation(1, p1, s1)
    wrong = citation(2, p2, P2)  # cites the warp-speed passage for a sentence it doesn't hold
    a = answer(f"{s1} [1] It has 20 members and a budget of millions [2]", [good, wrong], [p1, p2])
    s = score_question(question(), a, 0.1, k=3)
    assert (s.citations, s.citations_correct) == (2, 1)
    assert s.citation_precision == 0.5 and s.citation_recall == 0.5
    assert not s.passed and any("citation [2]" in r for r in s.reasons)


def test_generated_sentence_supported_by_content_word_overlap():
    assert supports("Technology is changing societies at warp speed", P2)  # paraphrase, most words shared
    assert not supports("The panel met in Geneva with ministers", P2)
    assert not supports("anything", "")


def test_dangling_and_missing_citations():
    p = passage("p1", P1)
    a = answer("It has 20 members. [7] Unsupported words", [], [p])
    s = score_question(question(facts=[["20 members"]]), a, 0.1, 3)
    assert (s.citations, s.citations_correct, s.sentences, s.sentences_supported) == (1, 0, 2, 0)
    assert s.citation_precision == 0.0 and s.citation_recall == 0.0


# --- abstention -----------------------------------------------------------------------------------

def test_abstention_metrics_and_zero_denominators():
    m = abstention_metrics([True, True, False, False], [True, False, True, False])
    assert m == {"abstention_precision": 0.5, "abstention_recall": 0.5, "false_abstention_rate": 0.5}
    nothing_abstained = abstention_metrics([True, False], [False, False])
    assert nothing_abstained["abstention_precision"] is None
    assert nothing_abstained["abstention_recall"] == 0.0
    only_answerable = abstention_metrics([True, True], [False, True])
    assert only_answerable["abstention_recall"] is None and only_answerable["abstention_precision"] == 0.0
    assert abstention_metrics([], []) == dict.fromkeys(m)


def test_abstained_answers_score_as_abstentions():
    a = answer(NOT_COVERED, [], [passage("p1", P1)], abstained=True)
    s_ans = score_question(question(), a, 0.2, 3)
    assert s_ans.reasons == ["false abstention"] and s_ans.coverage is False and s_ans.hit is True
    assert s_ans.citation_precision is None and s_ans.answer_words is None
    s_un = score_question(question(facts=[], evidence=[], answerable=False), a, 0.3, 3)
    assert s_un.passed and s_un.abstention_correct and s_un.hit is None
    summary = summarise([s_ans, s_un], k=3)
    assert summary["abstention_precision"] == 0.5 and summary["false_abstention_rate"] == 1.0
    assert summary["fact_coverage"] == 0.0 and summary["hit_at_k"] == 1.0  # answerable questions only
    assert summary["citation_precision"] is None
    assert summary["subsets"]["unanswerable"]["pass_rate"] == 1.0


def test_percentile_interpolates():
    assert percentile([], 50) is None
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 95) == pytest.approx(3.85)


def test_thresholds_list_every_failure():
    summary = {"hit_at_k": 0.9, "fact_coverage": 0.5, "false_abstention_rate": 0.2, "abstention_precision": None}
    failures = check_thresholds(summary, {
        "min": {"hit_at_k": 0.8, "fact_coverage": 0.6, "abstention_precision": 0.5, "typo_metric": 0.1},
        "max": {"false_abstention_rate": 0.1},
    })
    assert len(failures) == 4
    assert any(f.startswith("fact_coverage") for f in failures)
    assert any("typo_metric" in f for f in failures) and any("undefined" in f for f in failures)
    assert check_thresholds(summary, {"min": {"hit_at_k": 0.9}}) == []


# --- loading --------------------------------------------------------------------------------------

def test_loader_names_file_and_line(tmp_path):
    path = tmp_path / "set.jsonl"
    good = {"id": "a", "q": "Q?", "facts": [["x"]], "evidence": ["x"], "answerable": True}
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, "id": "b", "facts": ["x"]}) + "\n")
    with pytest.raises(DatasetError, match=rf"{path.name}:2: 'facts\[0\]' must be a list"):
        load_questions(path)
    path.write_text(json.dumps(good) + "\n\n{not json\n")
    with pytest.raises(DatasetError, match=r"set.jsonl:3: invalid JSON"):
        load_questions(path)
    path.write_text(json.dumps({**good, "evidense": []}) + "\n")
    with pytest.raises(DatasetError, match=r":1: unknown key\(s\): evidense"):
        load_questions(path)
    path.write_text(json.dumps(good) + "\n" + json.dumps(good) + "\n")
    with pytest.raises(DatasetError, match=r":2: duplicate id 'a' \(first on line 1\)"):
        load_questions(path)


def test_set_without_sources_or_history_loads(tmp_path):
    path = tmp_path / "minimal.jsonl"
    rows = [{"id": "a", "q": "Q?", "facts": [["x", "y"]], "evidence": [], "answerable": True},
            {"id": "b", "q": "Other?", "facts": [], "evidence": [], "answerable": False}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    items = load_questions(path)
    assert [i.id for i in items] == ["a", "b"]
    assert items[0].sources == () and items[0].history == () and items[0].facts == (("x", "y"),)
    assert items[1].line == 2


def test_bundled_regression_set_loads():
    items = load_questions()
    assert len(items) >= 60 and any(not i.answerable for i in items) and any(i.history for i in items)


# --- comparing runs -------------------------------------------------------------------------------

def _run(rows: dict[str, tuple[float | None, bool | None, bool]], summary: dict) -> dict:
    questions = [{"id": qid, "question": f"question {qid}",
                  "scores": {"partial_coverage": cov, "hit": hit, "abstention_correct": ok}}
                 for qid, (cov, hit, ok) in rows.items()]
    return {"pipelines": {"assistant": {"summary": summary, "questions": questions}}}


def test_compare_classifies_better_and_worse():
    old = _run({"q1": (1.0, True, True), "q2": (0.5, False, True), "q3": (None, None, False),
                "q4": (1.0, True, True), "q5": (0.0, False, True), "gone": (1.0, True, True)},
               {"fact_coverage": 0.5, "latency_p50": 0.2, "answer_words": 30, "subsets": {"a": {"pass_rate": 0.5}}})
    new = _run({"q1": (0.5, True, True), "q2": (1.0, True, True), "q3": (None, None, True),
                "q4": (1.0, True, True), "q5": (1.0, False, False), "new": (1.0, True, True)},
               {"fact_coverage": 0.75, "latency_p50": 0.3, "answer_words": 40, "subsets": {"a": {"pass_rate": 0.5}}})
    result = compare_results(old, new)["assistant"]
    assert [r["id"] for r in result["worse"]] == ["q1", "q5"]  # q5 improved coverage but now abstains wrongly
    assert [r["id"] for r in result["better"]] == ["q2", "q3"]
    assert result["unchanged"] == 1 and result["added"] == ["new"] and result["removed"] == ["gone"]
    assert "fact coverage 1.00 → 0.50" in result["worse"][0]["changes"]
    deltas = result["summary_deltas"]
    assert deltas["fact_coverage"]["delta"] == pytest.approx(0.25) and deltas["fact_coverage"]["direction"] == "better"
    assert deltas["latency_p50"]["direction"] == "worse"  # slower is worse
    assert deltas["answer_words"]["direction"] == "neutral"
    assert deltas["subsets.a.pass_rate"]["direction"] == "same"


def test_compare_skips_pipelines_missing_from_the_old_run():
    old = _run({"q1": (1.0, True, True)}, {})
    new = {"pipelines": {**_run({"q1": (1.0, True, True)}, {})["pipelines"], "textbook": {"summary": {},
                                                                                         "questions": []}}}
    assert list(compare_results(old, new)) == ["assistant"]


def test_thresholds_file_names_only_summary_metrics():
    from eval.runner import load_thresholds

    thresholds = load_thresholds()
    s = score_question(question(), answer("nine months [1]", [], [passage("p", P1)]), 0.1, 3)
    summary = summarise([s], k=3)
    names = [n for bounds in thresholds.values() for n in bounds]
    assert names and all(summary.get(n, "missing") != "missing" for n in names)
    assert thresholds["min"] and all(0 < v <= 1 for v in thresholds["min"].values())
