"""The cited-answer API on the bundled corpus: what a researcher relies on when asking."""

from __future__ import annotations

import json

import jsonschema
import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from assistant import NOT_COVERED, Answer, Assistant, Settings
from assistant.__main__ import main as assistant_main
from assistant.answering.generative import GenerativeAnswerer
from assistant.components import build
from assistant.search.retrieval import collapse_near_duplicates
from ingest.loaders import load
from ingest.pipeline import Ingester

from .conftest import CORPUS, FIXTURES, ROOT

SCHEMA = json.loads((ROOT / "assistant" / "answer.schema.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def indexed(tmp_path_factory) -> Settings:
    data = tmp_path_factory.mktemp("assistant") / "data"
    settings = Settings(data_dir=data, corpus_dir=CORPUS)
    components = build(settings)
    Ingester(settings, components.store).sync([CORPUS, FIXTURES / "pdflatex-4-pages.pdf"])
    return settings


@pytest.fixture(scope="module")
def assistant(indexed) -> Assistant:
    return Assistant.from_settings(indexed)


def _assert_verbatim(answer: Answer) -> None:
    assert answer.citations
    for c in answer.citations:
        assert c.passage[c.span[0] : c.span[1]] == c.sentence
        assert f"{c.sentence} [{c.number}]" in answer.text
        assert any(p.id == c.passage_id and p.text == c.passage for p in answer.passages)


def test_single_sentence_answer_is_quoted_and_cited(assistant):
    answer = assistant.ask("Who led the first meeting at UN Headquarters?")
    assert not answer.abstained
    _assert_verbatim(answer)
    first = answer.citations[0]
    assert first.doc_id == "2018-09-first-meeting-press-release"
    assert "Melinda Gates" in first.sentence and "Jack Ma" in first.sentence
    assert len(answer.citations) <= 3


def test_pdf_answers_cite_the_right_page(indexed, assistant):
    answer = assistant.ask("What should the length of words match?", doc_ids=["pdflatex-4-pages"])
    assert not answer.abstained
    _assert_verbatim(answer)
    assert all(c.page in {1, 2, 3, 4} for c in answer.citations)
    pages = {p.number: p.text for p in load(FIXTURES / "pdflatex-4-pages.pdf").pages}
    for c in answer.citations:  # the cited page really holds the sentence, at the cited offsets
        passage = next(p for p in answer.passages if p.id == c.passage_id)
        assert pages[c.page][passage.char_start + c.span[0] : passage.char_start + c.span[1]] == c.sentence


def test_off_topic_question_abstains_with_closest_matches(assistant):
    answer = assistant.ask("What is the best recipe for lasagna with spinach?")
    assert answer.abstained
    assert answer.text.startswith(NOT_COVERED)
    assert answer.citations == []
    assert answer.passages  # offered as closest matches, not as answers
    assert answer.confidence is not None and answer.confidence < assistant.abstention.threshold


def test_follow_up_uses_history(assistant):
    alone = assistant.ask("How did he characterise migrants?")
    follow = assistant.ask(
        "And how did he characterise migrants?",
        history=["Which migration agreement did Guterres welcome when he announced the panel?"],
    )
    assert "Guterres" in follow.query and follow.query != follow.question
    assert alone.query == alone.question
    assert not follow.abstained
    assert any("remarkable engine for growth" in c.sentence for c in follow.citations)


def test_history_as_chat_messages(assistant):
    history = [
        {"role": "user", "content": "Who co-chaired the panel?"},
        {"role": "assistant", "content": "Melinda Gates and Jack Ma [1]"},
    ]
    answer = assistant.ask("What did she suggest the panel prioritize at the second meeting?", history=history)
    assert answer.query.startswith(answer.question)  # its own words first, then the earlier turn's
    assert "chair" in answer.query and "Melinda Gates" in answer.query
    assert "affordable, universal internet access" in answer.citations[0].sentence  # and first


def test_document_filter_restricts_every_passage(assistant):
    doc = "2019-06-live-conversation-news"
    answer = assistant.ask("What did Jack Ma say about responsibility?", doc_ids=[doc])
    assert answer.passages and all(p.doc_id == doc for p in answer.passages)
    assert all(c.doc_id == doc for c in answer.citations)


def test_k_limits_passages(assistant):
    assert len(assistant.ask("What did the panel recommend?", k=2).passages) <= 2


def test_keyword_index_follows_adds_and_deletes(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=CORPUS)
    components = build(settings)
    ingester = Ingester(settings, components.store)
    assistant = Assistant(components)
    note = tmp_path / "notes.md"
    note.write_text("The zorblax protocol was adopted by the panel at a meeting in Reykjavik.\n", encoding="utf-8")
    ingester.sync([note])
    hits = assistant.keyword_index.search("zorblax protocol", 5)
    assert hits and hits[0][0].metadata["doc_id"] == "notes"
    note.write_text("The quimbly accord replaced everything else.\n", encoding="utf-8")
    ingester.sync([note])
    assert assistant.keyword_index.search("zorblax", 5) == []
    assert assistant.keyword_index.search("quimbly accord", 5)
    ingester.remove_document("notes")
    assert assistant.keyword_index.search("quimbly", 5) == []
    assert len(assistant.keyword_index) == 0


def test_near_duplicates_are_collapsed():
    from assistant.answer import Passage

    text = "The panel met in New York. It discussed trust and capacity."
    a = Passage("a", "d1", "T", "s", text, score=0.9)
    b = Passage("b", "d2", "T2", "s2", text + " Also more.", score=0.8)
    c = Passage("c", "d3", "T3", "s3", "Something else entirely about budgets.", score=0.7)
    assert [p.id for p in collapse_near_duplicates([a, b, c])] == ["a", "c"]


def test_stream_yields_pieces_then_the_answer(assistant):
    items = list(assistant.stream("Who led the first meeting at UN Headquarters?"))
    assert isinstance(items[-1], Answer)
    pieces = [i for i in items if isinstance(i, str)]
    assert len(pieces) > 1 and "".join(pieces) == items[-1].text


def test_generative_backend_is_checked_through_the_api(indexed):
    components = build(indexed)
    reply = "Melinda Gates and Jack Ma led the meeting at UN Headquarters [1]. They also sold bicycles in Paris [2]."
    model = GenericFakeChatModel(messages=iter([AIMessage(content=reply)]))
    assistant = Assistant(components, answerer=GenerativeAnswerer(model))
    items = list(assistant.stream("Who led the first meeting at UN Headquarters?"))
    answer = items[-1]
    assert isinstance(answer, Answer) and answer.backend == "generative"
    assert any(isinstance(i, str) for i in items[:-1])
    assert "bicycles" not in answer.text  # unsupported sentence dropped
    assert answer.notes
    _assert_verbatim_generative(answer)


def _assert_verbatim_generative(answer: Answer) -> None:
    for c in answer.citations:
        assert c.passage[c.span[0] : c.span[1]] == c.sentence
        assert f"[{c.number}]" in answer.text


def test_cli_json_validates_against_the_documented_schema(indexed, monkeypatch, capsys):
    monkeypatch.setenv("PANEL_DATA_DIR", str(indexed.data_dir))
    assert assistant_main(["--json", "Who led the first meeting at UN Headquarters?"]) == 0
    data = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, SCHEMA)
    assert data["citations"][0]["sentence"] in data["text"]
    assert data["status"] == "answered"
    assert assistant_main(["--json", "Who won the 1998 football World Cup final?"]) == 0
    data = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, SCHEMA)
    assert data["abstained"] is True
    assert data["status"] == "not_covered"


