"""Chat callbacks: questions are queued and answered one after another; conversations are kept.

Each browser tab has one ``ChatSession`` (a ``gr.State``, so every event of the tab sees the same
object): the open conversation, the questions waiting, whether an answer is streaming, and a stop
flag. Sending while an answer streams adds to the queue and clears the box (the question shows as
waiting); ``drain`` answers the queue in order, and a second ``drain`` started meanwhile returns at
once. Stop ends the streaming answer (what arrived is kept, marked stopped); Regenerate re-asks the
last question in its place. Every finished answer is saved (``ui/conversations.py``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from assistant.answer import Answer
from assistant.store.outage import StoreUnavailableError
from ui import cards, render
from ui.conversations import KEY, Conversation, ConversationStore, Turn, new_owner
from ui.services import Services

log = logging.getLogger("ui.chat")

#: Shown on an empty chat; clicking one asks it.
EXAMPLE_QUESTIONS = [
    "Who led the first meeting at UN Headquarters?",
    "What did Guterres describe as the dark side of innovation?",
    "How can the public take part in the panel's work?",
    "Which principles should digital cooperation rest on?",
    "What did Jack Ma warn could happen to companies that neglect privacy?",
]

STORE_DOWN = "The document store is not reachable right now; ask again in a moment."
FAILED = "This question could not be answered (the details are in the server log). Press Regenerate to try again."


@dataclass
class Ask:
    """A question waiting to be answered, with the options it was asked under."""

    question: str
    doc_ids: list[str] = field(default_factory=list)
    scope: list[str] = field(default_factory=list)
    k: int | None = None
    replace_last: bool = False  # Regenerate: the answer replaces the conversation's last one


@dataclass
class ChatSession:
    owner: str
    conversation: Conversation
    queue: list[Ask] = field(default_factory=list)
    busy: bool = False
    stop: bool = False


class ChatHandlers:
    def __init__(self, services: Services, store: ConversationStore | None = None) -> None:
        self.services = services
        self.store = store or ConversationStore(services.settings.data_dir / "conversations")

    # --- what the page shows ---------------------------------------------------------------

    def views(self, session: ChatSession) -> tuple:
        """(chatbot, sources, export, conversation list, title box, chat status, stop, regenerate)."""
        conv = session.conversation
        queued = [a.question for a in session.queue if not a.replace_last]
        choices = self.store.list(session.owner)
        if conv.id not in {cid for _, cid in choices}:
            choices = [(conv.label, conv.id), *choices]
        return (
            render.chat_messages(conv.turns, None, "", queued),
            cards.sources_html(conv.turns, self.deleted_documents(conv.turns)),
            gr.update(value=self.export(conv), interactive=bool(conv.turns)),
            gr.update(choices=choices, value=conv.id),
            conv.title,
            self.status_html(session),
            gr.update(interactive=session.busy),
            gr.update(interactive=bool(conv.turns) and not session.busy),
        )

    def deleted_documents(self, turns: list[Turn]) -> set[str]:
        """Ids of documents the turns cite that are no longer in the index (their cards offer no page)."""
        cited = {c.doc_id for t in turns for c in t.answer.citations}
        if not cited:
            return set()
        try:
            live = {d.doc_id for d in self.services.ingester.documents()}
        except Exception:  # the list could not be read: show the cards as they were
            log.exception("listing documents for the sources panel failed")
            return set()
        return cited - live

    def sources_view(self, session: ChatSession | None):
        """The sources panel again (after a document was deleted, its cards say so)."""
        if session is None:
            return gr.skip()
        turns = session.conversation.turns
        return cards.sources_html(turns, self.deleted_documents(turns))

    @staticmethod
    def status_html(session: ChatSession) -> str:
        if not session.busy:
            return ""
        waiting = len(session.queue)
        more = f" · {waiting} more question{'s' if waiting != 1 else ''} waiting" if waiting else ""
        return (f'<div class="chat-busy">Answering{more}. You can keep typing: what you send now is '
                f"asked next. <b>Stop</b> ends this answer.</div>")

    def export(self, conversation: Conversation) -> str | None:
        """Write the conversation as Markdown with its sources; the path feeds the download button."""
        if not conversation.turns:
            return None
        path = self.services.exports_dir / uuid.uuid4().hex[:8] / "conversation.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render.conversation_markdown(conversation.turns, conversation.label), encoding="utf-8")
        return str(path)

    # --- opening, switching ---------------------------------------------------------------

    def restore(self, browser: dict[str, Any] | None) -> tuple:
        """On page load: the browser's key and its current conversation, or a new one."""
        browser = dict(browser or {})
        owner = str(browser.get("owner") or "")
        if not KEY.match(owner):  # first visit, or a value this server never made
            owner = new_owner()
        conversation = self.store.load(owner, browser.get("current") or "") or Conversation()
        session = ChatSession(owner, conversation)
        return (session, {"owner": owner, "current": conversation.id}, *self.views(session))

    def _busy(self, session: ChatSession | None) -> bool:
        if session is None:
            gr.Warning("The page is still loading; try again in a moment.")
            return True
        if session.busy or session.queue:
            gr.Warning("An answer is still coming: wait for it or press Stop first.")
            return True
        return False

    def _switch(self, session: ChatSession, conversation: Conversation) -> tuple:
        session.conversation = conversation
        return ({"owner": session.owner, "current": conversation.id}, *self.views(session))

    def new(self, session: ChatSession | None) -> tuple:
        if self._busy(session):
            return (gr.skip(),) * 9
        return self._switch(session, Conversation())

    def open(self, conversation_id: str | None, session: ChatSession | None) -> tuple:
        if self._busy(session) or not conversation_id or conversation_id == session.conversation.id:
            return (gr.skip(),) * 9
        conversation = self.store.load(session.owner, conversation_id)
        if conversation is None:
            gr.Warning("That conversation is gone (deleted in another tab?).")
            return self._switch(session, session.conversation)
        return self._switch(session, conversation)

    def rename(self, title: str | None, session: ChatSession | None) -> tuple:
        if session is None:
            return (gr.skip(),) * 9
        title = " ".join((title or "").split())[:120]
        if not title:  # said in the page, and the box shows the name the conversation keeps
            gr.Warning("Type a name for the conversation first.")
            return self._switch(session, session.conversation)
        session.conversation.title = title
        if session.conversation.turns:
            self.store.save(session.owner, session.conversation)
        gr.Info(f"Renamed to “{title}”.")
        return self._switch(session, session.conversation)

    def delete(self, confirmed: str | None, session: ChatSession | None) -> tuple:
        """Delete the open conversation; ``confirmed`` is "yes" once the browser's dialog (naming it) agreed."""
        if confirmed != "yes" or self._busy(session):
            return (gr.skip(),) * 9
        label = session.conversation.label
        self.store.delete(session.owner, session.conversation.id)
        gr.Info(f"Deleted the conversation “{label}”.")
        remaining = self.store.list(session.owner)
        nxt = self.store.load(session.owner, remaining[0][1]) if remaining else None
        return self._switch(session, nxt or Conversation())

    # --- asking ---------------------------------------------------------------------------

    def _scope_titles(self, doc_ids: list[str]) -> list[str]:
        if not doc_ids:
            return []
        try:
            labels = dict((d, label) for label, d in render.document_choices(self.services.ingester.documents()))
        except Exception:
            log.exception("listing documents for the scope failed")
            labels = {}
        return [labels.get(d, d) for d in doc_ids]

    def enqueue(self, question: str | None, session: ChatSession | None, scope: list[str] | None,
                k: float | None) -> tuple:
        """(question box, chatbot, chat status): the question joins the queue; the box is emptied."""
        question = (question or "").strip()
        if not question:
            return gr.skip(), gr.skip(), gr.skip()
        if session is None:
            gr.Warning("The page is still loading; your question is still in the box.")
            return gr.skip(), gr.skip(), gr.skip()
        doc_ids = list(scope or [])
        session.queue.append(Ask(question, doc_ids, self._scope_titles(doc_ids), int(k) if k else None))
        if session.busy:
            return "", gr.skip(), self.status_html(session)
        return "", render.chat_messages(session.conversation.turns, question, ""), gr.skip()

    def regenerate(self, session: ChatSession | None) -> tuple:
        if session is None or not session.conversation.turns:
            return gr.skip(), gr.skip(), gr.skip()
        last = session.conversation.turns[-1]
        session.queue.append(Ask(last.answer.question, last.doc_ids, last.scope, last.k, replace_last=True))
        return gr.skip(), gr.skip(), self.status_html(session)

    def stop(self, session: ChatSession | None) -> None:
        if session is not None and session.busy:
            session.stop = True

    def drain(self, session: ChatSession | None) -> Iterator[tuple]:
        """Answer the queued questions in order, streaming each; yields ``views``."""
        if session is None or session.busy or not session.queue:
            yield (gr.skip(),) * 8
            return
        session.busy = True
        try:
            while session.queue:
                ask = session.queue.pop(0)
                conv = session.conversation
                replacing = ask.replace_last and bool(conv.turns)
                shown = conv.turns[:-1] if replacing else conv.turns
                history = Conversation(turns=list(shown)).history()
                session.stop = False
                partial, final = "", None
                yield self._streaming(session, shown, ask.question, partial)
                try:
                    stream = self.services.assistant.stream(ask.question, history, k=ask.k,
                                                            doc_ids=ask.doc_ids or None)
                    for item in stream:
                        if session.stop:
                            break
                        if isinstance(item, Answer):
                            final = item
                        else:
                            partial += item
                            yield self._streaming(session, shown, ask.question, partial)
                except StoreUnavailableError as exc:  # a lost Chroma server: say so, not "an error"
                    log.warning("answering %r: %s", ask.question, exc)
                    gr.Warning(STORE_DOWN)
                    partial = STORE_DOWN
                except Exception:
                    log.exception("answering %r failed", ask.question)
                    gr.Warning("Sorry, that question could not be answered (the details are in the server log).")
                    partial = FAILED
                if final is not None:
                    turn = Turn(final, ask.scope, ask.doc_ids, ask.k)
                else:
                    stopped = Answer(question=ask.question, text=partial, abstained=False, citations=[], passages=[])
                    turn = Turn(stopped, ask.scope, ask.doc_ids, ask.k, stopped=True)
                if replacing and final is None:
                    pass  # a stopped or failed regeneration keeps the answer it was to replace
                elif replacing:
                    conv.turns[-1] = turn
                else:
                    conv.add(turn)
                self._save(session, conv)
                if session.queue:
                    yield self.views(session)
        finally:
            session.busy = False
            session.stop = False
        yield self.views(session)

    def _streaming(self, session: ChatSession, shown: list[Turn], question: str, partial: str) -> tuple:
        queued = [a.question for a in session.queue if not a.replace_last]
        return (
            render.chat_messages(shown, question, partial, queued), gr.skip(), gr.skip(), gr.skip(), gr.skip(),
            self.status_html(session), gr.update(interactive=True), gr.update(interactive=False),
        )

    def _save(self, session: ChatSession, conversation: Conversation) -> None:
        try:
            self.store.save(session.owner, conversation)
        except OSError:
            log.exception("saving conversation %s failed", conversation.id)
            gr.Warning("The conversation could not be saved (the details are in the server log).")

    @staticmethod
    def pick_example(evt: gr.SelectData) -> str:
        value = evt.value
        return value.get("text", "") if isinstance(value, dict) else str(value or "")
