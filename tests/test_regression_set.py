"""Validate eval/questions.jsonl (the regression set) and eval/questions-holdout.jsonl (the
held-out set) against corpus/.

Stdlib + PyYAML only; no project imports.
"""

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parent.parent
CORPUS_DIR = ROOT / "corpus"
QUESTIONS = ROOT / "eval" / "questions.jsonl"
HOLDOUT = ROOT / "eval" / "questions-holdout.jsonl"
HOLDOUT_KINDS = ROOT / "eval" / "questions-holdout-2.jsonl"
HOLDOUT_3 = ROOT / "eval" / "questions-holdout-3.jsonl"
HOLDOUT_4 = ROOT / "eval" / "questions-holdout-4.jsonl"
HOLDOUT_5 = ROOT / "eval" / "questions-holdout-5.jsonl"
HOLDOUT_6 = ROOT / "eval" / "questions-holdout-6.jsonl"

REQUIRED_KEYS = {"id", "q", "facts", "evidence", "sources", "answerable"}
OPTIONAL_KEYS = {"history", "kind", "min_facts", "tags", "parts", "expected"}
ALLOWED_KINDS = {"press release", "meeting summary", "news article"}
DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@dataclass(frozen=True)
class QuestionSet:
    path: Path
    id_prefix: str
    min_items: int
    min_unanswerable: int


QUESTION_SETS = [
    QuestionSet(QUESTIONS, "q", min_items=60, min_unanswerable=12),
    QuestionSet(HOLDOUT, "h", min_items=30, min_unanswerable=8),
    QuestionSet(HOLDOUT_KINDS, "k", min_items=50, min_unanswerable=16),
    QuestionSet(HOLDOUT_3, "h", min_items=50, min_unanswerable=14),
    QuestionSet(HOLDOUT_4, "p", min_items=50, min_unanswerable=14),
    QuestionSet(HOLDOUT_5, "c", min_items=55, min_unanswerable=10),
    QuestionSet(HOLDOUT_6, "f", min_items=55, min_unanswerable=10),
]


def split_front_matter(text):
    """Return (metadata dict, body) for a Markdown file with YAML front matter."""
    assert text.startswith("---\n"), "file must start with a '---' front matter line"
    end = text.find("\n---\n", 4)
    assert end != -1, "front matter is not closed by a '---' line"
    meta = yaml.safe_load(text[4:end])
    assert isinstance(meta, dict), "front matter must be a YAML mapping"
    return meta, text[end + len("\n---\n"):]


def norm(s):
    return re.sub(r"\s+", " ", s).strip().casefold()


def corpus_files():
    return sorted(p for p in CORPUS_DIR.glob("*.md") if p.name != "README.md")


@pytest.fixture(scope="module")
def corpus():
    docs = {}
    for path in corpus_files():
        meta, body = split_front_matter(path.read_text(encoding="utf-8"))
        docs[path.stem] = {"meta": meta, "body": body, "norm": norm(body)}
    assert docs, "no corpus documents found"
    return docs


def load_items(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    parsed = []
    for n, line in enumerate(lines, 1):
        assert line.strip(), f"{path.name}:{n} is blank"
        parsed.append(json.loads(line))
    return parsed


@pytest.fixture(scope="module", params=QUESTION_SETS, ids=lambda qs: qs.path.name)
def qset(request):
    return request.param


@pytest.fixture(scope="module")
def items(qset):
    return load_items(qset.path)


# --- corpus -----------------------------------------------------------------

@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_corpus_front_matter(path):
    raw = path.read_bytes()
    assert b"\r" not in raw, "files must use LF line endings"
    text = raw.decode("utf-8")
    meta, body = split_front_matter(text)
    for key in ("title", "date", "kind"):
        assert isinstance(meta.get(key), str) and meta[key].strip(), f"missing {key}"
    assert meta["kind"] in ALLOWED_KINDS
    assert DATE_RE.match(meta["date"]), meta["date"]
    assert body.strip(), "empty body"


def test_corpus_has_documents():
    assert len(corpus_files()) >= 5


# --- question sets: shape ---------------------------------------------------

def test_item_shape(items):
    for item in items:
        keys = set(item)
        assert keys >= REQUIRED_KEYS, (item.get("id"), REQUIRED_KEYS - keys)
        assert keys <= REQUIRED_KEYS | OPTIONAL_KEYS, (item["id"], keys - REQUIRED_KEYS - OPTIONAL_KEYS)
        assert isinstance(item["id"], str)
        assert isinstance(item["q"], str) and item["q"].strip(), item["id"]
        assert isinstance(item["answerable"], bool), item["id"]
        assert isinstance(item["facts"], list), item["id"]
        for group in item["facts"]:
            assert isinstance(group, list) and group, (item["id"], group)
            assert all(isinstance(alt, str) and alt.strip() for alt in group), (item["id"], group)
        assert isinstance(item["evidence"], list), item["id"]
        assert all(isinstance(e, str) and e.strip() for e in item["evidence"]), item["id"]
        assert isinstance(item["sources"], list), item["id"]
        assert all(isinstance(s, str) for s in item["sources"]), item["id"]
        if "history" in item:
            hist = item["history"]
            assert isinstance(hist, list) and hist, item["id"]
            assert all(isinstance(h, str) and h.strip() for h in hist), item["id"]


def test_ids_unique_and_sequential(items, qset):
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)), "duplicate ids"
    bad_prefix = [i for i in ids if not i.startswith(qset.id_prefix)]
    assert not bad_prefix, f"ids must start with {qset.id_prefix!r}: {bad_prefix}"
    width = max(2, len(str(len(ids))))
    assert ids == [f"{qset.id_prefix}{i:0{width}d}" for i in range(1, len(ids) + 1)]


