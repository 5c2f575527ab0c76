"""Readers: metadata, PDF pages and clean-up, visible HTML text, and plain reasons for bad files."""

from __future__ import annotations

import pytest
from pypdf import PdfWriter

from ingest.loaders import LoadError, clean_pdf_text, load

from .conftest import CORPUS, FIXTURES


def test_markdown_front_matter_becomes_metadata_not_text():
    doc = load(CORPUS / "2018-09-first-meeting-press-release.md")
    assert doc.metadata["kind"] == "press release"
    assert doc.metadata["date"].startswith("2018-09")
    assert doc.title
    text = doc.pages[0].text
    assert not text.startswith("---") and "kind:" not in text
    assert text.startswith("United Nations Secretary-General António Guterres convened")


def test_pdf_pages_are_numbered_from_one_and_cleaned():
    doc = load(FIXTURES / "multicolumn.pdf")
    assert [p.number for p in doc.pages] == [1, 2, 3]
    assert "ﬁ" not in doc.pages[0].text and "filled" in doc.pages[0].text
    assert "  " not in doc.pages[0].text


def test_pdf_hyphenation_and_line_wraps_are_undone():
    raw = "The panel recom-\nmended universal access\nfor every adult by 2030.\nNext"
    assert clean_pdf_text(raw) == "The panel recommended universal access for every adult by 2030.\nNext"


def test_html_keeps_visible_text_only(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>Panel news</title><style>p{color:red}</style></head>"
        "<body><script>alert('x')</script><h1>Report out</h1><p>The panel met &amp; agreed.</p></body></html>",
        encoding="utf-8",
    )
    doc = load(page)
    assert doc.title == "Panel news"
    assert doc.pages[0].text == "Report out\n\nThe panel met & agreed."


def _reason(path) -> str:
    with pytest.raises(LoadError) as info:
        load(path)
    assert str(path) in str(info.value)
    return info.value.reason


def test_password_protected_pdf_is_named_as_such():
    assert "password-protected" in _reason(FIXTURES / "libreoffice-writer-password.pdf")


def test_truncated_pdf(tmp_path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes((FIXTURES / "pdflatex-4-pages.pdf").read_bytes()[:700])
    assert "not a readable PDF" in _reason(broken)


def test_garbage_pdf(tmp_path):
    broken = tmp_path / "garbage.pdf"
    broken.write_bytes(b"this is not a pdf at all\n" * 20)
    assert "not a readable PDF" in _reason(broken)


def test_zero_byte_file(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert "empty file" in _reason(empty)


def test_pdf_without_text(tmp_path):
    blank = tmp_path / "scan.pdf"
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    with blank.open("wb") as fh:
        writer.write(fh)
    assert "no extractable text" in _reason(blank)


def test_unsupported_extension(tmp_path):
    sheet = tmp_path / "budget.xlsx"
    sheet.write_bytes(b"PK\x03\x04 not really")
    assert "unsupported file type '.xlsx'" in _reason(sheet)


def test_non_utf8_text(tmp_path):
    latin = tmp_path / "notes.txt"
    latin.write_bytes("Réunion du panel à Genève".encode("latin-1"))
    assert "not UTF-8" in _reason(latin)
