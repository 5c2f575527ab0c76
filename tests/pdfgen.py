"""Small hostile PDFs built byte by byte (a valid xref, so readers take them seriously)."""

from __future__ import annotations

import zlib

from eval.pdf_bytes import pdf_bytes

_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def build(objects: list[bytes]) -> bytes:
    """A PDF whose object n (1-based) is ``objects[n-1]``; object 1 must be the catalog."""
    return pdf_bytes(objects)


def _stream(data: bytes, compress: bool = True) -> bytes:
    if compress:
        data = zlib.compress(data, 9)
        return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def _pages(contents: list[int], content_objects: list[bytes]) -> list[bytes]:
    """Catalog, page tree, font, then one page per entry of ``contents`` (object numbers)."""
    first_page = 4 + len(content_objects)
    kids = b" ".join(b"%d 0 R" % (first_page + i) for i in range(len(contents)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % len(contents),
        _FONT,
        *content_objects,
    ]
    objects += [
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
        b"/Contents %d 0 R >>" % c
        for c in contents
    ]
    return objects


def text_pdf(pages: list[str]) -> bytes:
    """A readable PDF: one line of text per page."""
    streams = [_stream(b"BT /F1 12 Tf 72 720 Td (" + t.encode("latin-1") + b") Tj ET") for t in pages]
    return build(_pages([4 + i for i in range(len(pages))], streams))


def many_pages(count: int) -> bytes:
    """``count`` pages sharing one small content stream: tiny file, huge page tree."""
    stream = _stream(b"BT /F1 12 Tf 72 720 Td (The panel met.) Tj ET")
    return build(_pages([4] * count, [stream]))


def many_operators(count: int) -> bytes:
    """One page whose content stream holds ``count`` text-showing operators (compresses to a few KB)."""
    ops = b"BT /F1 12 Tf 72 720 Td " + b"(a) Tj " * count + b"ET"
    return build(_pages([4], [_stream(ops)]))


def flate_bomb(expanded: int) -> bytes:
    """One page whose content stream inflates to ``expanded`` bytes of spaces."""
    comp = zlib.compressobj(9)
    chunk = b" " * (1 << 20)
    body = b"".join(comp.compress(chunk) for _ in range(expanded >> 20)) + comp.flush()
    stream = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(body) + body + b"\nendstream"
    return build(_pages([4], [stream]))


def laid_out_pdf(pages: list[list[tuple[float, float, str]]]) -> bytes:
    """Pages of (height from the bottom, font size, text) lines, each drawn where it says."""
    streams = []
    for lines in pages:
        ops = b"".join(
            b"BT /F1 %.1f Tf 72 %.1f Td (%s) Tj ET\n" % (size, y, text.encode("latin-1")) for y, size, text in lines
        )
        streams.append(_stream(ops))
    return build(_pages([4 + i for i in range(len(streams))], streams))
