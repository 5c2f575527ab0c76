"""Loading a regression set (JSON Lines), validated line by line.

Why strict: a typo in a hand-written item ("evidense", a fact written as a string instead of a list)
would otherwise be scored silently as a miss. Every problem is reported as ``file:line: what``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

DEFAULT_QUESTIONS = Path(__file__).resolve().parent / "questions.jsonl"

REQUIRED = ("id", "q", "facts", "evidence", "answerable")
OPTIONAL = ("sources", "history", "kind", "min_facts", "tags", "parts", "expected")
#: What shape the answer should take; decides which answer-shape metric scores the item.
KINDS = ("factoid", "list", "summary", "reason", "multipart", "comparison", "yesno")
#: Kinds whose items name their asks (or sides) in ``parts``.
PART_KINDS = ("multipart", "comparison")


class DatasetError(ValueError):
    """A regression-set line that cannot be used; the message names the file and the line."""

    def __init__(self, path: Path | str, line: int | None, problem: str) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {problem}")
        self.path = str(path)
        self.line = line
        self.problem = problem


@dataclass(frozen=True)
class Part:
    """One ask of a two-part question, or one side of a comparison, with the facts that answer it."""

    label: str
    facts: tuple[tuple[str, ...], ...]
    evidence: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "facts": [list(g) for g in self.facts], "evidence": list(self.evidence),
                "sources": list(self.sources)}


@dataclass(frozen=True)
class Question:
    """One regression item. ``facts`` are groups of alternatives; every group must be in the answer."""

    id: str
    q: str
    facts: tuple[tuple[str, ...], ...]
    evidence: tuple[str, ...]
    answerable: bool
    sources: tuple[str, ...] = ()
    history: tuple[str, ...] = ()
    kind: str | None = None  # factoid / list / summary / reason (None: not scored on answer shape)
    min_facts: int | None = None  # summary: fact groups a good summary covers (default: all)
    tags: tuple[str, ...] = ()  # e.g. "near-topic", "far-off", "follow-up", "topic-shift", "quotation"
    parts: tuple[Part, ...] = ()  # multipart / comparison: each ask or side with its own facts
    expected: str | None = None  # yesno: "yes" or "no"
    line: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "q": self.q, "facts": [list(g) for g in self.facts], "evidence": list(self.evidence),
            "sources": list(self.sources), "answerable": self.answerable, "history": list(self.history),
            "kind": self.kind, "min_facts": self.min_facts, "tags": list(self.tags),
            "parts": [p.to_dict() for p in self.parts], "expected": self.expected,
        }


def _strings(value: Any, name: str, allow_empty_list: bool = True) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ValueError(f"'{name}' must be a list of strings, got {type(value).__name__}")
    if not value and not allow_empty_list:
        raise ValueError(f"'{name}' must not be empty")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise ValueError(f"'{name}'[{i}] must be a non-empty string, got {item!r}")
    return tuple(value)


def _facts(value: Any, name: str) -> tuple[tuple[str, ...], ...]:
    if not isinstance(value, list):
        raise ValueError(f"'{name}' must be a list of lists of alternatives, got {type(value).__name__}")
    return tuple(_strings(group, f"{name}[{i}]", allow_empty_list=False) for i, group in enumerate(value))


def _parts(value: Any, facts: tuple[tuple[str, ...], ...]) -> tuple[Part, ...]:
    """The asks of a multipart item or the sides of a comparison; their facts, in order, are the item's."""
    if not isinstance(value, list) or len(value) < 2:
        raise ValueError("'parts' must be a list of at least two objects (one per ask or side)")
    parts = []
    for i, part in enumerate(value):
        if not isinstance(part, dict) or not isinstance(part.get("label"), str) or not part["label"].strip():
            raise ValueError(f"'parts'[{i}] must be an object with a non-empty 'label'")
        unknown = sorted(set(part) - {"label", "facts", "evidence", "sources"})
        if unknown:
            raise ValueError(f"'parts'[{i}] has unknown key(s): {', '.join(unknown)}")
        part_facts = _facts(part.get("facts"), f"parts[{i}].facts")
        if not part_facts:
            raise ValueError(f"'parts'[{i}] needs at least one fact group")
        parts.append(Part(part["label"].strip(), part_facts, _strings(part.get("evidence", []), f"parts[{i}].evidence"),
                          _strings(part.get("sources", []), f"parts[{i}].sources")))
    if tuple(g for p in parts for g in p.facts) != facts:
        raise ValueError("'facts' must be the parts' facts, in order")
    return tuple(parts)


