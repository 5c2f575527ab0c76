"""``python -m eval.segmentation``: our regex sentence splitter against maintained segmenters from PyPI.

Why: answers quote whole sentences and citations point at their spans, so a wrong boundary is a
quote cut in half ("Mr." + "Ma highlighted ...") or two sentences glued into one citation. The gold
file (``segmentation-gold.jsonl``) holds paragraphs of the corpus split by hand (abbreviations,
initials, list numbers, quotations running over several sentences) and English and German passages
written for the test ("vgl.", "z. B.", "d. h.", dates such as "3. Oktober"). Sentences inside a
quotation count as sentences: the answerer joins them back into one unit, a citation cannot split one.

Each segmenter is scored on boundary precision, recall and F1 (a boundary is the character offset
where a sentence starts, after the first). The other segmenters are optional; install them to compare:
``pip install pysbd sentencex syntok blingfire``. Results go to ``eval/out/segmentation.json``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

from assistant.reading.sentences import sentence_spans

GOLD = Path(__file__).resolve().parent / "segmentation-gold.jsonl"
OUT = Path(__file__).resolve().parent / "out" / "segmentation.json"

Segmenter = Callable[[str, str], list[str]]


def _regex(text: str, lang: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


def _optional() -> dict[str, Segmenter]:
    found: dict[str, Segmenter] = {}
    try:
        import pysbd

        found["pysbd"] = lambda text, lang: [
            s.strip() for s in pysbd.Segmenter(language=lang, clean=False).segment(text)
        ]
    except ImportError:
        pass
    try:
        import sentencex

        found["sentencex"] = lambda text, lang: [s.strip() for s in sentencex.segment(lang, text)]
    except ImportError:
        pass
    try:
        from syntok import segmenter

        def syntok_split(text: str, lang: str) -> list[str]:
            out = []
            for paragraph in segmenter.analyze(text):
                for sentence in paragraph:
                    start, end = sentence[0].offset, sentence[-1].offset + len(sentence[-1].value)
                    out.append(text[start:end])
            return out

        found["syntok"] = syntok_split
    except ImportError:
        pass
    try:
        import blingfire

        found["blingfire"] = lambda text, lang: blingfire.text_to_sentences(text).split("\n")
    except ImportError:
        pass
    return found


def boundaries(text: str, sentences: list[str]) -> set[int]:
    """Start offsets of every sentence after the first (found left to right in ``text``)."""
    starts, pos = [], 0
    for sentence in sentences:
        sentence = sentence.strip()
        if not sentence:
            continue
        at = text.find(sentence[:20], pos)
        if at == -1:
            continue
        starts.append(at)
        pos = at + 1
    return set(starts[1:])


def score(segment: Segmenter, items: list[dict]) -> dict[str, float]:
    found = wanted = hit = 0
    exact = 0
    for item in items:
        gold = boundaries(item["text"], item["sentences"])
        got = boundaries(item["text"], segment(item["text"], item.get("lang", "en")))
        found, wanted, hit = found + len(got), wanted + len(gold), hit + len(got & gold)
        exact += got == gold
    precision = hit / found if found else 1.0
    recall = hit / wanted if wanted else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "paragraphs_exact": exact / len(items)}


def main() -> int:
    items = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    segmenters: dict[str, Segmenter] = {"regex (assistant.sentences)": _regex, **_optional()}
    results = {}
    print(f"{len(items)} paragraphs, {sum(len(i['sentences']) for i in items)} sentences\n")
    print(f"{'segmenter':<28} {'precision':>9} {'recall':>7} {'F1':>6} {'exact':>6}")
    for name, segment in segmenters.items():
        for lang in ("en", "de"):
            subset = [i for i in items if i.get("lang", "en") == lang]
            results[f"{name} [{lang}]"] = score(segment, subset)
        results[name] = r = score(segment, items)
        print(f"{name:<28} {r['precision']:>9.3f} {r['recall']:>7.3f} {r['f1']:>6.3f} {r['paragraphs_exact']:>6.2f}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"\nper language and overall: {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
