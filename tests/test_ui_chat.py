"""Conversations kept on the server, and the chat's queue, Stop and Regenerate, with a fake assistant."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant.answer import Answer, Citation
from assistant.store.outage import StoreUnavailableError
from ui.chat import ChatHandlers, ChatSession
from ui.conversations import Conversation, ConversationStore, Turn, answer_from_dict, answer_to_dict, new_owner


def cited(question: str, text: str | None = None) -> Answer:
    passage = f"Intro. {question} is answered here. Outro."
    sentence = f"{question} is answered here."
    start = passage.index(sentence)
    citation = Citation(1, "doc", "Doc", "corpus/doc.md", None, "p1", passage, sentence, (start, start + len(sentence)))
    return Answer(question=question, text=text or f"{sentence} [1]", abstained=False, citations=[citation],
                  passages=[])


class FakeAssistant:
    """Streams ``pieces`` words of an answer, each after ``delay`` seconds; records what it was asked."""

    backend = "fake"

    def __init__(self, pieces: int = 3, delay: float = 0.0, fail_on: str = "") -> None:
        self.pieces, self.delay, self.fail_on = pieces, delay, fail_on
        self.asked: list[tuple[str, list, list | None]] = []
        self.streaming = threading.Event()

    def stream(self, question, history=None, k=None, doc_ids=None):
        self.asked.append((question, list(history or []), doc_ids))
        if question == self.fail_on:
            raise RuntimeError("boom")
        if question == "Store down?":
            raise StoreUnavailableError("the document store at 127.0.0.1:1 is not reachable")
        for i in range(self.pieces):
            self.streaming.set()
            time.sleep(self.delay)
            yield f"word{i} "
        yield cited(question)


def handlers(tmp_path: Path, assistant: FakeAssistant) -> ChatHandlers:
    services = SimpleNamespace(
        assistant=assistant, exports_dir=tmp_path / "exports",
        settings=SimpleNamespace(data_dir=tmp_path / "data"),
        ingester=SimpleNamespace(documents=lambda: [SimpleNamespace(doc_id="d1", title="First doc",
                                                                    sources=["corpus/d1.md"])]),
    )
    return ChatHandlers(services)


def run(chat: ChatHandlers, session: ChatSession) -> list[tuple]:
    return list(chat.drain(session))


# --- the store ------------------------------------------------------------------------------

def test_conversation_round_trips_with_its_sources(tmp_path: Path):
    store = ConversationStore(tmp_path)
    owner = new_owner()
    conv = Conversation()
    conv.add(Turn(cited("Who led the meeting?"), scope=["Doc"], doc_ids=["doc"], k=4))
    store.save(owner, conv)
    again = store.load(owner, conv.id)
    assert again.title == "Who led the meeting?"
    turn = again.turns[0]
    assert turn.scope == ["Doc"] and turn.doc_ids == ["doc"] and turn.k == 4
    c = turn.answer.citations[0]
    assert c.passage[c.span[0]:c.span[1]] == c.sentence and isinstance(c.span, tuple)


def test_answers_from_older_or_newer_versions_still_load():
    data = answer_to_dict(cited("Q?"))
    data["kind"] = "list"  # a field this version may not know yet
    data["citations"][0]["future"] = 1
    del data["timings"]
    answer = answer_from_dict(data)
    assert answer.question == "Q?" and answer.citations[0].number == 1


def test_list_is_newest_first_and_rename_and_delete_work(tmp_path: Path):
    store = ConversationStore(tmp_path)
    owner = new_owner()
    first, second = Conversation(), Conversation()
    first.add(Turn(cited("First?")))
    second.add(Turn(cited("Second?")))
    second.updated = first.updated + 10
    store.save(owner, first)
    store.save(owner, second)
    assert [title for title, _ in store.list(owner)] == ["Second?", "First?"]
    store.rename(owner, first.id, "  My   first  ")
    assert store.load(owner, first.id).title == "My first"
    assert store.delete(owner, second.id)
    assert store.list(owner) == [("My first", first.id)]
    assert store.list(new_owner()) == []  # another browser sees none of them


@pytest.mark.parametrize("bad", ["../../etc", "", "short", "a/b" * 10, "x" * 65])
def test_keys_from_a_browser_cannot_reach_other_files(tmp_path: Path, bad: str):
    store = ConversationStore(tmp_path / "conversations")
    (tmp_path / "secret.json").write_text(json.dumps({"id": "x"}))
    assert store.load(bad, "secret") is None and store.list(bad) == []
    with pytest.raises(ValueError):
        store.save(new_owner(), Conversation(id=bad))


def test_unreadable_file_is_skipped_not_fatal(tmp_path: Path):
    store = ConversationStore(tmp_path)
    owner = new_owner()
    conv = Conversation()
    conv.add(Turn(cited("Kept?")))
    store.save(owner, conv)
    (tmp_path / owner / ("b" * 32 + ".json")).write_text("{not json")
    assert store.list(owner) == [("Kept?", conv.id)]


# --- the chat -------------------------------------------------------------------------------

def test_reload_restores_the_current_conversation(tmp_path: Path):
    chat = handlers(tmp_path, FakeAssistant())
    session, browser, *_ = chat.restore(None)
    chat.enqueue("Who?", session, [], None)
    run(chat, session)
    # a reload: a new handler over the same data dir, the browser's stored pointer
    again, browser2, chatbot, *_ = handlers(tmp_path, FakeAssistant()).restore(browser)
    assert browser2 == browser and again.owner == session.owner
    assert [t.answer.question for t in again.conversation.turns] == ["Who?"]
    assert "Who? is answered here." in str(chatbot)


def test_questions_sent_while_answering_are_queued_and_answered_in_order(tmp_path: Path):
    fake = FakeAssistant(pieces=10, delay=0.05)
    chat = handlers(tmp_path, fake)
    session = chat.restore(None)[0]
    box, _, _ = chat.enqueue("First?", session, ["d1"], 3)
    assert box == ""
    outputs = []
    worker = threading.Thread(target=lambda: outputs.extend(run(chat, session)))
    worker.start()
    assert fake.streaming.wait(5)
    box, _, status = chat.enqueue("Second?", session, [], None)  # while the first streams
    assert box == "" and "1 more question waiting" in status
    assert len(run(chat, session)) == 1  # a second drain returns at once, leaving the queue to the first
    assert [a.question for a in session.queue] == ["Second?"]
    worker.join(10)
    turns = session.conversation.turns
    assert [t.answer.question for t in turns] == ["First?", "Second?"]
    assert turns[0].scope == ["First doc"] and turns[0].doc_ids == ["d1"] and turns[0].k == 3
    assert fake.asked[1][1] == [("First?", turns[0].answer.text)]  # the follow-up carries the history
    assert not session.busy


def test_stop_keeps_what_arrived_and_the_next_question_still_runs(tmp_path: Path):
    fake = FakeAssistant(pieces=50, delay=0.02)
    chat = handlers(tmp_path, fake)
    session = chat.restore(None)[0]
    chat.enqueue("Long?", session, [], None)
    chat.enqueue("After?", session, [], None)
    worker = threading.Thread(target=lambda: run(chat, session))
    worker.start()
    assert fake.streaming.wait(5)
    time.sleep(0.1)
    chat.stop(session)
    worker.join(10)
    first, second = session.conversation.turns
    assert first.stopped and first.answer.text.startswith("word0") and not first.answer.citations
    assert not second.stopped and second.answer.question == "After?"
    assert fake.asked[1][1] == []  # a stopped answer is not history


def test_regenerate_replaces_the_last_answer_with_the_same_options(tmp_path: Path):
    fake = FakeAssistant()
    chat = handlers(tmp_path, fake)
    session = chat.restore(None)[0]
    chat.enqueue("One?", session, [], None)
    chat.enqueue("Two?", session, ["d1"], 5)
    run(chat, session)
    chat.regenerate(session)
    run(chat, session)
    turns = session.conversation.turns
    assert [t.answer.question for t in turns] == ["One?", "Two?"]
    assert fake.asked[-1] == ("Two?", [("One?", turns[0].answer.text)], ["d1"])
    assert turns[1].k == 5


def test_a_failing_answer_keeps_the_question_and_says_so(tmp_path: Path):
    chat = handlers(tmp_path, FakeAssistant(fail_on="Broken?"))
    session = chat.restore(None)[0]
    chat.enqueue("Broken?", session, [], None)
    run(chat, session)
    (turn,) = session.conversation.turns
    assert turn.stopped and turn.answer.question == "Broken?" and "Regenerate" in turn.answer.text
    assert not session.busy


def test_a_lost_store_is_named_as_such(tmp_path: Path):
    chat = handlers(tmp_path, FakeAssistant())
    session = chat.restore(None)[0]
    chat.enqueue("Store down?", session, [], None)
    run(chat, session)
    (turn,) = session.conversation.turns
    assert "document store is not reachable" in turn.answer.text and not session.busy


def test_switching_new_rename_and_delete(tmp_path: Path):
    chat = handlers(tmp_path, FakeAssistant())
    session = chat.restore(None)[0]
    chat.enqueue("Old one?", session, [], None)
    run(chat, session)
    old_id = session.conversation.id
    browser, *views = chat.new(session)
    assert session.conversation.turns == [] and browser["current"] == session.conversation.id != old_id
    listed = views[3]["choices"]
    assert ("Old one?", old_id) in listed
    chat.open(old_id, session)
    assert session.conversation.id == old_id
    chat.rename("Renamed", session)
    assert chat.store.load(session.owner, old_id).title == "Renamed"
    chat.delete("", session)  # the confirmation was cancelled
    assert chat.store.load(session.owner, old_id) is not None
    chat.delete("yes", session)
    assert chat.store.load(session.owner, old_id) is None and session.conversation.turns == []


def test_export_is_the_open_conversation(tmp_path: Path):
    chat = handlers(tmp_path, FakeAssistant())
    session = chat.restore(None)[0]
    chat.enqueue("Exported?", session, [], None)
    outputs = run(chat, session)
    export = outputs[-1][2]["value"]
    text = Path(export).read_text(encoding="utf-8")
    assert "# Exported?" in text and "## Q1. Exported?" in text and "> “Exported? is answered here.”" in text