def parse_item(data: Any) -> Question:
    """Validate one decoded line; raises ``ValueError`` saying what is wrong (without the location)."""
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    missing = [key for key in REQUIRED if key not in data]
    if missing:
        raise ValueError(f"missing required key(s): {', '.join(missing)}")
    unknown = sorted(set(data) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise ValueError(f"unknown key(s): {', '.join(unknown)} (allowed: {', '.join(REQUIRED + OPTIONAL)})")
    for key in ("id", "q"):
        if not isinstance(data[key], str) or not data[key].strip():
            raise ValueError(f"'{key}' must be a non-empty string, got {data[key]!r}")
    if not isinstance(data["answerable"], bool):
        raise ValueError(f"'answerable' must be true or false, got {data['answerable']!r}")
    facts = _facts(data["facts"], "facts")
    evidence = _strings(data["evidence"], "evidence")
    if data["answerable"] and not facts:
        raise ValueError("an answerable item needs at least one fact group")
    if not data["answerable"] and (facts or evidence):
        raise ValueError("an unanswerable item must have empty 'facts' and 'evidence'")
    kind = data.get("kind")
    if kind is not None and kind not in KINDS:
        raise ValueError(f"'kind' must be one of {', '.join(KINDS)}, got {kind!r}")
    parts: tuple[Part, ...] = ()
    if kind in PART_KINDS and data["answerable"]:
        parts = _parts(data.get("parts"), facts)
    elif "parts" in data:
        raise ValueError(f"only answerable {' and '.join(PART_KINDS)} items have 'parts'")
    expected = data.get("expected")
    if (kind == "yesno" and data["answerable"]) != (expected is not None) or expected not in (None, "yes", "no"):
        raise ValueError(f"an answerable yesno item, and only one, has 'expected': \"yes\" or \"no\", got {expected!r}")
    min_facts = data.get("min_facts")
    if min_facts is not None and (
        not isinstance(min_facts, int) or isinstance(min_facts, bool) or not 1 <= min_facts <= len(facts)
    ):
        raise ValueError(f"'min_facts' must be an integer from 1 to the number of fact groups, got {min_facts!r}")
    return Question(
        kind=kind, min_facts=min_facts, tags=_strings(data.get("tags", []), "tags"), parts=parts, expected=expected,
        id=data["id"], q=data["q"].strip(), facts=facts, evidence=evidence, answerable=data["answerable"],
        sources=_strings(data.get("sources", []), "sources"), history=_strings(data.get("history", []), "history"),
    )


def load_questions(path: Path | str | None = None) -> list[Question]:
    """All items of a JSONL regression set; blank lines are skipped, anything else must be valid."""
    path = Path(path) if path is not None else DEFAULT_QUESTIONS
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(path, None, f"cannot read the regression set ({exc})") from exc
    items: list[Question] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(path, number, f"invalid JSON ({exc.msg} at column {exc.colno})") from exc
        try:
            item = parse_item(data)
        except ValueError as exc:
            raise DatasetError(path, number, str(exc)) from exc
        if item.id in seen:
            raise DatasetError(path, number, f"duplicate id {item.id!r} (first on line {seen[item.id]})")
        seen[item.id] = number
        items.append(replace(item, line=number))
    if not items:
        raise DatasetError(path, None, "no questions in the file")
    return items