def test_counts(items, qset):
    assert len(items) >= qset.min_items
    assert sum(1 for item in items if not item["answerable"]) >= qset.min_unanswerable


# --- question sets: grounding -----------------------------------------------

def test_sources_exist(items, corpus):
    for item in items:
        for src in item["sources"]:
            assert src in corpus, (item["id"], src)


def test_answerable_items_are_grounded(items, corpus):
    for item in items:
        if not item["answerable"]:
            continue
        assert item["facts"], f"{item['id']}: answerable item without facts"
        assert item["evidence"], f"{item['id']}: answerable item without evidence"
        assert item["sources"], f"{item['id']}: answerable item without sources"
        bodies = [corpus[s]["body"] for s in item["sources"] if s in corpus]
        for ev in item["evidence"]:
            assert any(ev in body for body in bodies), f"{item['id']}: evidence not verbatim: {ev!r}"
        normed = [corpus[s]["norm"] for s in item["sources"] if s in corpus]
        for group in item["facts"]:
            assert any(norm(alt) in nb for alt in group for nb in normed), \
                f"{item['id']}: no alternative of fact group occurs in sources: {group!r}"


def test_unanswerable_items_are_empty(items):
    for item in items:
        if item["answerable"]:
            continue
        assert item["facts"] == [], item["id"]
        assert item["evidence"] == [], item["id"]
        assert item["sources"] == [], item["id"]


def test_every_document_is_used(items, corpus):
    used = {src for item in items for src in item["sources"]}
    missing = set(corpus) - used
    assert not missing, f"documents never used as a source: {sorted(missing)}"


# --- held-out set ------------------------------------------------------------

@pytest.mark.parametrize("holdout", [HOLDOUT, HOLDOUT_KINDS, HOLDOUT_3, HOLDOUT_4, HOLDOUT_5, HOLDOUT_6],
                         ids=lambda p: p.name)
def test_holdout_questions_are_new(holdout):
    regression = {norm(item["q"]) for item in load_items(QUESTIONS)}
    repeated = [item["id"] for item in load_items(holdout) if norm(item["q"]) in regression]
    assert not repeated, f"held-out questions identical to regression-set questions: {repeated}"


def test_answer_shape_items():
    """The kinds the answer-shape metrics score are all present, with enough items to mean something."""
    for path, minimum in ((QUESTIONS, 40), (HOLDOUT_KINDS, 25), (HOLDOUT_3, 25), (HOLDOUT_4, 25)):
        items = load_items(path)
        kinds = [item.get("kind") for item in items if item["answerable"]]
        assert sum(k is not None for k in kinds) >= minimum, path.name
        assert {"factoid", "list", "summary", "reason"} <= set(kinds), path.name
        near_topic = [item for item in items if "near-topic" in item.get("tags", [])]
        assert all(not item["answerable"] for item in near_topic), path.name
        assert len(near_topic) >= (40 if path == QUESTIONS else 14), path.name


@pytest.mark.parametrize("path", [HOLDOUT_5, HOLDOUT_6], ids=lambda p: p.name)
def test_new_voice_sets_ask_in_parts_compare_and_check_claims(path):
    """The sets that measure two-part questions, comparisons and far-off refusals hold enough of each."""
    from eval.dataset import load_questions

    questions = load_questions(path)  # also validates parts (their facts are the item's) and 'expected'
    kinds = [q.kind for q in questions if q.answerable]
    assert kinds.count("multipart") >= 5 and kinds.count("comparison") >= 4 and kinds.count("yesno") >= 3
    assert all(len(q.parts) >= 2 for q in questions if q.answerable and q.kind in ("multipart", "comparison"))
    assert sum("far-off" in q.tags for q in questions) >= 3
