"""The pieces that shape an answer, without a model: question kinds, layout roles, follow-up cues,
and the evaluation's answer-shape metrics."""

from __future__ import annotations

import pytest

from assistant.answer import Answer, Citation
from assistant.reading.follow_up import is_follow_up, list_items, retrieval_query
from assistant.reading.kind import classify
from assistant.reading.sentences import sentence_spans
from assistant.reading.structure import annotate
from eval.dataset import parse_item
from eval.shape import first_sentence, headings_quoted, shape_scores, strip_layout


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("What were the nine enablers?", "list"),
        ("Which priority actions did the panel recommend?", "list"),
        ("List the areas for potential recommendations.", "list"),
        ("What principles must digital cooperation be grounded in?", "list"),
        ("Summarize the panel's main recommendations.", "summary"),
        ("Give me an overview of the announcement.", "summary"),
        ("What happened at the second meeting?", "summary"),
        ("What are the main points of the article?", "summary"),
        ("Can you give a summary of the WACC article?", "summary"),
        ("Why did trust matter, according to the meeting summary?", "reason"),  # a source, not a request
        ("What does the summary of the first meeting say about youth?", "factoid"),
        ("Why did Guterres set up the panel?", "reason"),
        ("How did the panel consult stakeholders?", "reason"),
        ("How many responses did the call for contributions yield?", "factoid"),
        ("Who chaired the panel?", "factoid"),
        ("What did Jack Ma highlight at the second meeting?", "factoid"),
        ("What is digital cooperation?", "factoid"),
        ("What topics did the panel take up at its first meeting?", "list"),  # "-ics" plural
        ("What are the nine 'enablers' of digital cooperation?", "list"),  # quoted words are still words
        ("Which ethics did they discuss?", "factoid"),  # a field of study, not a plural
        ("What should the agreed metrics be detailed with?", "factoid"),  # "what" is the object, not a determiner
        ("How did Melinda Gates describe the panel's task?", "factoid"),  # what was said, not a reason
        ("How does the WACC article define digital cooperation?", "factoid"),
        ("How did he react to the report's findings?", "factoid"),
    ],
)
def test_question_kind_from_its_form(question, kind):
    assert classify(question).kind == kind


def test_a_summary_request_is_not_part_of_its_topic():
    assert classify("Can you give me a short overview of the WACC article?").topic == "the WACC article"
    assert classify("Summarize the second meeting.").topic == "the second meeting"


def test_expected_value_type_and_topic():
    assert classify("How many responses were there?").expected_type == "number"
    assert classify("When was the report released?").expected_type == "date"
    assert classify("Who led the first meeting?").expected_type == "person"
    assert classify("Which city hosted the meeting?").expected_type == "place"
    assert classify("Summarize the second meeting.").topic == "the second meeting"
    assert classify("Summarize.").topic == "Summarize."  # nothing left: the question stays


@pytest.mark.parametrize(
    "question",
    ["How did Melinda Gates describe the panel's task?", "What did Guterres call on the members to do?",
     "What was the Secretary-General's two-word exhortation?", "What did Jack Ma say about education?"],
)
def test_questions_about_words_said_want_a_quotation(question):
    assert classify(question).expected_type == "quote"


def test_a_passive_description_or_a_plain_what_is_not_a_quotation():
    assert classify("How was Jack Ma described in the article?").expected_type is None
    assert classify("What did the panel recommend?").expected_type is None


def test_words_said_are_quotation_marks_or_reported_speech():
    from assistant.answering.value_types import holds_value

    assert holds_value("Our task is to be clear-eyed,” said Melinda Gates.", "quote", set())
    assert holds_value("He called migrants a remarkable engine for growth.", "quote", set())
    assert not holds_value("Following the second meeting, the Panel began drafting its report.", "quote", set())


def test_who_wrote_wants_a_byline():
    from assistant.answering.value_types import holds_value

    assert classify("Who wrote the WACC article?").expected_type == "author"
    assert classify("Who is the author of the report?").expected_type == "author"
    assert classify("Who chaired the panel?").expected_type == "person"
    assert holds_value("… and inclusiveness.” — by Marites N. Sison", "author", set())
    assert not holds_value("The panel was co-chaired by Melinda Gates and Jack Ma.", "author", set())


def test_a_number_the_question_gives_is_not_its_answer():
    from assistant.answering.value_types import holds_value
    from assistant.reading.text import words

    asked = set(words("How many of the panel's 20 members were women?"))
    assert not holds_value("The 20-person panel was co-chaired by Gates and Ma.", "number", asked)
    assert holds_value("Eleven of the 20 members were women.", "number", asked)


PAGE = """Areas for Potential Recommendations

Panel members identified the following areas:

• Inclusiveness: How can we ensure access? Many ideas came up.
• Data: Data is the life-blood of the economy.

Next Steps

The Panel has begun drafting its final report."""


def test_layout_roles_heading_lead_items_and_sections():
    spans = sentence_spans(PAGE)
    roles = [(PAGE[a:b][:20], m["role"], m["section"]) for (a, b), m in zip(spans, annotate(PAGE, spans), strict=True)]
    assert roles[0][:2] == ("Areas for Potential ", "heading")
    assert roles[1][1:] == ("lead", "Areas for Potential Recommendations")
    assert [r[1] for r in roles[2:6]] == ["item", "text", "item", "heading"]
    assert roles[-1][1:] == ("text", "Next Steps")
    paras = [m["para"] for m in annotate(PAGE, spans)]
    assert paras[2] == paras[3]  # an item's second sentence belongs to the item


