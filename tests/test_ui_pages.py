"""The page beside the quote: PDF pages rendered with the quoted lines marked; text in context."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from PIL import Image

from assistant.answer import Answer, Citation, Passage
from ui.conversations import Conversation, Turn
from ui.pages import PageRenderer, line_boxes, locate, text_context
from ui.viewer import SourceViewer

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PDF = FIXTURES / "pdflatex-4-pages.pdf"
SENTENCE = "If you read this text, you will get no information."


def test_locate_ignores_spacing_hyphens_and_ligatures():
    page = list("Hello world. The quick brown fox jumps over the lazy dog.\r\nNext line.")
    a, b = locate(page, "The quick brown fox jumps over the lazy dog.")
    assert "".join(page[a:b + 1]) == "The quick brown fox jumps over the lazy dog"
    broken = list("the digi-\r\ntal econ\ufb01dence of people")  # hyphenated line break, an "fi" ligature
    a, b = locate(broken, "the digital econfidence of people")
    assert (a, b) == (0, len(broken) - 1)
    assert locate(page, "Nothing like this appears anywhere on the page at all.") is None


def test_locate_prefers_the_repeat_inside_the_cited_passage():
    page = list("Alpha says hello there friend. Beta text follows. Alpha says hello there friend. Gamma.")
    first = locate(page, "Alpha says hello there friend.")
    second = locate(page, "Alpha says hello there friend.", around="Beta text follows. Alpha says hello")
    assert first[0] == 0 and second[0] > first[1]


def test_line_boxes_merge_characters_of_one_line():
    chars = [(10, 100, 15, 110), (15, 100, 20, 111), (10, 80, 14, 90), (0, 0, 0, 0)]
    assert line_boxes(chars) == [(10, 100, 20, 111), (10, 80, 14, 90)]


def test_page_is_rendered_with_the_sentence_marked_and_cached(tmp_path: Path):
    renderer = PageRenderer(tmp_path / "cache")
    image = renderer.render(PDF, 2, SENTENCE)
    assert image.found and image.pages == 4 and image.path.parent == tmp_path / "cache"
    left, top, right, bottom = image.mark  # the marked area, as fractions of the page
    assert 0 < left < right < 1 and 0 < top < bottom < 0.5  # the sentence is in the page's upper half
    marked = Image.open(image.path).convert("RGB")
    plain = PageRenderer(tmp_path / "plain").render(PDF, 2, "Words that are on no page of this document at all.")
    assert not plain.found
    unmarked = Image.open(plain.path).convert("RGB")
    yellowish = [(r, g, b) for r, g, b in marked.getdata() if r > 200 and g > 180 and b < 160]
    assert len(yellowish) > 2000  # the mark
    assert sum(1 for r, g, b in unmarked.getdata() if r > 200 and g > 180 and b < 160) < 50
    mtime = image.path.stat().st_mtime_ns
    cached = renderer.render(PDF, 2, SENTENCE)
    assert cached.path.stat().st_mtime_ns == mtime and cached.mark == image.mark  # served from the cache


def test_a_page_the_pdf_does_not_have_is_refused(tmp_path: Path):
    import pytest

    with pytest.raises(ValueError, match="page 9"):
        PageRenderer(tmp_path).render(PDF, 9, SENTENCE)


def test_text_context_is_the_paragraph_and_its_neighbours():
    text = "Zero.\n\nOne para.\n\nTwo para here. The quote. End.\n\nThree.\n\nFour."
    start = text.index("The quote")
    excerpt, a, b = text_context(text, start, start + 10)
    assert excerpt == "One para.\n\nTwo para here. The quote. End.\n\nThree."
    assert excerpt[a:b] == "The quote."


def _session(citation: Citation, passages: list[Passage]) -> SimpleNamespace:
    answer = Answer(question="Q?", text="A. [1]", abstained=False, citations=[citation], passages=passages)
    return SimpleNamespace(conversation=Conversation(turns=[Turn(answer)]))


def test_viewer_shows_a_pdf_page_inline_without_a_server_path(tmp_path: Path):
    passage = "Some text. " + SENTENCE + " More."
    start = passage.index(SENTENCE)
    citation = Citation(1, "d", "Pdflatex 4 pages", str(PDF), 2, "p", passage, SENTENCE,
                        (start, start + len(SENTENCE)))
    html = SourceViewer(PageRenderer(tmp_path)).show("1:1", _session(citation, []))
    assert 'src="data:image/png;base64,' in html and "page 2 of 4" in html
    assert "marked in yellow" in html and str(tmp_path) not in html and str(FIXTURES) not in html


def test_viewer_shows_a_text_document_paragraph_in_context(tmp_path: Path):
    doc = tmp_path / "notes.md"
    doc.write_text("# Notes\n\nFirst paragraph here.\n\nThe panel met in Geneva. It agreed a plan.\n\nLast words.\n")
    from ingest.loaders import load

    text = load(doc).pages[0].text
    passage_text = "The panel met in Geneva. It agreed a plan."
    start = text.index(passage_text)
    sentence = "It agreed a plan."
    span = (passage_text.index(sentence), passage_text.index(sentence) + len(sentence))
    citation = Citation(1, "d", "Notes", str(doc), None, "p", passage_text, sentence, span)
    passage = Passage("p", "d", "Notes", str(doc), passage_text, None, start, start + len(passage_text))
    html = SourceViewer(PageRenderer(tmp_path)).show("1:1", _session(citation, [passage]))
    assert '<mark class="support">It agreed a plan.</mark>' in html
    assert "First paragraph here." in html and "Last words." in html


def test_viewer_explains_a_missing_file_or_source(tmp_path: Path):
    citation = Citation(1, "d", "Gone", str(tmp_path / "gone.pdf"), 1, "p", "x", "x", (0, 1))
    viewer = SourceViewer(PageRenderer(tmp_path))
    assert "no longer available" in viewer.show("1:1", _session(citation, []))
    assert "no longer in this conversation" in viewer.show("5:1", _session(citation, []))
    assert "no longer in this conversation" in viewer.show("nonsense", _session(citation, []))
