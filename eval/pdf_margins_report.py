"""What PDF margin removal takes out of real PDFs: every line removed, per file and page.

``python -m eval.pdf_margins_report [PDF ...]`` (default: ``tests/fixtures`` and ``../shared/pdf-samples``)
prints each removed line and whether it equals its page's number, plus how often pypdf's layout mode and
pypdfium2's text also carry the page number; the figures go to ``eval/out/pdf-margins.json``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = [ROOT / "tests" / "fixtures", ROOT.parent / "shared" / "pdf-samples"]


def _pdfs(args: list[str]) -> list[Path]:
    paths = [Path(a) for a in args] or DEFAULT
    found: list[Path] = []
    for p in paths:
        found += sorted(p.glob("*.pdf")) if p.is_dir() else [p]
    return found


def _last_line_is_number(text: str, number: int) -> bool:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return bool(lines) and any(re.fullmatch(rf"[-–—\s]*{number}[-–—\s]*", line) for line in (lines[0], lines[-1]))


def measure(path: Path) -> dict:
    import pypdfium2
    from pypdf import PdfReader

    from ingest.pdf_margins import extract_layout, find_margins, margin_blocks, strip_margins

    reader = PdfReader(path)
    if reader.is_encrypted and not reader.decrypt(""):
        return {"file": path.name, "skipped": "password-protected"}
    layouts = [extract_layout(page, n) for n, page in enumerate(reader.pages, 1)]
    margins = {}
    for block in margin_blocks(len(layouts)):  # judged as ingestion judges them
        margins.update(find_margins(layouts[block.start : block.stop]))
    removed = []
    for layout in layouts:
        for line in strip_margins(layout.text, margins[layout.number])[1]:
            removed.append({"page": layout.number, "line": line, "is_page_number": line == str(layout.number)})
    layout_mode = sum(_last_line_is_number(p.extract_text(extraction_mode="layout"), n)
                      for n, p in enumerate(reader.pages, 1))
    pdf = pypdfium2.PdfDocument(str(path))
    pdfium = sum(_last_line_is_number(pdf[i].get_textpage().get_text_range(), i + 1) for i in range(len(pdf)))
    return {"file": str(path.relative_to(ROOT.parent)) if ROOT.parent in path.parents else path.name,
            "pages": len(layouts), "removed": removed,
            "page_number_left_by_pypdf_layout_mode": layout_mode, "page_number_left_by_pypdfium2": pdfium}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdfs", nargs="*")
    args = parser.parse_args(argv)
    results = [measure(p) for p in _pdfs(args.pdfs)]
    lines = sum(len(r.get("removed", [])) for r in results)
    not_numbers = [x for r in results for x in r.get("removed", []) if not x["is_page_number"]]
    for r in results:
        if "skipped" in r:
            print(f"{r['file']}: skipped ({r['skipped']})")
            continue
        shown = ", ".join(f"p{x['page']}: {x['line']!r}" for x in r["removed"]) or "nothing"
        print(f"{r['file']} ({r['pages']} pages): removed {shown}; page number still in the text with "
              f"layout mode on {r['page_number_left_by_pypdf_layout_mode']}, pypdfium2 on "
              f"{r['page_number_left_by_pypdfium2']} pages")
    print(f"{lines} lines removed in {len(results)} files; {len(not_numbers)} of them not their page's number")
    out = ROOT / "eval" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "pdf-margins.json").write_text(json.dumps({"files": results, "removed": lines,
                                                      "removed_not_page_numbers": not_numbers}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
