"""PDF running heads, running feet and page numbers are not text (issue 21, items 7 and 8).

On the real PDFs of ``tests/fixtures`` (and ``../shared/pdf-samples`` when present): every line
removed is a page number, and nothing else of pypdf's text is lost; a generated PDF with a running
head and a "Page n of m" foot loses both and keeps its body. Titles come from the PDF's metadata or
its first heading, the file name only when neither is.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from pypdf import PdfReader

from ingest.loaders import load, open_document
from ingest.pdf_margins import extract_layout, find_margins, strip_margins

from .pdfgen import laid_out_pdf

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "pdf-samples"
REAL = sorted(p for p in FIXTURES.glob("*.pdf") if "password" not in p.name)
REAL += sorted(p for p in SAMPLES.glob("*.pdf") if "password" not in p.name) if SAMPLES.is_dir() else []


def _words(text: str) -> Counter:
    return Counter(re.findall(r"\w+", text.translate(str.maketrans({"ﬁ": "fi", "ﬂ": "fl", "ﬀ": "ff", "ﬃ": "ffi"}))))


@pytest.mark.parametrize("path", REAL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_only_page_numbers_are_removed_and_no_word_of_text_is_lost(path):
    reader = PdfReader(path)
    layouts = [extract_layout(page, n) for n, page in enumerate(reader.pages, 1)]
    margins = find_margins(layouts)
    doc: dict[int, str] = {}  # each page's text, the end of a sentence carried back over a break returned
    for page in load(path).pages:
        at = page.next_page_at or len(page.text)
        doc[page.number] = doc.get(page.number, "") + " " + page.text[:at]
        doc[page.number + 1] = page.text[at:]
    for layout in layouts:
        _, removed = strip_margins(layout.text, margins[layout.number])
        assert all(line == str(layout.number) for line in removed), (layout.number, removed)  # page numbers only
        lost = _words(layout.text.replace("-\n", "")) - _words(doc.get(layout.number, ""))
        assert lost == Counter({str(layout.number): 1} if removed else {}), (layout.number, lost)


def test_page_numbers_no_longer_sit_inside_sentences():
    pages = {p.number: p.text for p in load(FIXTURES / "pdflatex-4-pages.pdf").pages}
    assert not re.search(r"\s\d$", pages[1]) and not pages[1].endswith("you will get no 1")
    assert "A blind text like this gives 2" not in pages[2] and "gives you information about" in pages[2]
    multi = load(FIXTURES / "multicolumn.pdf")
    assert all(not re.search(rf"(^|\s){p.number}$", p.text) for p in multi.pages)


def test_a_number_that_is_not_at_the_pages_edge_stays():
    text = load(FIXTURES / "google-doc-document.pdf").pages[0].text  # a chart's axis label "1" near the foot
    assert re.search(r"(^|\s)1(\s|$)", text)


def test_running_head_and_page_foot_are_removed_body_kept(tmp_path):
    body = ["The panel met in New York to agree its programme of work.",
            "Its members came from governments, business and civil society.",
            "They asked the public to send ideas by the end of the year."]
    pages = [[(800, 9, "Report of the High-level Panel on Digital Cooperation"),
              *[(700 - 14 * i, 11, line) for i, line in enumerate(body)],
              (40, 9, f"Page {n} of 3")] for n in (1, 2, 3)]
    pages[1].insert(2, (672, 11, "Report of the High-level Panel on Digital Cooperation"))  # in the body: stays
    path = tmp_path / "report.pdf"
    path.write_bytes(laid_out_pdf(pages))
    doc = load(path)
    assert len(doc.pages) == 3
    for page in doc.pages:
        assert "Page " not in page.text
        assert all(line.split()[0] in page.text for line in body)
    assert doc.pages[0].text.count("Report of the High-level Panel") == 0
    assert doc.pages[1].text.count("Report of the High-level Panel") == 1


def test_title_from_the_first_heading_when_the_pdf_has_no_metadata_title(tmp_path):
    assert load(FIXTURES / "multicolumn.pdf").title == "Two-Column Document with Lorem Ipsum"  # no /Title
    assert load(FIXTURES / "google-doc-document.pdf").title == "PDF Example Document"  # its /Title
    assert load(FIXTURES / "pdflatex-4-pages.pdf").title == "Pdflatex 4 pages"  # neither: the file name
    path = tmp_path / "scan-0042.pdf"
    path.write_bytes(laid_out_pdf([[(760, 20, "Digital Cooperation Roadmap"),
                                    (700, 11, "The roadmap sets out what the panel recommended."),
                                    (686, 11, "It was published in June 2020.")]]))
    assert load(path).title == "Digital Cooperation Roadmap"
    contents = tmp_path / "book.pdf"
    contents.write_bytes(laid_out_pdf([[(760, 20, "Contents"), (700, 11, "1 Foo 2"), (686, 11, "2 Bar 3")]]))
    assert load(contents).title == "Book"  # "Contents" opens a document without naming it


@pytest.mark.parametrize("window", [1, 2, 7, 50])
def test_a_pages_text_does_not_depend_on_how_many_pages_are_read_at_once(tmp_path, window):
    """A resumed ingest reads other windows than a run in one go: both must store the same passages."""
    head = "Report of the High-level Panel on Digital Cooperation"
    pages = [[*([(800, 9, head)] if n % 3 else []),  # on two pages in three: a window of 2 may see it twice
              (700, 11, f"The panel met for the {n}th time to agree its work."),
              (686, 11, "Its members came from governments, business and civil society."),
              (40, 9, str(n))] for n in range(1, 24)]
    path = tmp_path / "long.pdf"
    path.write_bytes(laid_out_pdf(pages))
    whole = open_document(path).read(0, 23)
    doc = open_document(path)
    windowed = [p for start in range(0, 23, window) for p in doc.read(start, start + window)]
    assert [(p.number, p.text) for p in windowed] == [(p.number, p.text) for p in whole]
    assert len(whole) == 23 and not any(head in p.text or p.text.endswith(str(p.number)) for p in whole)


def test_a_sentence_over_a_page_break_is_joined_onto_its_first_page():
    doc = load(FIXTURES / "pdflatex-4-pages.pdf")
    first, second = doc.pages[0], doc.pages[1]
    assert first.text.endswith("If you read this text, you will get no information.")
    assert first.text[first.next_page_at:] == "information."  # what came from page 2, and where it starts
    assert second.text.startswith("Really? Is there no information?")
    assert doc.pages[3].next_page_at is None  # the last page ends its own sentence
    headings = {p.number: p.text for p in load(SAMPLES / "pdflatex-outline.pdf").pages} if SAMPLES.is_dir() else {}
    if headings:  # "9 Baz 4" then "1 Foo": a page ending in a list and one opening with a heading stay apart
        assert headings[2].startswith("1 Foo") and headings[1].endswith("9 Baz 4")


def test_a_hyphenated_word_over_a_page_break_is_made_whole(tmp_path):
    pages = [[(700, 11, "The panel asked governments to agree on digi-")],
             [(700, 11, "tal cooperation by the end of the year."), (686, 11, "Its report followed in June.")]]
    path = tmp_path / "hyphen.pdf"
    path.write_bytes(laid_out_pdf(pages))
    first, second = load(path).pages
    assert first.text == "The panel asked governments to agree on digital cooperation by the end of the year."
    assert first.text[first.next_page_at:] == "tal cooperation by the end of the year."
    assert second.text == "Its report followed in June."
