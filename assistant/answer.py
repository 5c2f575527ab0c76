"""What the assistant returns: an ``Answer`` with numbered ``Citation``s into retrieved ``Passage``s.

These are the types the UI, the CLI (``--json``) and the evaluation read; the JSON shape is
documented in the README and produced by ``Answer.to_dict``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

NOT_COVERED = "The documents don't cover this."
#: Opens an uncertain answer: what follows are candidates, not the answer.
CLOSEST = "No passage answers this directly. Closest:"

#: How sure an answer is. ``answered``: the best unit leads; ``uncertain``: no passage answers directly,
#: the closest units are shown as candidates; ``not_covered``: the documents don't hold it (``abstained``).
ANSWERED, UNCERTAIN, NOT_COVERED_STATUS = "answered", "uncertain", "not_covered"
STATUSES = (ANSWERED, UNCERTAIN, NOT_COVERED_STATUS)


@dataclass
class Passage:
    """A retrieved chunk with where it came from and how it ranked."""

    id: str
    doc_id: str
    title: str
    source: str
    text: str
    page: int | None = None
    char_start: int = 0  # offsets of ``text`` in its page (or document) text
    char_end: int = 0
    score: float = 0.0  # fused (reciprocal rank) score
    dense_similarity: float | None = None  # cosine similarity to the query, if dense search found it
    keyword_score: float | None = None  # BM25 score, if keyword search found it
    dense_rank: int | None = None
    keyword_rank: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> tuple[str, str]:
        """(doc_id, doc_hash): the document version the passage belongs to."""
        return self.doc_id, str(self.metadata.get("doc_hash", ""))

    @property
    def location(self) -> str:
        return f"{self.title}, p. {self.page}" if self.page else self.title


@dataclass
class Citation:
    """``[number]`` in the answer text: the passage it points at and the sentence it rests on."""

    number: int
    doc_id: str
    title: str
    source: str
    page: int | None
    passage_id: str
    passage: str  # the whole passage text
    sentence: str  # the supporting sentence, verbatim: passage[span[0]:span[1]]
    span: tuple[int, int]
    speaker: str = ""  # whose words the sentence is, when the text attributes it
    page_break: int | None = None  # where in ``sentence`` the next page begins, for one over a page break

    @property
    def page_label(self) -> str:
        """``p. 3``, or ``pp. 3–4`` for a sentence that runs over a page break; empty without pages."""
        return page_label(self.page, self.page_break)


def page_label(page: int | None, page_break: int | None = None) -> str:
    if not page:
        return ""
    return f"pp. {page}–{page + 1}" if page_break else f"p. {page}"


def page_words(page: int, page_break: int | None = None) -> str:
    """``page 3``, or ``pages 3–4`` for a sentence over a page break: the label spelled out."""
    return f"pages {page}–{page + 1}" if page_break else f"page {page}"


def page_break_in(passage: Passage, span: tuple[int, int]) -> int | None:
    """Where the sentence at ``span`` of ``passage`` crosses onto the next page (ingestion joins a
    sentence over a page break onto its first page and says where the next page's text begins)."""
    at = passage.metadata.get("next_page_at")
    if at in (None, ""):
        return None
    inside = int(at) - passage.char_start - span[0]
    return inside if 0 < inside < span[1] - span[0] else None


@dataclass
class Answer:
    question: str
    text: str
    abstained: bool
    citations: list[Citation]
    passages: list[Passage]  # what was retrieved; for an abstention, the closest matches
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    query: str = ""  # the retrieval query (a follow-up rewritten with its history)
    backend: str = "extractive"
    confidence: float | None = None  # calibrated probability that the documents answer the question
    signals: dict[str, float] = field(default_factory=dict)  # what the abstention decision was made from
    notes: list[str] = field(default_factory=list)  # e.g. generated sentences dropped as unsupported
    kind: str = "factoid"  # the answer shape the question asked for: factoid / list / summary / reason
    abstention_reason: str = ""  # for an abstention: which part of the question the documents don't cover
    status: str = ""  # one of STATUSES; left empty, it follows ``abstained``
    why: str = ""  # one line saying why the answer has its status (the UI shows it beside the badge)
    reader: str = ""  # who wrote the answer: "offline reader (extractive)" or "language model <name> at <url>"
    removed: list[dict[str, str]] = field(default_factory=list)  # generated sentences the verifier removed, and why

    def __post_init__(self) -> None:
        if not self.status:
            self.status = NOT_COVERED_STATUS if self.abstained else ANSWERED
        if self.status not in STATUSES:
            raise ValueError(f"unknown answer status {self.status!r}; expected one of {', '.join(STATUSES)}")
        if (self.status == NOT_COVERED_STATUS) != self.abstained:
            raise ValueError(f"status {self.status!r} disagrees with abstained={self.abstained}")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for c in data["citations"]:
            c["span"] = list(c["span"])
        for p in data["passages"]:
            p.pop("metadata", None)
        return data

    def citation(self, number: int) -> Citation | None:
        return next((c for c in self.citations if c.number == number), None)
