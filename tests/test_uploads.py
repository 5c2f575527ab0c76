"""Upload checks: size before writing, type by content, safe names, never overwriting."""

from __future__ import annotations

import pytest

from ingest.uploads import UploadError, safe_name, save_upload

from .conftest import FIXTURES

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)


def _refused(src, name, uploads, limit=10_000_000) -> str:
    with pytest.raises(UploadError) as info:
        save_upload(src, name, uploads, limit)
    assert name in str(info.value)
    return info.value.reason


def test_a_good_pdf_is_saved_under_its_name(tmp_path):
    uploads = tmp_path / "uploads"
    saved = save_upload(FIXTURES / "minimal-document.pdf", "Minimal Document.pdf", uploads, 10_000_000)
    assert saved.new and saved.path == uploads / "Minimal Document.pdf"
    assert saved.path.read_bytes() == (FIXTURES / "minimal-document.pdf").read_bytes()


def test_size_limit_is_enforced_before_anything_is_written(tmp_path):
    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-1.7\n" + bytes(2_000_000))
    uploads = tmp_path / "uploads"
    reason = _refused(big, "big.pdf", uploads, limit=1_000_000)
    assert reason == "is 2.0 MB; the limit is 1.0 MB (PANEL_MAX_UPLOAD_MB)"
    assert not uploads.exists() or not any(uploads.iterdir())


def test_type_is_checked_by_content(tmp_path):
    uploads = tmp_path / "uploads"
    png = tmp_path / "x"
    png.write_bytes(PNG)
    assert _refused(png, "report.pdf", uploads) == "is a PNG image, not a PDF"
    text = tmp_path / "t"
    text.write_text("Just some notes about the panel.\n", encoding="utf-8")
    assert _refused(text, "notes.pdf", uploads) == "is not a PDF (it does not start with %PDF-)"
    assert _refused(png, "notes.txt", uploads) == "is a PNG image, not text"
    assert _refused(FIXTURES / "minimal-document.pdf", "notes.md", uploads) == "is a PDF, not text (name it .pdf)"
    zipped = tmp_path / "z"
    zipped.write_bytes(b"PK\x03\x04" + bytes(40))
    assert _refused(zipped, "page.html", uploads) == "is a ZIP archive (or an Office file), not text"
    latin = tmp_path / "l"
    latin.write_bytes("Réunion à Genève, en français, sans UTF-8.".encode("latin-1"))
    assert "not UTF-8" in _refused(latin, "notes.txt", uploads)
    assert "unsupported file type '.exe'" in _refused(text, "setup.exe", uploads)
    # Text that merely starts like a signature is still text.
    rar = tmp_path / "r"
    rar.write_text("Rar! said the panel, and moved on.\n", encoding="utf-8")
    assert save_upload(rar, "rar.txt", uploads, 10_000).new
    assert not any(p.name != "rar.txt" for p in uploads.iterdir())


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\system.ini.md", "system.ini.md"),
        ("/abs/path/report.PDF", "report.pdf"),
        ("re\x00po\x1brt\u202e.pdf", "report.pdf"),  # NUL, ESC, right-to-left override
        ("...hidden.md", "hidden.md"),
        ("..", "upload"),
        ("a?b*c:d.txt", "a_b_c_d.txt"),
        ("x" * 500 + ".pdf", "x" * 116 + ".pdf"),
        ("Cafe\u0301 notes.md", "Caf\u00e9 notes.md"),
    ],
)
def test_names_are_sanitised(given, expected):
    assert safe_name(given) == expected


def test_a_traversal_name_lands_inside_the_uploads_folder(tmp_path):
    uploads = tmp_path / "uploads"
    saved = save_upload(FIXTURES / "minimal-document.pdf", "../../../outside.pdf", uploads, 10_000_000)
    assert saved.path.parent == uploads and not (tmp_path / "outside.pdf").exists()


def test_an_existing_upload_is_never_overwritten(tmp_path):
    uploads = tmp_path / "uploads"
    first, second = tmp_path / "a", tmp_path / "b"
    first.write_text("The first file.\n", encoding="utf-8")
    second.write_text("A different file with the same name.\n", encoding="utf-8")
    a = save_upload(first, "notes.md", uploads, 10_000)
    b = save_upload(second, "notes.md", uploads, 10_000)
    again = save_upload(first, "notes.md", uploads, 10_000)
    assert (a.path.name, b.path.name) == ("notes.md", "notes-2.md")
    assert a.path.read_text(encoding="utf-8") == "The first file.\n"
    assert not again.new and again.path == a.path