def test_an_answer_status_follows_abstained_and_refuses_a_contradiction():
    """Saved conversations from before ``status`` existed load with the status their answers had."""
    assert Answer(question="q", text="t", abstained=True, citations=[], passages=[]).status == "not_covered"
    assert Answer(question="q", text="t", abstained=False, citations=[], passages=[]).status == "answered"
    assert Answer(question="q", text="t", abstained=False, citations=[], passages=[], status="uncertain").status
    with pytest.raises(ValueError, match="disagrees"):
        Answer(question="q", text="t", abstained=False, citations=[], passages=[], status="not_covered")
    with pytest.raises(ValueError, match="unknown answer status"):
        Answer(question="q", text="t", abstained=False, citations=[], passages=[], status="sure")


def test_cli_prints_numbered_sources(indexed, monkeypatch, capsys):
    monkeypatch.setenv("PANEL_DATA_DIR", str(indexed.data_dir))
    assert assistant_main(["What was the second meeting's call for contributions yield?"]) == 0
    out = capsys.readouterr().out
    assert "Sources:" in out or "Closest matches" in out
    assert "[1]" in out


def test_cli_on_an_empty_index_says_how_to_fill_it(tmp_path, monkeypatch, capsys):
    """The library never imports ``ingest``: on an empty index the CLI names the command that fills it."""
    monkeypatch.setenv("PANEL_DATA_DIR", str(tmp_path / "data"))
    assert assistant_main(["Who co-chaired the panel?"]) == 2
    captured = capsys.readouterr()
    assert "python -m ingest" in captured.err and captured.out == ""


def test_follow_up_after_an_abstention_ignores_the_abstention_text():
    from assistant.reading.follow_up import retrieval_query

    history = [("What was the panel's budget?", NOT_COVERED)]
    query = retrieval_query("And who paid for it?", history)
    assert query.startswith("And who paid for it?") and "budget" in query
    assert "cover" not in query


# --- answer shapes: what a reader sees first -------------------------------------------------------


