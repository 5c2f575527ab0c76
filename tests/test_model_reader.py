"""The language-model reader end to end: the real pipeline (index, retrieval, abstention) and a scripted
OpenAI-compatible server over real HTTP on 127.0.0.1."""

from __future__ import annotations

import pytest

from assistant.answer import NOT_COVERED
from assistant.components import build
from assistant.service import OFFLINE_READER, Assistant, make_answerer
from assistant.settings import Settings

from .openai_stub import passage_number, serving
from .servers import free_port


@pytest.fixture(scope="module")
def indexed(corpus_index) -> Settings:
    return corpus_index


@pytest.fixture(scope="module")
def offline(indexed) -> Assistant:
    return Assistant.from_settings(indexed)


def with_model(offline: Assistant, url: str) -> Assistant:
    settings = offline.settings.model_copy(update={"llm_base_url": url, "llm_model": "stub-model", "llm_timeout": 5})
    return Assistant(build(settings), answerer=make_answerer(settings, "generative"))


def test_wrong_number_and_uncited_sentence_are_removed_and_the_rest_cited(offline):
    def script(messages):
        n = passage_number(messages, "20-person panel")
        assert n, "the passage the reply rests on was not given to the model"
        return (f"The 20-person panel was co-chaired by Melinda Gates and Jack Ma [{n}]. "
                f"The 30-person panel was co-chaired by American philanthropist Melinda Gates [{n}]. "
                "The panel met every month in Geneva.")

    with serving(script) as server:
        pieces = list(with_model(offline, server.url).stream("Who co-chaired the 20-person panel?"))
    answer = pieces[-1]
    assert len(pieces) > 3  # streamed word by word before the checked answer
    assert answer.status == "answered" and answer.backend == "generative"
    assert answer.text == "The 20-person panel was co-chaired by Melinda Gates and Jack Ma [1]."
    c = answer.citations[0]
    assert c.passage[c.span[0] : c.span[1]] == c.sentence and "20-person" in c.sentence
    reasons = {r["sentence"]: r["reason"] for r in answer.removed}
    assert "30" in reasons["The 30-person panel was co-chaired by American philanthropist Melinda Gates."]
    assert "cites no passage" in reasons["The panel met every month in Geneva."]
    assert answer.reader == f"language model stub-model at {server.url}"
    assert answer.timings["check"] < answer.timings["answer"]


def test_a_near_topic_question_the_offline_reader_refuses_reaches_the_model(offline):
    question = "What did Jack Ma say about migration?"
    assert offline.ask(question).abstained  # the offline scorer stops it before any reader
    with serving(lambda messages: "NOT IN THE DOCUMENTS") as server:
        answer = with_model(offline, server.url).ask(question)
    assert len(server.requests) == 1 and "Jack Ma" in server.requests[0]["messages"][-1]["content"]
    assert answer.status == "not_covered" and answer.abstained and answer.text == NOT_COVERED
    assert answer.passages  # the closest passages stay


def test_a_topic_the_documents_never_touch_is_not_sent_to_the_model(offline):
    with serving(lambda messages: "Jack Ma praised cryptocurrency [1].") as server:
        answer = with_model(offline, server.url).ask("What did Jack Ma say about cryptocurrency?")
    assert server.requests == [] and answer.status == "not_covered"


def test_a_yes_no_question_asks_for_yes_or_no_first(offline):
    with serving(lambda messages: "NOT IN THE DOCUMENTS") as server:
        with_model(offline, server.url).ask("Did Melinda Gates co-chair the panel?")
    assert "Answer yes or no first" in server.requests[0]["messages"][0]["content"]


def test_a_model_server_that_stopped_answering_gets_one_line_and_the_offline_answer(offline):
    dead = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    question = "Who co-chaired the 20-person panel?"
    answer = with_model(offline, dead).ask(question)
    assert answer.reader == OFFLINE_READER
    assert answer.notes[0].startswith("The language model did not answer")
    assert answer.text == offline.ask(question).text
