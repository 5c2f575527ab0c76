"""Chunk boundaries, offsets and pages: what lets a citation be shown in place."""

from __future__ import annotations

import itertools
import json

import pytest

from assistant.reading.sentences import sentence_spans
from ingest.chunking import SentenceChunker, whitespace_tokens
from ingest.loaders import Page, load

from .conftest import CORPUS, FIXTURES


def _sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


def test_sentences_respect_abbreviations_initials_and_list_numbers():
    text = (
        "Ms. Gates suggested access for all. Mr. Ma agreed, e.g. on education.\n"
        "1. Trust: it matters. The U.N. said so.\n"
        "— by Marites N. Sison"
    )
    assert _sentences(text) == [
        "Ms. Gates suggested access for all.",
        "Mr. Ma agreed, e.g. on education.",
        "1. Trust: it matters.",
        "The U.N. said so.",
        "— by Marites N. Sison",
    ]


def test_line_breaks_end_sentences_and_quotes_stay_with_their_sentence():
    text = "Exploring the Digital UN Landscape\nHe said “be bold.” Then he left!"
    assert _sentences(text) == ["Exploring the Digital UN Landscape", "He said “be bold.”", "Then he left!"]


def test_chunks_are_exact_slices_of_whole_sentences_within_budget():
    doc = load(CORPUS / "2019-01-second-meeting-summary.md")
    chunker = SentenceChunker(whitespace_tokens, max_tokens=100, overlap=1)
    chunks = chunker.split(doc.pages)
    text = doc.pages[0].text
    assert max(whitespace_tokens(_sentences(text))) <= 100  # so no sentence may be cut
    starts = {a for a, _ in sentence_spans(text)}
    ends = {b for _, b in sentence_spans(text)}
    assert len(chunks) > 5
    for i, chunk in enumerate(chunks):
        assert chunk.index == i
        assert chunk.text == text[chunk.char_start : chunk.char_end]
        assert chunk.char_start in starts and chunk.char_end in ends, "a chunk cut a sentence"
        assert chunk.tokens <= 100
    # One sentence of overlap: each chunk starts with the last sentence of the one before.
    for prev, nxt in itertools.pairwise(chunks):
        last_sentence = [s for s in sentence_spans(text, prev.char_start, prev.char_end)][-1]
        assert nxt.char_start == last_sentence[0]
    # Every sentence is in some chunk.
    covered = set()
    for c in chunks:
        covered.update(a for a, _ in sentence_spans(text, c.char_start, c.char_end))
    assert covered == starts


def test_only_a_sentence_longer_than_a_chunk_is_cut_at_word_boundaries():
    long_sentence = " ".join(f"word{i}" for i in range(25)) + "."
    text = f"Short one. {long_sentence} Short two."
    chunks = SentenceChunker(whitespace_tokens, max_tokens=10, overlap=0).split([Page(None, text)])
    assert all(c.tokens <= 10 for c in chunks)
    for c in chunks:  # cuts fall between words, never inside one
        assert c.char_start == 0 or text[c.char_start - 1] == " "
        assert c.char_end == len(text) or text[c.char_end] == " "
    assert sum("word" in c.text for c in chunks) >= 3
    assert any("Short one." in c.text for c in chunks) and any("Short two." in c.text for c in chunks)
    # Without overlap, the chunks tile the text.
    assert " ".join(c.text for c in chunks) == text


def test_pdf_chunks_carry_their_page_numbers():
    doc = load(FIXTURES / "pdflatex-4-pages.pdf")
    chunks = SentenceChunker(whitespace_tokens, max_tokens=80, overlap=1).split(doc.pages)
    assert {c.page for c in chunks} == {1, 2, 3, 4}
    by_page = {p.number: p.text for p in doc.pages}
    for c in chunks:
        assert by_page[c.page][c.char_start : c.char_end] == c.text
    assert [c.index for c in chunks] == list(range(len(chunks)))


def test_real_tokenizer_keeps_chunks_within_the_model_window(components):
    embedder = components.embedder
    doc = load(CORPUS / "2019-06-report-launch-wacc-article.md")
    chunks = SentenceChunker(embedder.count_tokens, max_tokens=200, overlap=1).split(doc.pages)
    for c in chunks:
        assert embedder.count_tokens([c.text])[0] <= embedder.max_tokens - 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Die Sitzung fand am 3. Oktober 2018 statt. Sie dauerte zwei Tage (vgl. Abschnitt 2).",
         ["Die Sitzung fand am 3. Oktober 2018 statt.", "Sie dauerte zwei Tage (vgl. Abschnitt 2)."]),
        ("Er sagte: „Wir müssen mutig sein.“ Danach begann die Diskussion.",
         ["Er sagte: „Wir müssen mutig sein.“", "Danach begann die Diskussion."]),
        ("Technologien, z. B. KI, d. h. Software, u. a. Roboter. Siehe Kap. 4.",
         ["Technologien, z. B. KI, d. h. Software, u. a. Roboter.", "Siehe Kap. 4."]),
    ],
)
def test_german_abbreviations_dates_and_quotations(text, expected):
    assert [text[a:b] for a, b in sentence_spans(text)] == expected


def test_splitter_on_the_segmentation_gold_file():
    """The hand-split paragraphs of eval/segmentation-gold.jsonl (see eval/segmentation.py)."""
    from eval.segmentation import GOLD, _regex, score

    items = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert score(_regex, items)["f1"] >= 0.95