def test_list_question_gets_the_whole_list_each_item_cited(assistant):
    answer = assistant.ask("What were the nine enablers of digital cooperation?")
    assert answer.kind == "list"
    lines = [line for line in answer.text.splitlines() if line.strip()]
    assert lines[0].rstrip().endswith("[1]") and "enablers" in lines[0]  # the lead-in first
    items = lines[1:]
    assert len(items) == 9 and all(line.split(" ", 1)[0].rstrip(".").isdigit() for line in items)
    assert "Leadership and political will" in items[0] and "Capacity" in items[8]
    _assert_verbatim(answer)
    cited = {c.passage_id for c in answer.citations}
    assert cited <= {p.id for p in answer.passages}  # every cited passage is offered to open


def test_reason_question_quotes_the_announced_reason_with_its_continuation(assistant):
    answer = assistant.ask("Why did Guterres set up the panel?")
    assert answer.kind == "reason" and not answer.abstained
    first = answer.citations[0].sentence
    assert "The reason for such panel is clear." in first and "warp speed" in first  # not cut after "clear."
    _assert_verbatim(answer)


def test_summary_is_grouped_by_document_under_its_title(assistant):
    answer = assistant.ask("Summarize what happened at the second meeting.")
    assert answer.kind == "summary" and not answer.abstained
    assert answer.text.startswith("**")
    titles = [line.strip("*") for line in answer.text.splitlines() if line.startswith("**")]
    assert titles and all(t in {c.title for c in answer.citations} for t in titles)
    bullets = [line for line in answer.text.splitlines() if line.startswith("- ")]
    assert 3 <= len(bullets) <= assistant.settings.summary_units
    _assert_verbatim(answer)


def test_headings_are_never_quoted(assistant):
    for question in ("Human rights impact", "What is digital cooperation?", "Next steps after the second meeting"):
        answer = assistant.ask(question)
        quoted = {c.sentence.strip() for c in answer.citations}
        assert not quoted & {"Human rights impact", "‘Digital cooperation’", "Next Steps"}, question


def test_topic_shift_is_not_rewritten(assistant):
    answer = assistant.ask("Why did Guterres set up the panel?", history=["What did Jack Ma say about education?"])
    assert answer.query == answer.question


def test_speaker_and_topic_that_never_meet_are_refused_and_explained(assistant):
    refused = assistant.ask("What did Melinda Gates say about migration?")
    assert refused.abstained and refused.citations == []
    assert "Melinda Gates" in refused.abstention_reason and "migration" in refused.abstention_reason
    answered = assistant.ask("What did Guterres say about migration?")  # his quotation, named where it began
    assert not answered.abstained
    assert "migration is inevitable" in answered.citations[0].sentence


def test_answering_about_a_list_item_by_its_ordinal(assistant):
    enablers = "What were the nine enablers of digital cooperation that came out of the consultations?"
    listed = assistant.ask(enablers)
    answer = assistant.ask("What did the consultations find about the eighth one?", history=[(enablers, listed.text)])
    assert not answer.abstained
    assert "trust deficit disorder" in answer.citations[0].sentence
    assert answer.text.count("trust deficit disorder") == 1  # the item once, not again inside a longer quote


def test_who_wrote_an_article_quotes_its_byline(assistant):
    answer = assistant.ask("Who wrote the WACC article about the panel's report?")
    assert not answer.abstained
    assert "by Marites N. Sison" in answer.citations[0].sentence
    _assert_verbatim(answer)


def test_who_wrote_a_document_without_a_byline_is_not_answered(assistant):
    answer = assistant.ask("Who wrote the press release on the panel's first meeting?")
    assert answer.abstained and "byline" in answer.abstention_reason


def test_summary_of_an_event_reads_the_document_about_it(assistant):
    """The second meeting's summary mentions the first meeting more often than the press release
    does; a summary of the first meeting still reads the press release."""
    answer = assistant.ask("What happened when the panel met for the first time?")
    assert answer.kind == "summary" and not answer.abstained
    assert {c.doc_id for c in answer.citations} == {"2018-09-first-meeting-press-release"}
    _assert_verbatim(answer)


def test_summary_of_an_article_named_by_its_publisher(assistant):
    answer = assistant.ask("What are the main points of the WACC article?")
    assert {c.doc_id for c in answer.citations} == {"2019-06-report-launch-wacc-article"}


def test_reason_answer_brings_the_sentence_that_grounds_the_claim(assistant):
    answer = assistant.ask("Why does the report say much more must be done to protect people's privacy?")
    assert answer.kind == "reason" and not answer.abstained
    first = answer.citations[0].sentence
    assert "safeguard people’s right to privacy" in first and "little or no meaningful understanding" in first
    _assert_verbatim(answer)


def test_summary_of_a_document_its_title_names_reads_only_that_document(assistant):
    answer = assistant.ask(
        "Can you give me a short summary of the announcement of the High-level Panel on Digital Cooperation?"
    )
    assert answer.kind == "summary" and not answer.abstained
    assert len(answer.citations) >= 3
    assert {c.doc_id for c in answer.citations} == {"2018-07-panel-announcement-news"}
