"""Seeded damage to real PDFs: byte flips, truncations, broken streams, lengths and cross-references.

``mutants(data, seed)`` yields (label, bytes) pairs, the same for the same seed. Run as a script to
see what each case of some PDFs produces:

    .venv/bin/python -m tests.pdf_mutants tests/fixtures/*.pdf
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator

_STREAM = re.compile(rb"stream\r?\n")


def _streams(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of every stream body."""
    spans = []
    for match in _STREAM.finditer(data):
        end = data.find(b"endstream", match.end())
        if end > match.end():
            spans.append((match.end(), end))
    return spans


def mutants(data: bytes, seed: int) -> Iterator[tuple[str, bytes]]:
    rng = random.Random(seed)
    size = len(data)
    for n in (1, 8, 64, 512):
        out = bytearray(data)
        for _ in range(n):
            at = rng.randrange(size)
            out[at] ^= 1 << rng.randrange(8)
        yield f"{n} bit flips", bytes(out)
    for fraction in (0.05, 0.5, 0.95, 0.999):
        cut = max(1, int(size * fraction))
        yield f"truncated to {cut} of {size} bytes", data[:cut]
    streams = _streams(data)
    if streams:
        start, end = streams[rng.randrange(len(streams))]
        garbage = bytes(rng.randrange(256) for _ in range(end - start))
        yield "one stream's bytes replaced by noise", data[:start] + garbage + data[end:]
        out = data
        for start, end in reversed(streams):
            middle = start + (end - start) // 2
            out = out[:middle] + out[middle + 1 :]  # one byte gone from every stream
        yield "one byte removed from every stream", out
        yield "every endstream removed", data.replace(b"endstream", b"")
        yield "every /Length wrong", re.sub(rb"/Length \d+", lambda m: b"/Length 999999", data)
        yield "every /Filter /FlateDecode claimed wrongly", re.sub(rb"/Filter\s*/\w+", b"/Filter /LZWDecode", data)
    yield "cross-reference table damaged", data.replace(b"xref", b"xreg").replace(b"startxref", b"startxreg")
    yield "trailer removed", data[: data.rfind(b"trailer")] if b"trailer" in data else data[: size // 2]
    yield "object numbers shuffled", re.sub(
        rb"(\d+) 0 obj", lambda m: b"%d 0 obj" % rng.randrange(1, 50), data
    )
    yield "object bodies interleaved", b"".join(
        data[i : i + 97] for i in sorted(range(0, size, 97), key=lambda _: rng.random())
    )


if __name__ == "__main__":
    import sys
    import time
    from pathlib import Path

    from ingest.loaders import LoadError
    from ingest.parse_worker import ParseWorker

    with ParseWorker(timeout=60, max_pages=5000) as worker:
        for name in sys.argv[1:]:
            path = Path(name)
            for seed in (12,):
                for label, damaged in mutants(path.read_bytes(), seed):
                    started = time.monotonic()
                    try:
                        doc = worker.load(path, damaged)
                        result = f"ingestable: {doc.page_count} pages, {sum(len(p.text) for p in doc.pages)} chars"
                    except LoadError as exc:
                        result = f"refused: {exc.reason}"
                    print(f"{path.name} | {label} | {result} | {time.monotonic() - started:.2f} s", flush=True)
