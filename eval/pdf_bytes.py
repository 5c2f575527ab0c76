"""Writing a PDF byte by byte, with a valid cross-reference table, so readers take it seriously.

Shared by the large-document benchmark (a 1,700-page report built from corpus text) and the tests'
hostile PDFs (runaway content streams, page bombs): neither wants a PDF library to write what it reads.
"""

from __future__ import annotations


def pdf_bytes(objects: list[bytes]) -> bytes:
    """A PDF whose object n (1-based) is ``objects[n-1]``; object 1 must be the catalog."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
