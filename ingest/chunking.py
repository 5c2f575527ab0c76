"""Sentence-aware chunks sized in the embedding model's tokens, with exact character offsets.

A chunk is a run of whole sentences of one page: ``page.text[char_start:char_end]`` is its text,
byte for byte, so a citation can always be shown in place. Consecutive chunks repeat the last
``overlap`` sentences of the previous chunk so that an answer straddling a boundary is whole in one
of them. Only a sentence longer than a whole chunk is cut, at word boundaries.

**Bounded on any text.** A "sentence" longer than ``max_sentence_chars`` (a page of text with no full
stop, a 10 MB line) is cut first, at the last space before the limit (or at the limit when there is
none), in one pass; tokens are counted a batch of pieces at a time. So time is linear in the text and
memory does not grow with the length of a line (a 10 MB line took 3 GB counted word by word).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.reading.sentences import sentence_spans
from ingest.loaders import Page

TokenCounter = Callable[[list[str]], list[int]]

#: Characters a stored sentence may hold; longer runs without a sentence end are cut (Settings has it).
MAX_SENTENCE_CHARS = 2000
COUNT_BATCH = 64  # sentences per token count


@dataclass(frozen=True)
class Chunk:
    text: str
    page: int | None
    char_start: int
    char_end: int
    index: int  # position of the chunk in its document, from 0
    tokens: int

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:16]


class SentenceChunker:
    """Packs sentences into chunks of at most ``max_tokens`` tokens."""

    def __init__(
        self, count_tokens: TokenCounter, max_tokens: int = 200, overlap: int = 1,
        max_sentence_chars: int = MAX_SENTENCE_CHARS,
    ) -> None:
        if max_tokens < 8:
            raise ValueError("max_tokens must be at least 8")
        self.count_tokens = count_tokens
        self.max_tokens = max_tokens
        self.overlap = overlap
        self.max_sentence_chars = max_sentence_chars

    def sentences(self, text: str) -> list[tuple[int, int]]:
        """The sentences of ``text``, none longer than ``max_sentence_chars`` (what is stored and cited)."""
        return bounded_spans(text, sentence_spans(text), self.max_sentence_chars)

    def split(self, pages: Sequence[Page]) -> list[Chunk]:
        chunks: list[Chunk] = []
        for page in pages:
            for start, end, tokens in self._page_chunks(page.text):
                chunks.append(Chunk(page.text[start:end], page.number, start, end, len(chunks), tokens))
        return chunks

    def _page_chunks(self, text: str) -> list[tuple[int, int, int]]:
        units = self._units(text)
        out: list[tuple[int, int, int]] = []
        i = 0
        while i < len(units):
            j, total = i, 0
            while j < len(units) and (j == i or total + units[j][2] <= self.max_tokens):
                total += units[j][2]
                j += 1
            out.append((units[i][0], units[j - 1][1], total))
            if j >= len(units):
                break
            # Step back ``overlap`` sentences, but always make progress.
            i = max(i + 1, j - self.overlap)
        return out

    def _units(self, text: str) -> list[tuple[int, int, int]]:
        """Sentences with token counts; over-long sentences cut into word-bounded pieces."""
        spans = self.sentences(text)
        counts: list[int] = []
        for start in range(0, len(spans), COUNT_BATCH):  # a batch at a time: the tokenizer's memory stays bounded
            counts.extend(self.count_tokens([text[a:b] for a, b in spans[start : start + COUNT_BATCH]]))
        units: list[tuple[int, int, int]] = []
        for (a, b), n in zip(spans, counts, strict=True):
            if n <= self.max_tokens:
                units.append((a, b, n))
            else:
                units.extend(self._cut_long(text, a, b))
        return units

    def _cut_long(self, text: str, a: int, b: int) -> list[tuple[int, int, int]]:
        words = [(m.start() + a, m.end() + a) for m in re.finditer(r"\S+", text[a:b])]
        counts = self.count_tokens([text[s:e] for s, e in words])
        if any(n > self.max_tokens for n in counts):  # one "word" longer than a chunk: cut it by characters
            words, counts = self._split_words(text, words, counts)
        pieces, start, total, last_end = [], words[0][0], 0, words[0][0]
        for (s, e), n in zip(words, counts, strict=True):
            if total and total + n > self.max_tokens:
                pieces.append((start, last_end, total))
                start, total = s, 0
            total += n
            last_end = e
        pieces.append((start, last_end, total))
        return pieces


    def _split_words(
        self, text: str, words: list[tuple[int, int]], counts: list[int]
    ) -> tuple[list[tuple[int, int]], list[int]]:
        out_words: list[tuple[int, int]] = []
        out_counts: list[int] = []
        for (s, e), n in zip(words, counts, strict=True):
            if n <= self.max_tokens:
                out_words.append((s, e))
                out_counts.append(n)
                continue
            step = max(1, (e - s) * self.max_tokens // (2 * n))  # half a chunk's share of characters
            parts = [(p, min(p + step, e)) for p in range(s, e, step)]
            out_words.extend(parts)
            out_counts.extend(self.count_tokens([text[p:q] for p, q in parts]))
        return out_words, out_counts


def bounded_spans(text: str, spans: list[tuple[int, int]], max_chars: int) -> list[tuple[int, int]]:
    """``spans`` with every span longer than ``max_chars`` cut into pieces of at most ``max_chars``,
    at the last whitespace before the limit when there is one; whitespace between pieces is dropped."""
    out: list[tuple[int, int]] = []
    for a, b in spans:
        while b - a > max_chars:
            limit = a + max_chars
            cut = limit if text[limit].isspace() else text.rfind(" ", a + max_chars // 2, limit)
            end = cut if cut > a else limit
            out.append((a, end))
            a = end
            while a < b and text[a].isspace():
                a += 1
        if a < b:
            out.append((a, b))
    return out


def whitespace_tokens(texts: list[str]) -> list[int]:
    """A model-free token count (tests and tools that need no embedder)."""
    return [len(t.split()) for t in texts]
