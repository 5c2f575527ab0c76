"""Conversations kept on the server, under ``$PANEL_DATA_DIR/conversations/<owner>/<id>.json``.

The owner is a random key the browser keeps (``gr.BrowserState``), so a reload, or a restart of the
server, finds the browser's conversations again, and one browser never lists another's. Each file
is the whole conversation: its turns are full ``Answer`` records (citations, passages), so an old
answer's sources and pages can still be shown. Files are written to a temporary name and renamed,
so a crash never leaves half a conversation.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import time
import uuid
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from assistant.answer import Answer, Citation, Passage

log = logging.getLogger("ui.conversations")

#: Owner keys and conversation ids are made here; anything else from a browser is refused.
KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
TITLE_CHARS = 60


def new_owner() -> str:
    return secrets.token_urlsafe(18)


def _known(cls, data: dict[str, Any]) -> dict[str, Any]:
    """Only the fields ``cls`` has: records written by an older or newer ``Answer`` still load."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def answer_from_dict(data: dict[str, Any]) -> Answer:
    citations = [Citation(**{**_known(Citation, c), "span": tuple(c.get("span") or (0, 0))})
                 for c in data.get("citations", [])]
    passages = [Passage(**_known(Passage, p)) for p in data.get("passages", [])]
    return Answer(**{**_known(Answer, data), "citations": citations, "passages": passages})


def answer_to_dict(answer: Answer) -> dict[str, Any]:
    data = asdict(answer)
    for p in data["passages"]:
        p.pop("metadata", None)  # retrieval internals; not needed to show the answer again
    return data


@dataclass
class Turn:
    """One question and its answer, with what the answer was limited to."""

    answer: Answer
    scope: list[str] = field(default_factory=list)  # titles of the documents the answer was limited to
    doc_ids: list[str] = field(default_factory=list)
    k: int | None = None
    stopped: bool = False  # Stop was pressed: ``answer.text`` is what had arrived, with no citations

    def to_dict(self) -> dict[str, Any]:
        return {"answer": answer_to_dict(self.answer), "scope": self.scope, "doc_ids": self.doc_ids,
                "k": self.k, "stopped": self.stopped}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Turn:
        return cls(answer_from_dict(data["answer"]), list(data.get("scope") or []),
                   list(data.get("doc_ids") or []), data.get("k"), bool(data.get("stopped")))


@dataclass
class Conversation:
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    title: str = ""
    turns: list[Turn] = field(default_factory=list)
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)

    @property
    def label(self) -> str:
        return self.title or "New conversation"

    @property
    def answers(self) -> list[Answer]:
        return [t.answer for t in self.turns]

    def history(self) -> list[tuple[str, str]]:
        """What the assistant needs of the conversation: (question, answer) pairs of finished answers."""
        return [(t.answer.question, t.answer.text) for t in self.turns if not t.stopped]

    def add(self, turn: Turn) -> None:
        self.turns.append(turn)
        self.updated = time.time()
        if not self.title:
            question = " ".join(turn.answer.question.split())
            self.title = question if len(question) <= TITLE_CHARS else question[: TITLE_CHARS - 1].rstrip() + "…"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "created": self.created, "updated": self.updated,
                "turns": [t.to_dict() for t in self.turns]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Conversation:
        return cls(data["id"], data.get("title", ""), [Turn.from_dict(t) for t in data.get("turns", [])],
                   data.get("created", 0.0), data.get("updated", 0.0))


class ConversationStore:
    """Conversations per owner, one JSON file each."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _folder(self, owner: str) -> Path:
        if not KEY.match(owner or ""):
            raise ValueError("not a conversation owner key")
        return self.root / owner

    def _file(self, owner: str, conversation_id: str) -> Path:
        if not KEY.match(conversation_id or ""):
            raise ValueError("not a conversation id")
        return self._folder(owner) / f"{conversation_id}.json"

    def save(self, owner: str, conversation: Conversation) -> None:
        path = self._file(owner, conversation.id)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(conversation.to_dict(), ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)

    def load(self, owner: str, conversation_id: str) -> Conversation | None:
        try:
            path = self._file(owner, conversation_id)
            return Conversation.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, OSError, KeyError, TypeError) as exc:
            if not isinstance(exc, FileNotFoundError):
                log.warning("conversation %s of %s could not be read: %s", conversation_id, owner, exc)
            return None

    def list(self, owner: str) -> list[tuple[str, str]]:
        """(title, id) of the owner's conversations, the most recently used first."""
        try:
            folder = self._folder(owner)
        except ValueError:
            return []
        entries = []
        for path in folder.glob("*.json") if folder.is_dir() else []:
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                entries.append((data.get("updated", 0.0), data.get("title") or "New conversation", data["id"]))
            except (OSError, ValueError, KeyError) as exc:
                log.warning("skipping unreadable conversation file %s: %s", path.name, exc)
        return [(title, cid) for _, title, cid in sorted(entries, reverse=True)]

    def rename(self, owner: str, conversation_id: str, title: str) -> Conversation | None:
        conversation = self.load(owner, conversation_id)
        title = " ".join((title or "").split())[:120]
        if conversation is None or not title:
            return None
        conversation.title = title
        self.save(owner, conversation)
        return conversation

    def delete(self, owner: str, conversation_id: str) -> bool:
        try:
            self._file(owner, conversation_id).unlink()
            return True
        except (ValueError, FileNotFoundError):
            return False
