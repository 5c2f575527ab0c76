"""Peak memory and time of ingesting one long line without a sentence end (issue 22).

``python -m eval.bench_longline --mb 1,10`` writes a text file of corpus words on one line, with no
full stop, of each size, and ingests it in a fresh process (``eval.bench_large``'s child: the
hashing embedder with the real tokenizer by default, since what grew with the line was chunking and
token counting, not the model). Prints and writes peak RSS (``ru_maxrss`` of the child), seconds,
passages, sentences and the longest stored sentence to ``eval/out/bench_longline.json``. Before the
bounded chunker a 10 MB line peaked at 2.99 GB and took 298 s, stored as one 10 MB sentence.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from pathlib import Path

from eval.bench_ingest import machine, save_json
from eval.bench_large import OUT, ROOT, run_child


def write_line(path: Path, mb: float, seed: int = 22) -> Path:
    """``mb`` megabytes of corpus words, one line, no punctuation."""
    words = [w for f in sorted((ROOT / "corpus").glob("2*.md")) for w in f.read_text(encoding="utf-8").split()]
    vocab = sorted({w.strip(".,;:!?\"'()[]“”’").lower() for w in words} - {""})
    vocab = [w for w in vocab if w.isalpha()]
    rng = random.Random(seed)
    target = int(mb * 1_000_000)
    parts, size = [], 0
    while size < target:
        word = rng.choice(vocab)
        parts.append(word)
        size += len(word) + 1
    path.write_text(" ".join(parts), encoding="utf-8")
    return path


def longest_sentence(data_dir: Path) -> int:
    """The longest stored sentence, read straight from Chroma (the index was built by the bench embedder)."""
    import chromadb

    from assistant.store.reads import read_pages

    client = chromadb.PersistentClient(path=str(data_dir / "chroma"))
    pages = read_pages(client.get_collection("panel_sentences"), ["documents"])
    return max((len(d or "") for got in pages for d in got["documents"]), default=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench_longline", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", default="1,10", help="sizes of the line in MB (default 1,10)")
    parser.add_argument("--embedder", choices=["fast", "real"], default="fast")
    parser.add_argument("--out", type=Path, default=OUT / "bench_longline.json")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="panel-longline-") as scratch:
        for mb in (float(m) for m in args.mb.split(",") if m.strip()):
            work = Path(scratch) / f"{mb:g}mb"
            work.mkdir()
            text = write_line(work / f"one-line-{mb:g}mb.txt", mb)
            spec = {"pdf": str(text), "data_dir": str(work / "data"), "window": 50, "embedder": args.embedder}
            got = run_child(spec)
            row = {"mb": mb, "bytes": text.stat().st_size, **got}
            row["longest_sentence_chars"] = longest_sentence(work / "data")
            rows.append(row)
            print(f"{mb:g} MB on one line: {row['status']}, peak RSS {row['peak_rss_mb']:.0f} MB "
                  f"(before ingest {row['rss_before_ingest_mb']:.0f} MB), {row['seconds']:.1f} s, "
                  f"{row['passages']} passages, {row['sentences']} sentences, longest sentence "
                  f"{row['longest_sentence_chars']} chars", flush=True)
    save_json(args.out, {"machine": machine(load_average=os.getloadavg()), "embedder": args.embedder, "runs": rows})
    print(f"Written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
