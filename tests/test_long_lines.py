"""Long text without a sentence end (one 10 MB line, a file of digits): chunking stays bounded, no
stored sentence is longer than ``max_sentence_chars``, and all of the text is stored."""

from __future__ import annotations

import random

from ingest.chunking import COUNT_BATCH, SentenceChunker, whitespace_tokens
from ingest.loaders import Page

from .conftest import CORPUS


def unpunctuated(words: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    vocab = [w.strip(".,;:!?\"'()").lower() for w in (CORPUS / "2019-01-second-meeting-summary.md").read_text().split()]
    vocab = [w for w in vocab if w.isalpha()]
    return " ".join(rng.choice(vocab) for _ in range(words))


def test_the_tokenizer_never_sees_more_than_a_bounded_batch_whatever_the_line_length():
    text = unpunctuated(300_000)  # ~2 MB on one line
    seen: list[int] = []

    def counting(texts: list[str]) -> list[int]:
        seen.append(sum(len(t) for t in texts))
        return whitespace_tokens(texts)

    chunker = SentenceChunker(counting, 200, 1, max_sentence_chars=2000)
    chunks = chunker.split([Page(None, text)])
    assert max(seen) <= COUNT_BATCH * 2000  # memory of a count does not grow with the line
    assert all(c.tokens <= 200 for c in chunks)
    covered = " ".join(c.text for c in chunks).split()
    assert set(covered) == set(text.split()) and len(covered) >= len(text.split())


def test_sentences_are_bounded_and_cover_the_text_even_without_spaces():
    text = unpunctuated(20_000) + " " + "7" * 9000 + " tail"
    chunker = SentenceChunker(whitespace_tokens, 200, 1, max_sentence_chars=500)
    spans = chunker.sentences(text)
    assert max(b - a for a, b in spans) <= 500
    assert "".join(text[a:b] for a, b in spans).replace(" ", "") == text.replace(" ", "")  # only spaces dropped


def test_a_long_unpunctuated_file_is_stored_whole_in_bounded_sentences(ingester, tmp_path):
    text = unpunctuated(6000)  # ~40 KB, one line, no full stop
    path = tmp_path / "one-line.txt"
    path.write_text(text, encoding="utf-8")
    report = ingester.sync([path])
    assert report.counts["added"] == 1, report.failures
    store = ingester.store
    limit = ingester.settings.max_sentence_chars
    _, sentences, metas, _ = store.all_sentences(vectors=False)
    assert sentences and max(len(s) for s in sentences) <= limit
    ordered = [s for _, s in sorted(zip((m["char_start"] for m in metas), sentences, strict=True))]
    assert " ".join(ordered).split() == text.split()  # every word stored, in order
    passages = store.all_passages()
    assert set(" ".join(p.text for p in passages).split()) == set(text.split())
