"""``python -m eval.bench_verifier``: how many wrong generated sentences the verifier removes, and how
many faithful ones it keeps.

The faithful sentences (``eval/verifier-sentences.jsonl``) were paraphrased from the five corpus
documents alone, each with the verbatim quote it rests on, before the verifier was written. Each is
checked against the passage the ingester makes that holds its quote (the real chunker, with a
model-free token count). Corruptions are made from them by rule, never by hand:

- ``number``: a number changed (20 -> 30, "nine" -> "ten", "second" -> "third");
- ``date``: a year moved by one, a month, weekday or season moved;
- ``name``: a name swapped for another of as many words from the same document;
- ``negation``: a negation dropped, or a "not" put after the first auxiliary ("did not" otherwise);
- ``clause``: a clause added, the second half of a sentence about another document;
- ``citation``: the sentence checked against another passage (of the same document when it has one).

A sentence offers no corruption of a type it has nothing for (no number, no name...); the counts say
how many were made. Figures go to ``eval/out/bench_verifier.json`` (or ``--out``) and are printed.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import time
from pathlib import Path
from typing import Any

from assistant.answering.verify import number_value, proper_words, verify

HERE = Path(__file__).resolve().parent
DATA = HERE / "verifier-sentences.jsonl"
OUT = HERE / "out" / "bench_verifier.json"
CORPUS = HERE.parent / "corpus"
PASSAGE_WORDS = 150  # ~200 embedding-model tokens, the ingester's chunk size
TARGETS = {"removed": 0.95, "removed_per_type": 0.90, "kept": 0.90}
TYPES = ("number", "date", "name", "negation", "clause", "citation")

_MONTHS = "January February March April May June July August September October November December".split()
_DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
_SEASONS = "Spring Summer Autumn Winter".split()
_WORDS = "two three four five six seven eight nine ten eleven twelve".split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_ORD = "first second third fourth fifth sixth seventh eighth ninth tenth".split()
_BIG = ["hundred", "thousand", "million", "billion"]
_AUX = re.compile(r"\b(is|are|was|were|will|can|could|should|must|has|have|had|would|may|might)\b(?!\s+not)")
_NAME_RUN = re.compile(r"[A-Z][\w’'-]*(?: (?:of |& |for )?[A-Z][\w’'-]*)*")


# --- passages ------------------------------------------------------------------------------------


def passages_by_document() -> dict[str, list[str]]:
    """The passages the ingester makes of each corpus document (its loader and its chunker)."""
    from ingest.chunking import SentenceChunker, whitespace_tokens
    from ingest.loaders import load

    chunker = SentenceChunker(whitespace_tokens, PASSAGE_WORDS, 1)
    out = {}
    for path in sorted(CORPUS.glob("*.md")):
        if path.name == "README.md":
            continue
        out[path.stem] = [c.text for c in chunker.split(load(path).pages)]
    return out


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def passage_for(quote: str, passages: list[str]) -> int:
    """The first passage holding the whole quote (whitespace compared loosely)."""
    for i, p in enumerate(passages):
        if _flat(quote) in _flat(p):
            return i
    raise ValueError(f"no passage holds the quote {quote[:60]!r}")


# --- corruptions ---------------------------------------------------------------------------------


def _is_year(token: str) -> bool:
    return token.isdigit() and 1900 <= int(token) <= 2100


def change_number(sentence: str) -> str | None:
    for m in re.finditer(r"[\w’'-]+", sentence):
        for part in re.finditer(r"[^\W_]+", m.group(0)):
            w = part.group(0)
            if _is_year(w) or number_value(w) is None or w.lower() == "one":
                continue
            lw = w.lower()
            digits = re.fullmatch(r"(\d+)(st|nd|rd|th)?", lw)
            if digits:
                n = int(digits.group(1))
                new = str(n + max(1, round(n / 2)))
                if digits.group(2):
                    teen = new.endswith(("11", "12", "13"))
                    new += "th" if teen else {"1": "st", "2": "nd", "3": "rd"}.get(new[-1], "th")
            elif lw in _WORDS:
                new = _WORDS[(_WORDS.index(lw) + 1) % len(_WORDS)]
            elif lw in _TENS:
                new = _TENS[(_TENS.index(lw) + 1) % len(_TENS)]
            elif lw in _ORD:
                new = _ORD[(_ORD.index(lw) + 1) % len(_ORD)]
            elif lw.rstrip("s") in _BIG:
                base = lw.rstrip("s")
                new = _BIG[(_BIG.index(base) + 1) % len(_BIG)] + lw[len(base) :]
            elif lw == "half":
                new = "a third"
            else:
                continue
            new = new.capitalize() if w[0].isupper() else new
            start = m.start() + part.start()
            return sentence[:start] + new + sentence[start + len(w) :]
    return None


def change_date(sentence: str) -> str | None:
    for m in re.finditer(r"[A-Za-z]+|\d+", sentence):
        w = m.group(0)
        for table, step in ((_MONTHS, 3), (_DAYS, 2), (_SEASONS, 2)):
            if w in table:
                new = table[(table.index(w) + step) % len(table)]
                return sentence[: m.start()] + new + sentence[m.end() :]
        if _is_year(w):
            return sentence[: m.start()] + str(int(w) + 1) + sentence[m.end() :]
    return None


def name_runs(text: str, proper: set[str]) -> list[str]:
    """Runs of capitalised words, each a name of the document (capitalised, never lower case there)."""
    runs = []
    for m in _NAME_RUN.finditer(text):
        words = [w for w in m.group(0).split(" ") if w not in ("of", "&", "for")]
        if all(w.lower().replace("’", "'") in proper for w in words):
            runs.append(m.group(0))
    return runs


def swap_name(sentence: str, document: str, rng: random.Random) -> str | None:
    proper = proper_words(document) - {m.lower() for m in _MONTHS + _DAYS + _SEASONS}
    runs = name_runs(sentence, proper)
    pool = sorted(set(name_runs(document, proper)))
    for run in runs:
        size = len(run.split())
        others = [o for o in pool if len(o.split()) == size and o not in sentence and run not in o and o not in run]
        if others:
            return sentence.replace(run, rng.choice(others), 1)
    return None


def flip_negation(sentence: str) -> str | None:
    drops = [
        (r"\bcannot\b", "can"), (r"\bcan't\b", "can"), (r"\bnot only\b", None), (r"\s+not\b", ""),
        (r"\bnever\b", "always"), (r"\bno\s+", ""), (r"\blacks\b", "has"), (r"\blacking\b", "having"),
        (r"\bwithout\b", "with"),
    ]
    for pattern, new in drops:
        if new is None:
            if re.search(pattern, sentence):
                return re.sub(r"\bnot only\b", "only", sentence, count=1)
            continue
        if re.search(pattern, sentence):
            return re.sub(pattern, new, sentence, count=1)
    m = _AUX.search(sentence)
    if m:
        return sentence[: m.end()] + " not" + sentence[m.end() :]
    for m in re.finditer(r"\b([a-z]{3,}(ed|s))\b", sentence):
        if m.start() == 0 or sentence[: m.start()].rstrip().split()[-1].lower() in ("the", "a", "an", "of", "and"):
            continue
        word = m.group(1)
        if word.endswith("ed"):
            base = word[:-3] + "y" if word.endswith("ied") else word[:-2] + ("e" if word[-3] in "vcszgu" else "")
            return sentence[: m.start()] + "did not " + base + sentence[m.end() :]
        if word.endswith("s") and not word.endswith("ss"):
            return sentence[: m.start()] + "does not " + word[:-1] + sentence[m.end() :]
    return None


def add_clause(sentence: str, other: str) -> str:
    words = other.rstrip(".").split()
    tail = " ".join(words[len(words) // 2 :])
    return f"{sentence.rstrip('.')}, and {tail[0].lower() + tail[1:]}."


# --- run -----------------------------------------------------------------------------------------


def load_items(path: Path = DATA) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def cases(items: list[dict[str, str]], passages: dict[str, list[str]], seed: int = 20) -> list[dict[str, Any]]:
    """The faithful sentences and every corruption the rules can make of them."""
    rng = random.Random(seed)
    documents = {doc: "\n".join(ps) for doc, ps in passages.items()}
    out = []
    for n, item in enumerate(items):
        doc, sentence = item["doc"], item["sentence"]
        at = passage_for(item["quote"], passages[doc])
        passage = passages[doc][at]
        read = documents[doc]  # roughly what a model is given: passages of this document
        out.append({"type": "faithful", "sentence": sentence, "passage": passage, "item": n, "read": read})
        made = {
            "number": change_number(sentence),
            "date": change_date(sentence),
            "name": swap_name(sentence, documents[doc], rng),
            "negation": flip_negation(sentence),
            "clause": add_clause(sentence, rng.choice([i["sentence"] for i in items if i["doc"] != doc])),
        }
        for kind, text in made.items():
            if text and text != sentence:
                out.append({"type": kind, "sentence": text, "passage": passage, "item": n, "read": read})
        same = [p for i, p in enumerate(passages[doc]) if abs(i - at) > 1 and _flat(item["quote"]) not in _flat(p)]
        others = same or [p for d, ps in passages.items() if d != doc for p in ps]
        out.append({"type": "citation", "sentence": sentence, "passage": rng.choice(others), "item": n, "read": read})
    return out


def run(out: Path = OUT, show: int = 0) -> dict[str, Any]:
    from eval.bench_ingest import save_json

    passages = passages_by_document()
    items = load_items()
    results: dict[str, list[bool]] = {t: [] for t in ("faithful", *TYPES)}
    failures: dict[str, list[dict[str, str]]] = {t: [] for t in results}
    times = []
    for case in cases(items, passages):
        t0 = time.perf_counter()
        verdict = verify(case["sentence"], case["passage"], case["read"])
        times.append(time.perf_counter() - t0)
        results[case["type"]].append(verdict.supported)
        wrong = verdict.supported != (case["type"] == "faithful")
        if wrong:
            failures[case["type"]].append({"sentence": case["sentence"], "reason": verdict.reason})
    per_type = {
        t: {"n": len(results[t]), "removed": sum(not s for s in results[t]),
            "rate": round(sum(not s for s in results[t]) / max(1, len(results[t])), 3)}
        for t in TYPES
    }
    corrupted = [s for t in TYPES for s in results[t]]
    kept = results["faithful"]
    summary = {
        "faithful": {"n": len(kept), "kept": sum(kept), "rate": round(sum(kept) / len(kept), 3)},
        "corrupted": {"n": len(corrupted), "removed": sum(not s for s in corrupted),
                      "rate": round(sum(not s for s in corrupted) / len(corrupted), 3)},
        "per_type": per_type,
        "targets": TARGETS,
        "met": {
            "removed": sum(not s for s in corrupted) / len(corrupted) >= TARGETS["removed"],
            "removed_per_type": all(v["rate"] >= TARGETS["removed_per_type"] for v in per_type.values()),
            "kept": sum(kept) / len(kept) >= TARGETS["kept"],
        },
        "verify_ms": {"mean": round(statistics.mean(times) * 1000, 3),
                      "p95": round(sorted(times)[int(0.95 * len(times))] * 1000, 3)},
        "misjudged": failures,
    }
    summary["check_answer_ms"] = time_check_answer(items, passages)
    save_json(out, summary)
    print_summary(summary, show)
    return summary


ANSWER_SENTENCES = 5


def time_check_answer(items: list[dict[str, str]], passages: dict[str, list[str]]) -> dict[str, float]:
    """What checking costs per answer: the whole ``check_answer`` over answers of five faithful sentences,
    each citing its passage, with six passages given (as a model gets them). Compare with the model's own
    seconds per answer (``python -m eval --backend generative`` prints them)."""
    from assistant.answer import Passage
    from assistant.answering.checking import check_answer

    times = []
    for start in range(0, len(items) - ANSWER_SENTENCES + 1, ANSWER_SENTENCES):
        group = items[start : start + ANSWER_SENTENCES]
        given: list[str] = []
        for item in group:
            text = passages[item["doc"]][passage_for(item["quote"], passages[item["doc"]])]
            if text not in given:
                given.append(text)
        filler = [p for ps in passages.values() for p in ps if p not in given]
        given += filler[: max(0, 6 - len(given))]
        cited = [given.index(passages[i["doc"]][passage_for(i["quote"], passages[i["doc"]])]) + 1 for i in group]
        output = " ".join(f"{item['sentence'].rstrip('.')} [{n}]." for item, n in zip(group, cited, strict=True))
        shown = [Passage(id=str(i), doc_id="d", title="t", source="s", text=t) for i, t in enumerate(given)]
        t0 = time.perf_counter()
        check_answer(output, shown, max_sentences=ANSWER_SENTENCES)
        times.append(time.perf_counter() - t0)
    return {"answers": len(times), "mean": round(statistics.mean(times) * 1000, 2),
            "p95": round(sorted(times)[int(0.95 * len(times))] * 1000, 2)}


def print_summary(summary: dict[str, Any], show: int = 0) -> None:
    f, c = summary["faithful"], summary["corrupted"]
    print(f"faithful kept:     {f['kept']}/{f['n']} = {f['rate']:.1%} (target >= {TARGETS['kept']:.0%})")
    print(f"corrupted removed: {c['removed']}/{c['n']} = {c['rate']:.1%} (target >= {TARGETS['removed']:.0%})")
    for t, v in summary["per_type"].items():
        print(f"  {t:<9} {v['removed']:>3}/{v['n']:<3} = {v['rate']:.1%} (target >= {TARGETS['removed_per_type']:.0%})")
    print(f"verify: {summary['verify_ms']['mean']} ms mean, {summary['verify_ms']['p95']} ms p95 per sentence")
    c = summary["check_answer_ms"]
    print(f"check_answer: {c['mean']} ms mean, {c['p95']} ms p95 per {ANSWER_SENTENCES}-sentence answer "
          f"({c['answers']} answers, 6 passages given)")
    for t, items in summary["misjudged"].items():
        for item in items[:show]:
            print(f"  [{t}] {item['sentence']}  -- {item['reason'] or 'kept'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--show", type=int, default=0, help="print up to N misjudged sentences per type")
    args = parser.parse_args(argv)
    run(args.out, args.show)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
