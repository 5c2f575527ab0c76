"""The sentence verifier: each rule removes the wrong sentence and keeps its faithful twin."""

from __future__ import annotations

import pytest

from assistant.answering.verify import dates, names, number_value, numbers, verify, verify_cited

WACC = (
    "The 20-person panel– co-chaired by American philanthropist Melinda Gates and Chinese e-commerce magnate "
    "Jack Ma – noted that growing opportunities are paralleled by stark abuses. The report was released June 20. "
    "Life and death situations should not be delegated to machines."
)
MEETING = (
    "“We must work together to make the technology revolution more inclusive. Today our education is still "
    "based on the Industrial Age; we need to teach our children to do things chips and robots cannot do,” said "
    "Jack Ma. “I am optimistic that the world can make smart choices,” said Melinda Gates."
)


def test_number_values_agree_across_digits_and_words():
    assert number_value("nine") == number_value("9") == "9"
    assert number_value("20-person") is None and numbers("The 20-person panel") == {"20"}
    assert number_value("one") is None  # "no one", "one of"
    assert dates("It opened in June, on a Monday in Spring 2019") == {"june", "monday", "spring"}


@pytest.mark.parametrize(
    ("faithful", "wrong", "why"),
    [
        ("The panel had 20 members.", "The panel had 30 members.", "number"),
        ("The report was released on June 20.", "The report was released on March 20.", "date"),
        ("Melinda Gates and Jack Ma co-chaired the 20-person panel.",
         "Melinda Gates and Antonio Guterres co-chaired the 20-person panel.", "name"),
        ("Life and death situations should not be delegated to machines.",
         "Life and death situations should be delegated to machines.", "negat"),
    ],
)
def test_each_rule_removes_the_corruption_and_keeps_the_paraphrase(faithful, wrong, why):
    assert verify(faithful, WACC).supported, verify(faithful, WACC).reason
    verdict = verify(wrong, WACC)
    assert not verdict.supported and why in verdict.reason


def test_a_speaker_swapped_for_another_in_the_same_passage_is_removed():
    said = "Jack Ma said children must learn to do things that chips and robots cannot do."
    assert verify(said, MEETING).supported
    verdict = verify(said.replace("Jack Ma", "Melinda Gates"), MEETING)
    assert not verdict.supported and "Gates" in verdict.reason


def test_a_negation_the_passage_does_not_make_is_removed():
    verdict = verify("Jack Ma said education is not based on the Industrial Age.", MEETING)
    assert not verdict.supported and "negation" in verdict.reason
    assert not verify("Jack Ma said children should learn to do things chips and robots can do.", MEETING).supported


def test_an_added_unsupported_clause_is_removed():
    base = "The 20-person panel was co-chaired by Melinda Gates and Jack Ma"
    assert verify(base + ".", WACC).supported
    verdict = verify(base + ", and it was funded by a consortium of European broadcasters.", WACC)
    assert not verdict.supported


def test_the_span_is_the_supporting_sentence_verbatim():
    verdict = verify("The report came out on June 20.", WACC)
    assert WACC[verdict.span[0] : verdict.span[1]] == "The report was released June 20."


def test_sentence_initial_capitals_are_names_only_where_the_passages_name_them():
    read = "Panel members met. Guterres spoke to members."
    assert names("Guterres spoke.", known={"guterres"}) == ["Guterres"]
    assert names("Members met.", known={"guterres"}) == []
    assert "Members" not in names("Members met.", known=set(), seen={"members"})
    assert verify("Members met.", read).supported


def test_wrong_passage_cited_fails_and_the_right_one_of_several_is_found():
    sentence = "Life and death situations should not be delegated to machines."
    assert not verify(sentence, MEETING).supported
    verdict, backing = verify_cited(sentence, [MEETING, WACC])
    assert verdict.supported and backing == [1]
