"""The offline reader on the bundled corpus: asks, sides, languages, markup, statuses, speakers."""

from __future__ import annotations

import re

import pytest

from assistant import Assistant, Settings
from assistant.answer import CLOSEST

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def indexed(corpus_index) -> Settings:
    return corpus_index


@pytest.fixture(scope="module")
def assistant(indexed) -> Assistant:
    return Assistant.from_settings(indexed)


def _verbatim(answer) -> None:
    for c in answer.citations:
        assert c.passage[c.span[0] : c.span[1]] == c.sentence
        assert c.sentence in answer.text and f"[{c.number}]" in answer.text


def test_two_asks_are_answered_each_under_its_label(assistant):
    answer = assistant.ask("Where did the panel first meet, and who opened the meeting?")
    assert answer.kind == "multipart" and answer.status != "not_covered"
    labels = re.findall(r"^\*\*(.+?)\*\*", answer.text, re.M)
    assert labels == ["Where did the panel first meet", "Who opened the meeting"]
    assert "New York" in answer.text and "Guterres" in answer.text
    numbers = [c.number for c in answer.citations]
    assert numbers == list(range(1, len(numbers) + 1))  # numbered once across both parts
    _verbatim(answer)


def test_a_part_the_documents_do_not_answer_keeps_its_own_line(assistant):
    answer = assistant.ask("Who opened the first meeting, and what is the best recipe for lasagna with spinach?")
    assert answer.kind == "multipart" and answer.status == "uncertain" and not answer.abstained
    first, second = answer.text.split("\n\n**", 1)
    assert "Guterres" in first and "The documents don't say" in second


def test_a_comparison_answers_each_side_with_its_document_date(assistant):
    answer = assistant.ask("Compare the first meeting and the second meeting")
    assert answer.kind == "comparison"
    assert "**The first meeting**" in answer.text and "**The second meeting**" in answer.text
    assert "2018-09" in answer.text and "2019-01" in answer.text
    _verbatim(answer)


def test_which_came_first_is_answered_from_the_documents_dates(assistant):
    answer = assistant.ask("Which came first, the first meeting or the second meeting?")
    assert answer.text.startswith("The first meeting came first (2018-09), then the second meeting (2019-01)")


def test_a_question_in_a_language_no_document_is_in_says_so_in_one_line(assistant):
    answer = assistant.ask("Qui a présidé le groupe de haut niveau sur la coopération numérique ?")
    assert answer.status == "not_covered" and answer.abstained and not answer.citations
    assert "French" in answer.text and "English" in answer.text


def test_markup_in_a_question_is_read_as_its_words(assistant):
    plain = assistant.ask("Who led the first meeting at UN Headquarters?")
    marked = assistant.ask("<b>Who</b> led the <i>first meeting</i> at UN Headquarters?<script>x()</script>")
    assert marked.text == plain.text and marked.question == "Who led the first meeting at UN Headquarters?"


def test_far_off_questions_are_never_answered(assistant):
    for question in ("What is the best recipe for lasagna with spinach?", "How do I fix a flat bicycle tyre?"):
        answer = assistant.ask(question)
        assert answer.status == "not_covered", question


def test_below_the_answer_threshold_the_closest_units_are_candidates(indexed):
    unsure = Assistant.from_settings(indexed.model_copy(update={"answer_threshold": 0.999}))
    answer = unsure.ask("Who led the first meeting at UN Headquarters?")
    assert answer.status == "uncertain" and not answer.abstained
    assert answer.text.startswith(CLOSEST) and "clearly" in answer.why
    bullets = [line for line in answer.text.splitlines() if line.startswith("- ")]
    assert 1 <= len(bullets) <= 3 and len(answer.citations) >= len(bullets)
    _verbatim(answer)


def test_what_someone_said_quotes_their_own_words_with_their_name(assistant):
    answer = assistant.ask("What did Guterres say the world needs to do with the potential of technology?")
    assert "seize the potential of technology" in answer.text.split("[1]")[0]
    assert any(c.speaker.endswith("Guterres") for c in answer.citations)
