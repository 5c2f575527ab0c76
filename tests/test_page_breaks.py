"""A sentence that runs over a PDF page break (issue 21, item 7): stored whole on its first page, its
citation naming both pages, and the page view marking its lines on each."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

from assistant.answer import Answer, Citation, page_break_in
from assistant.search.retrieval import to_passage
from ui.cards import citation_card
from ui.conversations import Conversation, Turn
from ui.pages import PageRenderer
from ui.viewer import SourceViewer

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SENTENCE = "If you read this text, you will get no information."


def _cited(ingester, tmp_path: Path) -> Citation:
    """The citation the readers make of the sentence that ends page 1, from the passage as stored."""
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(FIXTURES / "pdflatex-4-pages.pdf", folder / "blind.pdf")
    ingester.sync([folder])
    stored = sorted((p for p in ingester.store.all_passages() if "next_page_at" in p.metadata),
                    key=lambda p: p.metadata["page"])
    assert [p.metadata["page"] for p in stored] == [1, 2, 3]  # three sentences run on over a break
    passage = to_passage(stored[0])
    assert passage.text.endswith(SENTENCE)  # stored whole, in the last passage of its first page
    start = passage.text.rindex(SENTENCE)
    span = (start, start + len(SENTENCE))
    return Citation(1, passage.doc_id, passage.title, passage.source, passage.page, passage.id, passage.text,
                    SENTENCE, span, page_break=page_break_in(passage, span))


def test_the_citation_of_a_sentence_over_a_page_break_names_both_pages(ingester, tmp_path):
    citation = _cited(ingester, tmp_path)
    assert citation.sentence[citation.page_break:] == "information."  # where page 2 begins in it
    assert citation.page_label == "pp. 1–2"
    card = citation_card(citation, 1)
    assert "pp. 1–2" in card and "See it on pages 1–2" in card
    assert not any("you will get no 1" in p.text or p.text.endswith(" no")
                   for p in ingester.store.all_passages())  # no page number, no half sentence stored


def test_the_page_view_marks_the_sentences_lines_on_each_page(ingester, tmp_path):
    citation = _cited(ingester, tmp_path)
    answer = Answer(question="Q?", text=f"{SENTENCE} [1]", abstained=False, citations=[citation], passages=[])
    session = SimpleNamespace(conversation=Conversation(turns=[Turn(answer)]))
    html = SourceViewer(PageRenderer(tmp_path / "cache")).show("1:1", session)
    assert html.count('<figure class="viewer-page"') == 2 and "pages 1–2 of 4" in html
    marks = [chunk.split('"', 1)[0] for chunk in html.split('data-mark="')[1:]]
    assert all(m.count(",") == 3 for m in marks), marks  # a marked area on each page
    top_of_page_2 = float(marks[1].split(",")[1])
    assert top_of_page_2 < 0.2 and "marked in yellow on both pages" in html  # "information." opens page 2
