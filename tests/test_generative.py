"""The generative answerer with LangChain fake chat models: prompt, output checking, streaming."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from assistant.answer import NOT_COVERED, Passage
from assistant.answering.base import Draft
from assistant.answering.checking import (
    best_sentence,
    check_answer,
    is_abstention,
    parse_markers,
    split_generated,
    strip_markers,
    support,
)
from assistant.answering.generative import GenerativeAnswerer, build_messages, chat_model_from_settings
from assistant.settings import Settings

ANNOUNCEMENT = (
    "The United Nations Secretary General has announced the establishment of a high level panel on Digital "
    "Cooperation. The high level panel is the first of its kind – led by US philanthropist Melinda Gates and "
    "Chinese-based Alibaba founder Jack Ma and will report back with its recommendations in nine months. "
    "The panel will map trends in digital technologies, identify gaps and opportunities while outlining "
    "proposals for strengthening international cooperation."
)
FIRST_MEETING = (
    "United Nations Secretary-General António Guterres convened the first in-person meeting of the High-level "
    "Panel on Digital Cooperation in New York this week. Melinda Gates, Co-Chair of the Bill & Melinda Gates "
    "Foundation, and Jack Ma, Executive Chairman of Alibaba Group, led the meeting at UN Headquarters. "
    "During the two-day meeting, Panel members discussed how greater global cooperation could help achieve an "
    "inclusive and safe digital future for all."
)
DARK_SIDE = (
    "Guterres says: “Technology is not standing still; developments are accelerating. New tech developments in "
    "artificial intelligence, blockchain and robotics are emerging everyday. At the same time, the world is only "
    "beginning to address the dark side of innovation such as cybersecurity threats, the risks of cyberwarfare, "
    "the magnification of hate speech and violations of privacy.”"
)


@pytest.fixture
def passages() -> list[Passage]:
    return [
        Passage(id="ann#0", doc_id="ann", title="Panel announced", source="corpus/ann.md", text=ANNOUNCEMENT),
        Passage(id="met#1", doc_id="met", title="First meeting", source="corpus/met.pdf", page=2, text=FIRST_MEETING),
        Passage(id="ann#1", doc_id="ann", title="Panel announced", source="corpus/ann.md", text=DARK_SIDE),
    ]


def fake(reply: str) -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter([AIMessage(content=reply)]))


def answer(reply: str, passages: list[Passage], **kwargs) -> Draft:
    return GenerativeAnswerer(fake(reply), **kwargs).answer("Who leads the panel?", passages)


def assert_citations_valid(draft: Draft, passages: list[Passage]) -> None:
    by_id = {p.id: p for p in passages}
    assert [c.number for c in draft.citations] == list(range(1, len(draft.citations) + 1))
    for c in draft.citations:
        assert c.passage == by_id[c.passage_id].text
        assert c.passage[c.span[0] : c.span[1]] == c.sentence
        assert f"[{c.number}]" in draft.text


# --- parsing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("Gates and Ma lead it [1].", [1]),
        ("Gates and Ma lead it [1, 3].", [1, 3]),
        ("Gates and Ma lead it [2][1].", [2, 1]),
        ("Gates and Ma lead it [1; 2] and [1].", [1, 2]),
        ("Gates and Ma lead it [1-3].", [1, 2, 3]),
        ("Gates and Ma lead it [Passage 2].", [2]),
        ("No markers, only [brackets] and 2018.", []),
    ],
)
def test_parse_markers(text, numbers):
    assert parse_markers(text) == numbers


def test_strip_markers_tidies_spaces():
    assert strip_markers("Gates and Ma lead it [1][2] .") == "Gates and Ma lead it."


def test_split_generated_moves_markers_after_full_stop_to_their_sentence():
    sents = split_generated("It met in New York. [2] Gates and Ma led it [1][2].\n- It lasted two days. [2]")
    assert [(s.text, s.markers) for s in sents] == [
        ("It met in New York.", [2]),
        ("Gates and Ma led it.", [1, 2]),
        ("It lasted two days.", [2]),
    ]


def test_split_generated_attaches_a_line_of_markers_to_the_sentence_before():
    sents = split_generated("It met in New York.\n[2]")
    assert [(s.text, s.markers) for s in sents] == [("It met in New York.", [2])]


@pytest.mark.parametrize(
    "text",
    [
        "NOT IN THE DOCUMENTS",
        "Not in the documents.",
        "The documents do not mention who funds the panel.",
        "The passages don't contain this information.",
        "I cannot answer this question from the passages.",
        "There is no information about the budget.",
        "This is not mentioned in the passages.",
    ],
)
def test_abstention_variants(text):
    assert is_abstention(text)


@pytest.mark.parametrize(
    "text", ["Melinda Gates and Jack Ma lead the panel [1].", "The panel will report in nine months [1]."]
)
def test_answers_are_not_abstentions(text):
    assert not is_abstention(text)


# --- support ------------------------------------------------------------------------------------


def test_support_of_a_paraphrase_and_of_a_fabrication():
    assert support("The panel is led by Melinda Gates and Jack Ma.", [ANNOUNCEMENT]).score == 1.0
    made_up = support("The panel is led by Bill Clinton and Elon Musk.", [ANNOUNCEMENT])
    assert made_up.score < 0.5
    assert {"clinton", "elon", "musk"} <= set(made_up.missing)


def test_a_number_missing_from_the_passage_is_fatal():
    wrong = support("The panel will report back with its recommendations in six months.", [ANNOUNCEMENT])
    assert wrong.score >= 0.5  # most words match ...
    assert wrong.missing_numbers == ["six"]  # ... but the number is wrong
    assert support("It will report in nine months.", [ANNOUNCEMENT]).missing_numbers == []


def test_a_negation_the_passage_does_not_make_is_fatal():
    assert support("Panel members did not discuss global cooperation.", [FIRST_MEETING]).fatal
    assert support("Guterres said technology is not standing still.", [DARK_SIDE]).fatal is None


def test_best_sentence_is_the_one_sharing_most_words():
    start, end = best_sentence("Gates and Ma will report back in nine months.", ANNOUNCEMENT)
    assert ANNOUNCEMENT[start:end].startswith("The high level panel is the first of its kind")
    assert ANNOUNCEMENT[start:end].endswith("in nine months.")


# --- the answerer -------------------------------------------------------------------------------


def test_well_cited_answer_passes_with_citations_and_spans(passages):
    draft = answer(
        "The panel is led by Melinda Gates and Jack Ma [1]. "
        "Its first meeting took place in New York [2]. "
        "It will report back with recommendations in nine months [1].",
        passages,
    )
    assert not draft.abstained
    assert draft.notes == []
    assert draft.text == (
        "The panel is led by Melinda Gates and Jack Ma [1]. "
        "Its first meeting took place in New York [2]. "
        "It will report back with recommendations in nine months [1]."
    )
    assert_citations_valid(draft, passages)
    first, second = draft.citations
    assert (first.passage_id, first.doc_id, first.title, first.source, first.page) == (
        "ann#0",
        "ann",
        "Panel announced",
        "corpus/ann.md",
        None,
    )
    assert first.sentence.startswith("The high level panel is the first of its kind")
    assert second.passage_id == "met#1" and second.page == 2
    assert second.sentence.startswith("United Nations Secretary-General António Guterres convened the first")


def test_citations_are_renumbered_in_order_of_first_appearance(passages):
    draft = answer(
        "New developments in artificial intelligence, blockchain and robotics are emerging every day [3]. "
        "Gates and Ma led the meeting at UN Headquarters [2].",
        passages,
    )
    assert draft.text == (
        "New developments in artificial intelligence, blockchain and robotics are emerging every day [1]. "
        "Gates and Ma led the meeting at UN Headquarters [2]."
    )
    assert [c.passage_id for c in draft.citations] == ["ann#1", "met#1"]
    assert draft.citations[0].sentence.startswith("New tech developments in artificial intelligence")
    assert draft.citations[1].sentence.startswith("Melinda Gates, Co-Chair")
    assert_citations_valid(draft, passages)


def test_one_passage_cited_for_two_of_its_sentences_gets_two_numbers(passages):
    draft = answer(
        "The Secretary General announced a high level panel on Digital Cooperation [1]. "
        "The panel will map trends in digital technologies [1].",
        passages,
    )
    assert draft.text.endswith("[1]. The panel will map trends in digital technologies [2].")
    assert [c.passage_id for c in draft.citations] == ["ann#0", "ann#0"]
    assert draft.citations[0].span != draft.citations[1].span
    assert_citations_valid(draft, passages)


def test_marker_to_a_passage_not_given_is_removed(passages):
    draft = answer("Melinda Gates and Jack Ma led the meeting at UN Headquarters [2][7].", passages)
    assert draft.text == "Melinda Gates and Jack Ma led the meeting at UN Headquarters [1]."
    assert [c.passage_id for c in draft.citations] == ["met#1"]
    assert any("[7]" in note and "no given passage" in note for note in draft.notes)


def test_sentence_citing_only_a_missing_passage_is_dropped(passages):
    draft = answer("Gates and Ma lead the panel [1]. The panel met in Geneva [9].", passages)
    assert draft.text == "Gates and Ma lead the panel [1]."
    assert any("[9]" in note for note in draft.notes)
    assert any("uncited" in note and "Geneva" in note for note in draft.notes)


def test_unsupported_sentence_is_dropped_and_noted(passages):
    draft = answer(
        "Melinda Gates and Jack Ma lead the panel [1]. "
        "The panel was funded by the World Bank and Microsoft with fifty million dollars [1].",
        passages,
    )
    assert draft.text == "Melinda Gates and Jack Ma lead the panel [1]."
    assert len(draft.citations) == 1
    (note,) = draft.notes
    assert "not supported by [1]" in note and "World Bank" in note


def test_sentence_resting_on_the_wrong_passage_is_dropped(passages):
    draft = answer(
        "Melinda Gates and Jack Ma lead the panel [1]. "
        "Hate speech and violations of privacy are the dark side of innovation [2].",
        passages,
    )
    assert draft.text == "Melinda Gates and Jack Ma lead the panel [1]."
    assert any("not supported by [2]" in note for note in draft.notes)


def test_wrong_number_is_dropped(passages):
    draft = answer("The panel will report back with its recommendations in six months [1].", passages)
    assert draft.abstained
    assert any("six" in note for note in draft.notes)


def test_uncited_sentence_is_dropped(passages):
    draft = answer(
        "Melinda Gates and Jack Ma lead the panel [1]. Jack Ma founded Alibaba, a Chinese-based company.",
        passages,
    )
    assert draft.text == "Melinda Gates and Jack Ma lead the panel [1]."
    assert any(note.startswith("dropped an uncited sentence") for note in draft.notes)


def test_when_nothing_survives_the_draft_abstains(passages):
    draft = answer("The panel is based in Geneva and funded by Switzerland.", passages)
    assert draft.abstained and draft.text == NOT_COVERED and draft.citations == []
    assert any("uncited" in note for note in draft.notes)


@pytest.mark.parametrize(
    "reply",
    [
        "NOT IN THE DOCUMENTS",
        "NOT IN THE DOCUMENTS.",
        "Not in the documents [1].",
        "The documents do not mention the panel's budget.",
        "I cannot answer this from the passages given. Gates and Ma lead the panel [1].",
        "",
    ],
)
def test_model_abstention(passages, reply):
    draft = answer(reply, passages)
    assert draft == Draft(text=NOT_COVERED, citations=[], abstained=True, notes=draft.notes)
    assert draft.notes


def test_later_sentence_saying_the_documents_do_not_cover_something_is_dropped(passages):
    draft = answer("Gates and Ma lead the panel [1]. The documents do not mention its budget.", passages)
    assert draft.text == "Gates and Ma lead the panel [1]."
    assert not draft.abstained


def test_multi_marker_sentence_keeps_both_supporting_passages(passages):
    draft = answer("Melinda Gates and Jack Ma lead the panel, whose first meeting was in New York [1][2].", passages)
    assert draft.text == "Melinda Gates and Jack Ma lead the panel, whose first meeting was in New York [1][2]."
    assert [c.passage_id for c in draft.citations] == ["ann#0", "met#1"]
    assert_citations_valid(draft, passages)


def test_multi_marker_with_comma_and_an_irrelevant_passage(passages):
    draft = answer("The panel will map trends in digital technologies and identify gaps [1, 3].", passages)
    assert draft.text == "The panel will map trends in digital technologies and identify gaps [1]."
    assert any("[3]" in note and "does not support" in note for note in draft.notes)


def test_sentences_beyond_the_limit_are_dropped(passages):
    reply = "Gates and Ma lead the panel [1]. It met in New York [2]. It lasted two days [2]."
    draft = answer(reply, passages, max_sentences=2)
    assert draft.text == "Gates and Ma lead the panel [1]. It met in New York [2]."
    assert any("beyond the first 2" in note for note in draft.notes)


def test_markers_after_the_full_stop_and_in_quotes(passages):
    draft = check_answer('Guterres said "technology is not standing still." [3]', passages)
    assert draft.text == 'Guterres said "technology is not standing still" [1].'


def test_no_passages_abstains_without_calling_the_model():
    model = FakeListChatModel(responses=["should not be used"])
    assert GenerativeAnswerer(model).answer("Who?", []).abstained
    assert model.i == 0


def test_prompt_numbers_the_passages_and_states_the_rules(passages):
    system, user = build_messages("Who leads the panel?", passages, max_sentences=3)
    assert isinstance(system, SystemMessage) and isinstance(user, HumanMessage)
    assert "NOT IN THE DOCUMENTS" in system.content and "[1][3]" in system.content and "3 short" in system.content
    assert "[1] (Panel announced) The United Nations Secretary General" in user.content
    assert "[2] (First meeting, p. 2) United Nations Secretary-General" in user.content
    assert user.content.rstrip().endswith("Question: Who leads the panel?")


def test_prompt_reaches_the_model(passages):
    seen = []

    class Recording(FakeListChatModel):
        def _call(self, messages, *args, **kwargs):
            seen.append(messages)
            return super()._call(messages, *args, **kwargs)

    GenerativeAnswerer(Recording(responses=["NOT IN THE DOCUMENTS"])).answer("Who leads the panel?", passages)
    (messages,) = seen
    assert messages[1].content.endswith("Question: Who leads the panel?")


def test_stream_yields_text_pieces_then_the_checked_draft(passages):
    reply = "Melinda Gates and Jack Ma lead the panel [1][9]. It has a budget of ten million dollars [1]."
    out = list(GenerativeAnswerer(fake(reply)).stream("Who leads the panel?", passages))
    *pieces, draft = out
    assert len(pieces) > 5 and all(isinstance(p, str) for p in pieces)
    assert "".join(pieces) == reply  # the raw text, as the model wrote it
    assert isinstance(draft, Draft)
    assert draft.text == "Melinda Gates and Jack Ma lead the panel [1]."
    assert len(draft.notes) == 2  # the [9] marker and the unsupported budget sentence


def test_stream_character_by_character_matches_answer(passages):
    reply = "Gates and Ma led the meeting at UN Headquarters [2]."
    streamed = list(GenerativeAnswerer(FakeListChatModel(responses=[reply])).stream("Q?", passages))
    assert streamed[:-1] == list(reply)
    assert streamed[-1] == GenerativeAnswerer(FakeListChatModel(responses=[reply])).answer("Q?", passages)


def test_stream_of_an_abstention_ends_with_an_abstained_draft(passages):
    *pieces, draft = GenerativeAnswerer(fake("NOT IN THE DOCUMENTS")).stream("Budget?", passages)
    assert pieces and draft.abstained and draft.text == NOT_COVERED


def test_chat_model_from_settings_uses_the_llm_settings():
    from langchain_openai import ChatOpenAI

    settings = Settings(
        llm_base_url="http://127.0.0.1:9/v1",
        llm_model="smollm2",
        llm_api_key="secret",
        llm_temperature=0.3,
        llm_timeout=12,
    )
    model = chat_model_from_settings(settings)
    assert isinstance(model, ChatOpenAI)
    assert model.openai_api_base == "http://127.0.0.1:9/v1"
    assert model.model_name == "smollm2"
    assert model.openai_api_key.get_secret_value() == "secret"
    assert (model.temperature, model.request_timeout, model.streaming) == (0.3, 12, True)


def test_split_generated_with_markers_first():
    sents = split_generated("[1] Gates and Ma lead the panel. [2] It met in New York.")
    assert [(s.text, s.markers) for s in sents] == [("Gates and Ma lead the panel.", [1]), ("It met in New York.", [2])]


def test_the_question_kind_shapes_the_prompt():
    """A list or summary question asks the model for lines; a factoid for the answer first."""
    from assistant.answering.generative import build_messages

    listed = build_messages("What were the nine enablers?", [], 5, kind="list")[0].content
    factoid = build_messages("Who chaired the panel?", [], 5, kind="factoid")[0].content
    assert "one per line starting with '- '" in listed and "- " not in factoid.split("4.")[1].split("\n")[0]
    assert "Answer in the first sentence" in factoid
