"""``python -m assistant "question"``: a cited answer on the terminal (``--json`` for machines).

With no question, starts a question loop that keeps the conversation, so follow-ups work.
"""

from __future__ import annotations

import argparse
import json
import sys

from assistant.answer import Answer
from assistant.service import Assistant
from assistant.settings import get_settings


def format_answer(answer: Answer) -> str:
    lines = [answer.text, ""]
    if answer.query and answer.query != answer.question:
        lines.insert(0, f"(searched for: {answer.query})\n")
    if answer.abstained:
        if answer.passages:
            lines.append("Closest matches (not answers):")
            for p in answer.passages[:3]:
                snippet = " ".join(p.text.split())[:160]
                lines.append(f"  - {p.location}: {snippet}...")
    else:
        lines.append("Sources:")
        for c in answer.citations:
            page = f", {c.page_label}" if c.page else ""
            lines.append(f"  [{c.number}] {c.title}{page} ({c.source})")
            lines.append(f"      “{c.sentence}”")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant", description=__doc__)
    parser.add_argument("question", nargs="*", help="the question (omit for an interactive loop)")
    parser.add_argument("--json", action="store_true", help="print the Answer as JSON (schema in README)")
    parser.add_argument("--k", type=int, default=None, help="passages to retrieve")
    parser.add_argument("--backend", choices=["extractive", "generative"], default=None)
    parser.add_argument("--docs", default="", help="comma-separated document ids to restrict the answer to")
    parser.add_argument("--history", action="append", default=[], help="an earlier question (repeatable)")
    args = parser.parse_args(argv)

    settings = get_settings()
    assistant = Assistant.from_settings(settings, backend=args.backend)
    if assistant.store.visible_passages() == 0:  # filling the index is the ingest package's job (a layer above)
        print("error: the index is empty: run `python -m ingest` first (it ingests the bundled corpus)",
              file=sys.stderr)
        return 2
    doc_ids = [d.strip() for d in args.docs.split(",") if d.strip()] or None

    def ask(question: str, history: list) -> Answer:
        answer = assistant.ask(question, history=history, k=args.k, doc_ids=doc_ids)
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2) if args.json else format_answer(answer))
        return answer

    if args.question:
        ask(" ".join(args.question), list(args.history))
        return 0
    history: list = list(args.history)
    print("Ask about the High-level Panel on Digital Cooperation (empty line or Ctrl-D to quit).")
    while True:
        try:
            question = input("\n> ").strip()
        except EOFError:
            break
        if not question:
            break
        answer = ask(question, history)
        history.append((question, answer.text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
