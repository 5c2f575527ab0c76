"""Reading a question once: markup, language, asks, comparisons. Pure functions, no index."""

from __future__ import annotations

import pytest

from assistant.reading.language import detect, question_language
from assistant.reading.parts import comparison, split_asks
from assistant.reading.question import clean, read


def test_markup_is_removed_before_reading():
    typed = '<b>Who</b> chaired the <i>panel</i>?<script>alert("x")</script> see [the report](http://x.org) **now**'
    assert clean(typed) == "Who chaired the panel? see the report now"
    assert clean("Tom &amp; Jerry &lt;3") == "Tom & Jerry <3"
    assert read("<p>Who opened the first meeting?</p>").text == "Who opened the first meeting?"


@pytest.mark.parametrize(("question", "asks"), [
    ("Where did the panel first meet, and who opened the meeting?",
     ["Where did the panel first meet?", "Who opened the meeting?"]),
    ("When did it meet, and where?", ["When did it meet?", "Where did it meet?"]),  # the bare wh borrows the rest
    ("How many members did the panel have and how many were women?",
     ["How many members did the panel have?", "How many were women?"]),
    ("Who chaired it? When did it first meet?", ["Who chaired it?", "When did it first meet?"]),
    ("what is the panel and why was it set up", ["What is the panel?", "Why was it set up?"]),
])
def test_two_asks_in_one_message_are_split(question, asks):
    assert [a.text for a in split_asks(question)] == asks


@pytest.mark.parametrize("question", [
    "What did Gates and Ma say about trust?",                         # a pair of names, one ask
    "Who is the person who opened the meeting?",                      # a relative clause
    "What did the report, which was launched in June, recommend?",    # a relative clause after a comma
    "How and why was the panel set up?",                              # two wh-words, one ask
])
def test_one_ask_is_not_split(question):
    assert split_asks(question) == []


@pytest.mark.parametrize(("question", "sides", "first"), [
    ("Compare the first meeting and the second meeting", ["The first meeting?", "The second meeting?"], False),
    ("How did the first meeting differ from the second one?", ["The first meeting?", "The second meeting?"], False),
    ("Gates vs Ma on trust", ["Gates on trust?", "Ma on trust?"], False),
    ("Which came first, the announcement or the first meeting?", ["The announcement?", "The first meeting?"], True),
    ("What is the difference between the announcement and the report launch?",
     ["The announcement?", "The report launch?"], False),
    ("Did Gates and Ma agree on education?", ["Did Gates agree on education?", "Did Ma agree on education?"], False),
])
def test_comparisons_are_asked_side_by_side(question, sides, first):
    found = comparison(question)
    assert found is not None and [s.text for s in found.sides] == sides and found.which_first is first


def test_a_later_ask_is_read_with_the_earlier_one_as_its_context():
    q = read("Who chaired the first meeting, and what did they say?")
    assert q.kind == "multipart" and len(q.asks) == 2
    assert q.asks[1].is_follow_up and "first meet" in q.asks[1].query  # the terms of the first ask
    assert not q.asks[0].is_follow_up


def test_comparison_sides_are_questions_of_their_own():
    q = read("Compare the first meeting and the second meeting")
    assert q.kind == "comparison" and q.labels == ("The first meeting", "The second meeting")
    assert all(not side.sides and not side.asks for side in q.sides)


def test_language_of_questions_and_passages():
    assert question_language("Qui a présidé le groupe de haut niveau ?") == "fr"
    assert question_language("Wer hat das erste Treffen eröffnet?") == "de"
    assert question_language("Who opened the first meeting of the panel?") == "en"
    assert question_language("Melinda Gates Jack Ma") is None  # names alone are in no language for sure
    assert question_language("what abt the 2nd mtg") is None  # chat shorthand: not trusted either way
    assert detect("42")[0] is None
