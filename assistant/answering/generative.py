"""The optional generative answerer: any LangChain chat model writes the answer, ``checking`` vets it.

Why LangChain's chat-model interface: one class covers every OpenAI-compatible server (Ollama,
llama.cpp, vLLM, hosted APIs) and tests pass LangChain's fake chat models instead of a server.
The model is told to cite ``[n]`` after every sentence, but nothing it writes reaches the user
unchecked: see ``assistant.answering.checking``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from assistant.answer import Passage
from assistant.answering.base import Draft
from assistant.answering.checking import MIN_SUPPORT, abstain, check_answer
from assistant.answering.evidence import ScoredSentence

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from assistant.settings import Settings

NOT_IN_DOCUMENTS = "NOT IN THE DOCUMENTS"
LIST_LINES = 10  # lines a list or summary answer may hold

SYSTEM_PROMPT = f"""You answer questions about documents, using only the numbered passages the user gives you.
Rules:
1. Use only facts stated in the passages. Never add outside knowledge.
2. After every sentence put the number(s) of the passage(s) it rests on in square brackets, e.g. [1] or [1][3].
3. If the passages do not contain the answer, reply exactly: {NOT_IN_DOCUMENTS}
4. {{shape}}
Example of the format (for other passages): The bridge opened in 1932 [2]. It carries six lanes [1][3]."""


def format_passages(passages: list[Passage]) -> str:
    """``[n] (title, p. N) text`` blocks: the numbers the model must cite."""
    return "\n\n".join(f"[{i}] ({p.location}) {p.text.strip()}" for i, p in enumerate(passages, start=1))


#: How the answer should be laid out, per question kind (``assistant.reading.kind``), and per form
#: read from the question here (yes/no, comparison) or given as parts.
SHAPES = {
    "yesno": "Answer yes or no first, then the sentence that settles it. At most {n} short sentences.",
    "comparison": "Compare side by side: one line per side starting with '- ', each with its citation.",
    "factoid": "Answer in the first sentence. At most {n} short sentences, no introduction, no summary.",
    "reason": "Give the reason in the first sentence, then what explains it. At most {n} short sentences.",
    "list": "Give every item the passages list, one per line starting with '- ', each with its citation.",
    "summary": "Summarise the main points as up to {n} lines starting with '- ', each with its citation.",
}


_YES_NO = re.compile(r"^(?:is|are|was|were|do|does|did|can|could|will|would|has|have|had|should)\b", re.I)
_COMPARISON = re.compile(r"\b(?:compare|comparison|differ|difference|versus|vs\.?)\b", re.I)


def shape_of(question: str, kind: str) -> str:
    """The shape to ask for: the question's kind, or yes/no and comparison read from its wording."""
    if kind == "factoid" and _YES_NO.match(question.strip()):
        return "yesno"
    if _COMPARISON.search(question):
        return "comparison"
    return kind


def build_messages(
    question: str, passages: list[Passage], max_sentences: int = 5, kind: str = "factoid",
    parts: list[str] | None = None,
) -> list[BaseMessage]:
    """System rules (with the answer shape the question's kind asks for), then passages and question.

    ``parts`` (a two-part question's questions) are listed so that the model answers each."""
    shape = SHAPES.get(shape_of(question, kind), SHAPES["factoid"]).format(n=max_sentences)
    if parts and len(parts) > 1:
        shape += " The question has parts; answer each in turn: " + " | ".join(p.strip() for p in parts)
    user = f"Passages:\n\n{format_passages(passages)}\n\nQuestion: {question.strip()}"
    return [SystemMessage(SYSTEM_PROMPT.format(shape=shape)), HumanMessage(user)]


class GenerativeAnswerer:
    """Answers with a chat model and keeps only the sentences the passages they cite support."""

    name = "generative"
    #: The model reads near-topic questions the offline scorer would refuse; it may say NOT IN THE DOCUMENTS.
    reads_near_topic = True

    def __init__(
        self, chat_model: BaseChatModel, max_sentences: int = 5, min_support: float = MIN_SUPPORT,
        label: str | None = None,
    ):
        self.chat_model = chat_model
        self.max_sentences = max_sentences
        self.min_support = min_support
        model = getattr(chat_model, "model_name", None) or type(chat_model).__name__
        where = getattr(chat_model, "openai_api_base", None)
        self.label = label or (f"language model {model}" + (f" at {where}" if where else ""))

    def answer(
        self, question: str, passages: list[Passage], evidence: list[ScoredSentence] | None = None,
        kind: str = "factoid", parts: list[str] | None = None,
    ) -> Draft:
        """``evidence`` is unused: the model reads the passages themselves."""
        if not passages:
            return abstain(["no passages to answer from"])
        reply = self.chat_model.invoke(build_messages(question, passages, self._limit(kind), kind, parts))
        return self.check(reply.text, passages, kind)

    def stream(
        self, question: str, passages: list[Passage], evidence: list[ScoredSentence] | None = None,
        kind: str = "factoid", parts: list[str] | None = None,
    ) -> Iterator[str | Draft]:
        """Raw text pieces as the model writes them, then the checked ``Draft`` that replaces them."""
        if not passages:
            yield abstain(["no passages to answer from"])
            return
        pieces: list[str] = []
        for chunk in self.chat_model.stream(build_messages(question, passages, self._limit(kind), kind, parts)):
            piece = chunk.text
            if piece:
                pieces.append(piece)
                yield piece
        yield self.check("".join(pieces), passages, kind)

    def _limit(self, kind: str) -> int:
        return max(self.max_sentences, LIST_LINES) if kind in ("list", "summary") else self.max_sentences

    def check(self, output: str, passages: list[Passage], kind: str = "factoid") -> Draft:
        """The output check is the same for every kind; lists and summaries may only be longer."""
        t0 = time.perf_counter()
        draft = check_answer(output, passages, max_sentences=self._limit(kind), min_support=self.min_support)
        draft.check_seconds = time.perf_counter() - t0
        return draft


def chat_model_from_settings(settings: Settings, max_tokens: int | None = 512) -> BaseChatModel:
    """A streaming ``ChatOpenAI`` for the endpoint in settings; ``max_tokens`` bounds a rambling model."""
    from langchain_openai import ChatOpenAI  # imported here: only the generative backend needs it

    return ChatOpenAI(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key.get_secret_value(),
        temperature=settings.llm_temperature,
        timeout=settings.llm_timeout,
        max_tokens=max_tokens,
        streaming=True,
    )