@pytest.mark.parametrize(
    "question",
    ["Why did Guterres set up the panel?", "And what did Guterres tell the General Assembly about trust?",
     "So which tech hubs did panel members visit?", "What did the panel members say they hoped for?"],
)
def test_questions_that_name_their_subject_are_self_contained(question):
    assert not is_follow_up(question)
    assert retrieval_query(question, [("What did Jack Ma say?", "Ma said it. [1]")]) == question


@pytest.mark.parametrize(
    "question",
    ["What did she suggest at the second meeting?", "And the second?", "Which one of them concerns trust?",
     "Why?", "What did the panel say about that?", "How did the article describe the two of them?",
     "What did the consultations find about the eighth one?", "What was decided at that meeting?",
     "Which countries did the members visit before that meeting?"],
)
def test_pronouns_demonstratives_and_ellipsis_point_back(question):
    assert is_follow_up(question)


def test_follow_up_carries_the_previous_turns_names_after_its_own_words():
    history = [("Who chaired the panel?", "It was co-chaired by Melinda Gates and Jack Ma. [1]")]
    query = retrieval_query("What did she suggest at the second meeting?", history)
    assert query.startswith("What did she suggest at the second meeting?")
    assert "Melinda Gates" in query and "chair" in query


def test_ordinal_follow_up_resolves_against_the_previous_list():
    answer = "The nine enablers: [1]\n\n1. Leadership and political will: text. [2]\n2. Incentive alignment: more. [3]"
    assert list_items(answer) == ["Leadership and political will: text.", "Incentive alignment: more."]
    query = retrieval_query("And the second one?", [("What were the enablers?", answer)])
    assert "Incentive alignment" in query and "Leadership" not in query
    query = retrieval_query("What did they find about the second one?", [("What were the enablers?", answer)])
    assert query == "What did they find about Incentive alignment?"  # the item's name, in the ordinal's place
    assert "second" not in query


def test_an_ordinal_before_a_noun_names_its_own_subject():
    assert not is_follow_up("What happened at the second meeting of the panel?")



def _answer(text: str, citations: list[Citation] | None = None, kind: str = "factoid") -> Answer:
    return Answer(question="q?", text=text, abstained=False, citations=citations or [], passages=[], query="q?",
                  kind=kind)


def _item(**extra) -> object:
    base = {"id": "x", "q": "q?", "facts": [["alpha"], ["beta"], ["gamma"]], "evidence": [], "answerable": True}
    return parse_item({**base, **extra})


def test_lead_accuracy_needs_the_facts_in_the_first_sentence():
    item = _item(kind="factoid", facts=[["alpha"]])
    assert shape_scores(item, _answer("Alpha is here. [1] Beta. [2]"))["lead_ok"] is True
    assert shape_scores(item, _answer("Beta first. [1] Then alpha. [2]"))["lead_ok"] is False


def test_list_completeness_and_summary_coverage():
    listed = _answer("The list: [1]\n\n- alpha one [2]\n- beta two [3]", kind="list")
    assert shape_scores(_item(kind="list"), listed)["list_share"] == pytest.approx(2 / 3)
    summary = _answer("**Doc**\n\n- alpha [1]\n- gamma [2]", kind="summary")
    assert shape_scores(_item(kind="summary", min_facts=2), summary)["summary_ok"] is True
    assert shape_scores(_item(kind="summary"), summary)["summary_ok"] is False  # default: every group


def test_layout_is_not_part_of_the_text_read():
    text = "**Title**\n\n- First point here. [1]\n2. Second one. [2]"
    assert strip_layout(text).strip() == "First point here. [1]\nSecond one. [2]"
    assert first_sentence(text) == "First point here."


def test_quoted_heading_is_counted():
    passage = "Next Steps\n\nThe Panel has begun drafting."
    heading = Citation(1, "d", "T", "s", None, "p", passage, "Next Steps", (0, 10))
    body = Citation(2, "d", "T", "s", None, "p", passage, "The Panel has begun drafting.", (12, 41))
    assert headings_quoted(_answer("Next Steps [1]", [heading])) == 1
    assert headings_quoted(_answer("The Panel has begun drafting. [2]", [body])) == 0


@pytest.mark.parametrize(
    ("question", "unknown", "decisive"),
    [
        ("What did Jack Ma say about cryptocurrency?", ["cryptocurrency"], ["cryptocurrency"]),
        ("What did Guterres say about 5G networks?", ["5G"], ["5G"]),
        ("What did Ma say about the link between size and duty?", ["link"], []),  # short: maybe a paraphrase
        ("Which idea about access recalled the warning?", ["recalled"], []),  # inflected: a verb
        ("Within what time frame was the panel expected to deliver?", ["deliver"], []),  # no topic slot
    ],
)
def test_only_an_unknown_topic_that_reads_as_terminology_decides(question, unknown, decisive):
    from assistant.answering.abstention import missing_topic

    assert missing_topic(question, unknown) == decisive


def test_a_season_after_in_is_a_time_not_a_place():
    from assistant.answering.value_types import holds_value

    asked = {"which", "city", "hosted", "the", "third", "meeting"}
    assert not holds_value("A third and final meeting is likely to take place in Spring 2019.", "place", asked)
    assert holds_value("Guterres convened the first meeting in New York this week.", "place", asked)
    assert holds_value("A third and final meeting is likely to take place in Spring 2019.", "date", asked)
