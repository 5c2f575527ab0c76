"""Scoring how sure an answer says it is, on hand-made answers: no model, no index."""

from __future__ import annotations

import json

import pytest

from assistant.answer import Answer
from eval.dataset import DatasetError, Part, Question, load_questions
from eval.metrics import score_question, summarise

GATES = "Co-chairs Melinda Gates and Jack Ma led the meeting."
GUTERRES = "Secretary-General António Guterres opened the meeting in New York."


def ask(text: str, status: str = "answered", confidence: float = 0.8) -> Answer:
    return Answer(question="q", text=text, abstained=status == "not_covered", citations=[], passages=[],
                  status=status, confidence=confidence)


def item(kind="factoid", facts=(("Melinda Gates",),), answerable=True, parts=(), tags=()) -> Question:
    return Question(id="x", q="?", facts=tuple(tuple(g) for g in facts), evidence=(), answerable=answerable,
                    kind=kind, parts=tuple(parts), tags=tuple(tags))


def test_an_answered_factoid_is_right_only_when_its_first_sentence_holds_the_facts():
    assert score_question(item(), ask(f"{GATES} [1]"), 0.1, 6).right is True
    late = score_question(item(), ask(f"{GUTERRES} [1] {GATES} [2]"), 0.1, 6)
    assert late.right is False and late.shown_ok is True  # shown among the first three units, not led with


def test_an_uncertain_answer_is_judged_by_its_candidates_not_its_preamble():
    text = f"No passage answers this directly. Closest:\n\n- {GUTERRES} [1]\n- x [2]\n- y [3]\n- {GATES} [4]"
    s = score_question(item(), ask(text, "uncertain"), 0.1, 6)
    assert s.status == "uncertain" and s.shown_ok is False  # the fact is in the 4th unit, past what is shown
    s = score_question(item(), ask(text.replace("y [3]", f"{GATES} [3]"), "uncertain"), 0.1, 6)
    assert s.shown_ok is True


def test_both_parts_must_be_right():
    parts = [Part("who", (("Melinda Gates",),)), Part("where", (("New York",),))]
    q = item("multipart", facts=[("Melinda Gates",), ("New York",)], parts=parts)
    one = score_question(q, ask(f"**who**\n{GATES} [1]\n\n**where**\nThe documents don't say where."), 0.1, 6)
    both = score_question(q, ask(f"**who**\n{GATES} [1]\n\n**where**\n{GUTERRES} [2]"), 0.1, 6)
    assert (one.parts_ok, one.right) == ([True, False], False)
    assert (both.parts_ok, both.right) == ([True, True], True)
    summary = summarise([one, both], 6)
    assert summary["multipart_both_right"] == 0.5 and summary["comparisons_both_right"] is None


def test_summary_figures_per_status():
    answerable = [score_question(item(), ask(f"{GATES} [1]"), 0.1, 6),             # answered, right
                  score_question(item(), ask(f"{GUTERRES} [1]"), 0.1, 6),          # answered, wrong
                  score_question(item(), ask(f"{GATES} [1]", "uncertain", 0.3), 0.1, 6),
                  score_question(item(), ask("The documents don't cover this.", "not_covered", 0.1), 0.1, 6)]
    refusals = [score_question(item(answerable=False, facts=(), tags=["far-off"]),
                               ask("The documents don't cover this.", "not_covered", 0.05), 0.1, 6),
                score_question(item(answerable=False, facts=(), tags=["near-topic"]), ask(f"{GATES} [1]"), 0.1, 6)]
    summary = summarise(answerable + refusals, 6)
    assert summary["stated_precision"] == pytest.approx(1 / 3)  # the near-topic one answered counts as wrong
    assert summary["stated_coverage"] == pytest.approx(2 / 4)
    assert summary["shown_recall"] == pytest.approx(2 / 4)
    assert summary["unanswerable_answered"] == 0.5 and summary["far_off_not_covered"] == 1.0
    assert summary["answerable_not_covered"] == 0.25
    assert summary["statuses"] == {"answered": 3, "uncertain": 1, "not_covered": 2}
    assert summary["by_kind"]["factoid"]["uncertain"] == 1
    curve = summary["risk_coverage"]
    assert [round(c["precision"], 2) for c in curve] == [1.0, 0.5, 0.33, 0.5]  # ties keep the input order
    assert curve[-1]["coverage"] == pytest.approx(3 / 4)


def write(tmp_path, rows):
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


BASE = {"id": "a", "q": "Who, and where?", "facts": [["Gates"], ["New York"]], "evidence": [], "answerable": True}


def test_parts_load_and_must_add_up_to_the_facts(tmp_path):
    parts = [{"label": "who", "facts": [["Gates"]]}, {"label": "where", "facts": [["New York"]]}]
    loaded = load_questions(write(tmp_path, [{**BASE, "kind": "multipart", "parts": parts}]))[0]
    assert [p.label for p in loaded.parts] == ["who", "where"] and loaded.to_dict()["parts"][1]["label"] == "where"
    with pytest.raises(DatasetError, match=r"q.jsonl:1: 'facts' must be the parts' facts"):
        load_questions(write(tmp_path, [{**BASE, "kind": "comparison", "parts": parts[:1] + parts[:1]}]))
    with pytest.raises(DatasetError, match="at least two"):
        load_questions(write(tmp_path, [{**BASE, "kind": "multipart", "parts": parts[:1]}]))


def test_a_yes_no_item_says_which_answer_it_expects(tmp_path):
    with pytest.raises(DatasetError, match="'expected'"):
        load_questions(write(tmp_path, [{**BASE, "kind": "yesno"}]))
    assert load_questions(write(tmp_path, [{**BASE, "kind": "yesno", "expected": "no"}]))[0].expected == "no"
