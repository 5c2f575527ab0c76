"""Accepting an uploaded file: size, type and name checked before anything lands in the uploads folder.

- **Size**: refused above ``PANEL_MAX_UPLOAD_MB`` before a byte is written (the source's size is
  checked first, and the copy stops at the limit in case the source grows or lies).
- **Type by content**: a ``.pdf`` must start like a PDF; a text format must be UTF-8 text. A PNG,
  JPEG, ZIP, ... named ``.pdf`` or ``.txt`` is refused as what it is.
- **Name**: the last path component only, control characters and separators removed, Unicode
  normalised, hidden-file dots stripped, length capped; an empty result becomes ``upload``.
- **Never overwrite**: a name already taken by other bytes gets ``-2``, ``-3``, ... (created with
  exclusive create, so two uploads at once cannot take the same name); the same bytes under the
  same name are the same upload and are not written twice.
- **A temporary source is removed** (``temporary_source=True``: the web server's upload cache), refused
  or saved: a refused 200 MB file stayed in Gradio's cache for the life of the server.
"""

from __future__ import annotations

import filecmp
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ingest.loaders import SUPPORTED_SUFFIXES

MAX_NAME_CHARS = 120
_CHUNK = 1 << 20

#: Leading bytes of formats people mistake for documents; a file starting so is refused as such.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"RIFF", "a RIFF media file (WebP/WAV/AVI)"),
    (b"PK\x03\x04", "a ZIP archive (or an Office file)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"\x7fELF", "a program (ELF executable)"),
    (b"MZ", "a Windows program"),  # for text names, only believed when the bytes are not text
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office file"),
    (b"%!PS", "a PostScript file"),
    (b"ID3", "an MP3 file"),
)


class UploadError(Exception):
    """An upload refused; ``reason`` is one plain sentence naming the file."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


@dataclass(frozen=True)
class SavedUpload:
    path: Path
    new: bool  # False: the same bytes were already there under this name


def safe_name(name: str) -> str:
    """A file name that is safe to create inside the uploads folder, keeping its suffix."""
    name = unicodedata.normalize("NFC", str(name))
    name = re.split(r"[/\\]", name)[-1]  # a client may send a path (either separator): keep the last part
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")  # control, format, unassigned
    name = re.sub(r"\s+", " ", name).strip().lstrip(".").strip()
    name = re.sub(r'[<>:"|?*]', "_", name)
    stem, suffix = os.path.splitext(name)
    suffix = suffix.lower() if len(suffix) <= 10 else ""
    stem = stem[: MAX_NAME_CHARS - len(suffix)].rstrip(" .") or "upload"
    return stem + suffix


def sniff(name: str, head: bytes) -> str | None:
    """Why the content does not match the name's type, or None when it does."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(sorted({s.lstrip(".") for s in SUPPORTED_SUFFIXES}))
        return f"unsupported file type '{suffix or '(none)'}' (supported: {supported})"
    if not head:
        return "empty file (0 bytes)"
    actual = next((what for magic, what in _SIGNATURES if head.startswith(magic)), None)
    if suffix == ".pdf":
        if b"%PDF-" in head[:1024]:
            return None
        return f"is {actual}, not a PDF" if actual else "is not a PDF (it does not start with %PDF-)"
    if head.lstrip().startswith(b"%PDF-"):
        return "is a PDF, not text (name it .pdf)"
    binary = b"\x00" in head
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        binary = binary or exc.start < len(head) - 3  # a character cut by the sample's end is fine
    if not binary:
        return None
    if actual:
        return f"is {actual}, not text"
    return "is a binary file, not text" if b"\x00" in head else "is not UTF-8 text; re-save it as UTF-8"


def save_upload(
    src: Path | str, name: str | None, uploads_dir: Path, max_bytes: int, temporary_source: bool = False
) -> SavedUpload:
    """Check ``src`` and copy it into ``uploads_dir``; raise ``UploadError`` with the reason when refused.

    ``name`` is what the user called the file (the browser's name); ``src`` is where it is now. With
    ``temporary_source``, ``src`` is deleted afterwards, whatever the outcome.
    """
    src = Path(src)
    try:
        return _save(src, name, uploads_dir, max_bytes)
    finally:
        if temporary_source:
            discard(src)


def discard(path: Path) -> None:
    """Delete a temporary upload and the folder the upload cache made for it, if that is now empty."""
    try:
        path.unlink(missing_ok=True)
        path.parent.rmdir()  # Gradio caches each upload in a folder of its own; fails harmlessly if not empty
    except OSError:
        pass


def writer_failure(exc: BaseException) -> str | None:
    """The line a user is shown when an upload's ingestion could not start or finish, or None for a bug."""
    from assistant.store.outage import StoreUnavailableError
    from ingest.writer_lock import IndexBusyError

    if isinstance(exc, IndexBusyError):
        return str(exc).replace("Run the command again", "Upload the files again")
    if isinstance(exc, StoreUnavailableError):
        return f"The files were not ingested: {exc}. Upload them again when the store is back."
    return None


def waiting_line(message: str) -> str:
    """What an upload shows while another ingestion holds the index."""
    return f"{message[:1].upper()}{message[1:]} …"


def _save(src: Path, name: str | None, uploads_dir: Path, max_bytes: int) -> SavedUpload:
    shown = str(name or src.name)
    clean = safe_name(shown)
    try:
        size = src.stat().st_size
        if size > max_bytes:
            raise UploadError(shown, f"is {_mb(size)}; the limit is {_mb(max_bytes)} (PANEL_MAX_UPLOAD_MB)")
        with src.open("rb") as fh:
            why = sniff(clean, fh.read(4096))
    except OSError as exc:
        raise UploadError(shown, f"cannot be read ({exc.strerror or exc})") from exc
    if why:
        raise UploadError(shown, why)
    uploads_dir.mkdir(parents=True, exist_ok=True)
    stem, suffix = os.path.splitext(clean)
    n = 1
    while True:
        target = uploads_dir / (clean if n == 1 else f"{stem}-{n}{suffix}")
        try:
            out = target.open("xb")  # exclusive: never replaces a file, even one created a moment ago
        except FileExistsError:
            if target.is_file() and filecmp.cmp(src, target, shallow=False):
                return SavedUpload(target, False)
            n += 1
            continue
        break
    try:
        with out, src.open("rb") as fh:
            written = 0
            while chunk := fh.read(_CHUNK):
                written += len(chunk)
                if written > max_bytes:
                    raise UploadError(shown, f"is larger than {_mb(max_bytes)} (PANEL_MAX_UPLOAD_MB)")
                out.write(chunk)
    except OSError as exc:
        target.unlink(missing_ok=True)
        raise UploadError(shown, f"could not be saved ({exc.strerror or exc})") from exc
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return SavedUpload(target, True)


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size:,} bytes"
