"""Chat tab callbacks: stream an answer, keep the conversation, render sources, export it."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import gradio as gr

from assistant.answer import Answer
from ui import render
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


def history_of(answers: list[Answer]) -> list[tuple[str, str]]:
    """What the assistant needs of the conversation so far: (question, answer text) pairs."""
    return [(a.question, a.text) for a in answers]


class ChatHandlers:
    def __init__(self, services: Services) -> None:
        self.services = services

    def respond(
        self, question: str, answers: list[Answer] | None, scope: list[str] | None, k: float | None
    ) -> Iterator[tuple]:
        """Yields (chatbot, sources, answers state, textbox, export button) as the answer streams in."""
        answers = list(answers or [])
        question = (question or "").strip()
        if not question:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        partial = ""
        yield render.chat_messages(answers, question, partial), gr.skip(), answers, "", gr.skip()
        final: Answer | None = None
        try:
            stream = self.services.assistant.stream(
                question, history_of(answers), k=int(k) if k else None, doc_ids=list(scope or []) or None
            )
            for item in stream:
                if isinstance(item, Answer):
                    final = item
                else:
                    partial += item
                    yield render.chat_messages(answers, question, partial), gr.skip(), answers, gr.skip(), gr.skip()
        except Exception:
            log.exception("answering %r failed", question)
            gr.Warning("Sorry, that question could not be answered (the details are in the server log).")
            yield render.chat_messages(answers), gr.skip(), answers, question, gr.skip()
            return
        if final is None:  # a stream always ends with its Answer; guard anyway
            log.error("the answer stream for %r ended without an Answer", question)
            gr.Warning("Sorry, no answer came back (the details are in the server log).")
            yield render.chat_messages(answers), gr.skip(), answers, question, gr.skip()
            return
        answers.append(final)
        yield (
            render.chat_messages(answers), render.sources_html(answers), answers, "",
            gr.update(value=self.export(answers), interactive=True),
        )

    def export(self, answers: list[Answer]) -> str | None:
        """Write the conversation as Markdown with its sources; the path feeds the download button."""
        if not answers:
            return None
        path = self.services.exports_dir / uuid.uuid4().hex[:8] / "conversation.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render.conversation_markdown(answers), encoding="utf-8")
        return str(path)

    @staticmethod
    def pick_example(evt: gr.SelectData) -> str:
        value = evt.value
        return value.get("text", "") if isinstance(value, dict) else str(value or "")

    @staticmethod
    def clear() -> tuple:
        return [], render.sources_html([]), [], gr.update(value=None, interactive=False)
