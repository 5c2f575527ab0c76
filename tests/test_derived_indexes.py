"""The keyword and sentence indexes follow writes document by document, and never block a question
on a full rebuild once they have a state (issue 11)."""

from __future__ import annotations

import hashlib
import re
import threading
import time

import bm25s
import numpy as np
import pytest

from assistant.embedding.embedder import Embedder
from assistant.reading.text import terms
from assistant.search.keyword_index import KeywordIndex
from assistant.search.retrieval import to_passage
from assistant.search.sentence_index import SentenceIndex
from assistant.settings import Settings
from assistant.store.store import CHANGE_LOG_LENGTH, SourceRecord, Store

from .conftest import CORPUS

DIM = 64


class HashingModel:
    """Bag-of-words vectors (hashed words): fast, deterministic, and similar texts are similar."""

    max_seq_length = 256

    def get_embedding_dimension(self) -> int:
        return DIM

    def encode(self, batch, **_kwargs):
        out = np.zeros((len(batch), DIM), dtype=np.float32)
        for i, text in enumerate(batch):
            for word in re.findall(r"\w+", text.lower()):
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % DIM] += 1.0
            out[i, 0] += 1e-3
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def corpus_paragraphs() -> list[str]:
    paragraphs = []
    for path in sorted(CORPUS.glob("*.md")):
        if path.name.startswith("README"):
            continue
        body = path.read_text(encoding="utf-8").split("---", 2)[-1]
        paragraphs.extend(p.strip() for p in body.split("\n\n") if len(p.split()) > 5)
    return paragraphs


def write_version(store: Store, doc_id: str, version: str, paragraphs: list[str]) -> None:
    """What the ingester does for one document version: sentences first, then passages."""
    text = "\n\n".join(paragraphs)
    doc_hash = hashlib.sha256(f"{doc_id}{version}{text}".encode()).hexdigest()[:16]
    sentences, passages, offset = [], [], 0
    for para in paragraphs:
        passages.append((offset, offset + len(para), para))
        for m in re.finditer(r"[^.!?]+[.!?]?", para):
            if m.group().strip():
                sentences.append((offset + m.start(), offset + m.end(), m.group()))
        offset += len(para) + 2
    embed = store.embedder.encode
    prefix = f"{doc_id}-{doc_hash[:12]}"
    store.add_sentences(
        [f"{prefix}-s{i:05d}" for i in range(len(sentences))], [s[2] for s in sentences],
        [{"doc_id": doc_id, "doc_hash": doc_hash, "char_start": a, "char_end": b} for a, b, _ in sentences],
        embed([s[2] for s in sentences]),
    )
    store.add_passages(
        [f"{prefix}-{i:05d}" for i in range(len(passages))], [p[2] for p in passages],
        [{"doc_id": doc_id, "doc_hash": doc_hash, "char_start": a, "char_end": b, "title": doc_id}
         for a, b, _ in passages],
        embed([p[2] for p in passages]),
    )
    # The record makes the version visible (and hides the previous one), as in the ingester.
    extra = {"sentences": len(sentences)}
    store.put_record(SourceRecord(doc_id, doc_id, doc_hash, doc_id, len(passages), 1, 0.0, extra))
    store.delete_document(doc_id, keep_hash=doc_hash)


def remove(store: Store, doc_id: str) -> None:
    """What the ingester does to forget a document: the record first, then its rows."""
    store.delete_records([doc_id])
    store.delete_document(doc_id)


@pytest.fixture
def store(tmp_path) -> Store:
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=CORPUS)
    return Store(settings, Embedder("hashing", batch_size=16, loaded=HashingModel()))


@pytest.fixture
def paragraphs() -> list[str]:
    return corpus_paragraphs()


def bm25s_scores(texts: list[str], query: str) -> np.ndarray:
    index = bm25s.BM25()
    index.index([terms(t) or ["\u2205"] for t in texts], show_progress=False)
    query_terms = [t for t in terms(query) if any(t in terms(x) for x in texts)]
    return np.asarray(index.get_scores(query_terms), dtype=np.float64)


def test_keyword_scores_match_bm25s_before_and_after_an_incremental_update(store, paragraphs):
    write_version(store, "a", "1", paragraphs[:40])
    write_version(store, "b", "1", paragraphs[40:80])
    index = KeywordIndex(store)
    query = "digital cooperation panel recommendations for inclusion"
    live = {p.id: p.text for p in store.all_passages()}
    ours = index.scores([t for t in terms(query) if index.contains(t)])
    expected = bm25s_scores(list(live.values()), query)
    np.testing.assert_allclose(ours[: len(live)], expected, rtol=1e-4, atol=1e-5)

    write_version(store, "a", "2", paragraphs[10:30] + paragraphs[80:90])  # update a
    remove(store, "b")
    write_version(store, "c", "1", paragraphs[90:120])  # add c
    hits = index.search(query, 200)
    assert index.full_builds == 1 and index.updates == 1  # applied as a delta, not rebuilt
    live = {p.id: p.text for p in store.all_passages()}
    assert len(index) == len(live) and {p.id for p, _ in hits} <= set(live)
    expected = dict(zip(live, bm25s_scores(list(live.values()), query), strict=True))
    for passage, score in hits:
        assert score == pytest.approx(expected[passage.id], rel=1e-4)
    assert sum(1 for s in expected.values() if s > 0) == len(hits)


def test_a_write_in_this_process_updates_both_indexes_without_a_rebuild(store, paragraphs):
    write_version(store, "a", "1", paragraphs[:30])
    keyword, sentences = KeywordIndex(store), SentenceIndex(store)
    assert keyword.search("zorblax", 3) == []
    write_version(store, "note", "1", ["The zorblax accord was signed in Reykjavik. It binds nobody."])
    (hit, _), = keyword.search("zorblax accord", 3)
    assert hit.metadata["doc_id"] == "note"
    vector = store.embedder.encode(["zorblax accord signed in Reykjavik"])[0]
    best, _ = sentences.search(vector, 1)[0]
    assert best.doc_id == "note" and "zorblax" in best.text
    rows = sentences.in_passage(to_passage(hit), vector)
    assert [r.text.strip() for r, _ in rows] == ["The zorblax accord was signed in Reykjavik.", "It binds nobody."]

    write_version(store, "note", "2", ["The quimbly pact replaced it."])
    remove(store, "a")
    assert keyword.search("zorblax", 3) == [] and keyword.search("quimbly", 3)
    assert {r.doc_id for r, _ in sentences.search(vector, 50)} == {"note"}
    assert (keyword.full_builds, sentences.full_builds) == (1, 1)
    assert keyword.updates >= 2 and sentences.updates >= 1


def test_a_write_from_another_store_is_followed_by_its_logged_documents(store, paragraphs):
    """Another process (here: a second Store on the same Chroma folder) logs what it touched."""
    write_version(store, "a", "1", paragraphs[:30])
    keyword = KeywordIndex(store)
    assert len(keyword) == 30
    other = Store(store.settings, store.embedder)
    write_version(other, "b", "1", paragraphs[30:35])
    store._revision_cache = None  # skip the one-second revision cache, as if a second had passed
    assert len(keyword) == 35 and keyword.full_builds == 1 and keyword.updates == 1


def test_an_unknown_delta_rebuilds_in_the_background_while_questions_use_the_old_state(
    store, paragraphs, monkeypatch
):
    write_version(store, "a", "1", paragraphs[:30])
    keyword = KeywordIndex(store)
    assert len(keyword) == 30
    other = Store(store.settings, store.embedder)
    # Two revisions each (the record, the old version's deletion; rows of a version no record names
    # announce nothing): more than the log keeps.
    for n in range(CHANGE_LOG_LENGTH // 2 + 2):
        write_version(other, "b", str(n), paragraphs[30 + n : 32 + n])
    release = threading.Event()
    real_build = KeywordIndex._build

    def slow_build(self):
        assert release.wait(10)
        return real_build(self)

    monkeypatch.setattr(KeywordIndex, "_build", slow_build)
    store._revision_cache = None
    started = time.perf_counter()
    assert len(keyword) == 30  # the previous state answers at once
    assert keyword.search("digital", 3)
    assert time.perf_counter() - started < 5 and keyword.rebuilding
    release.set()
    keyword.wait(10)
    assert len(keyword) == 32 and keyword.full_builds == 2


def test_a_question_sees_the_old_or_the_new_version_of_a_document_never_half(store, paragraphs):
    write_version(store, "a", "0", paragraphs[:20])
    keyword, sentences = KeywordIndex(store), SentenceIndex(store)
    sizes = {"0": 20}
    problems: list[str] = []
    done = threading.Event()

    def check() -> None:
        while not done.is_set():
            state = keyword.state()
            versions: dict[str, int] = {}
            for p in state.passages:
                if p is not None:
                    versions[p.metadata["doc_hash"]] = versions.get(p.metadata["doc_hash"], 0) + 1
            if not versions or any(n not in sizes.values() for n in versions.values()):
                problems.append(f"passages per version: {versions}")
            s_state = sentences.state()
            live = {r.doc_hash for r in s_state.rows if r is not None}
            if not live:
                problems.append("no sentences")

    reader = threading.Thread(target=check)
    reader.start()
    for n in range(1, 7):
        sizes[str(n)] = 20 + n
        write_version(store, "a", str(n), paragraphs[n : 20 + 2 * n])
    done.set()
    reader.join(10)
    assert problems == []
    assert len(keyword) == 26


def test_ann_and_scan_modes_find_the_same_sentences(store, paragraphs):
    write_version(store, "a", "1", paragraphs[:60])
    scan, ann = SentenceIndex(store), SentenceIndex(store)
    ann.scan_max = 0  # above the switch: vectors stay in Chroma
    assert scan.state().in_memory and not ann.state().in_memory
    vector = store.embedder.encode(["the panel met at United Nations headquarters in New York"])[0]
    top_scan = [(r.text, round(s, 4)) for r, s in scan.search(vector, 5)]
    top_ann = [(r.text, round(s, 4)) for r, s in ann.search(vector, 5)]
    assert top_scan == top_ann
    passage = to_passage(store.all_passages()[3])
    assert [(r.text, round(s, 5)) for r, s in scan.in_passage(passage, vector)] == [
        (r.text, round(s, 5)) for r, s in ann.in_passage(passage, vector)
    ]
    assert [r.text for r in scan.page_rows(passage)] == [r.text for r in ann.page_rows(passage)]


def test_ann_mode_reads_a_version_by_id_or_by_metadata(store, paragraphs):
    """ANN mode reads the sentences of a version when a question needs them: by id when the record
    counts them, by metadata when it does not (an index written before the count was recorded)."""
    write_version(store, "a", "1", paragraphs[:30])
    record = store.list_records()[0]
    by_id = store.version_sentences("a", record.content_hash)
    assert len(by_id[0]) == record.extra["sentences"] > 0 and by_id[3].shape == (len(by_id[0]), DIM)
    del record.extra["sentences"]
    store.put_record(record)
    by_metadata = store.version_sentences("a", record.content_hash)
    assert sorted(by_metadata[0]) == sorted(by_id[0])
    ann = SentenceIndex(store)
    ann.scan_max = 0
    passage = to_passage(store.all_passages()[2])
    assert ann.page_rows(passage) and ann.in_passage(passage, by_id[3][0])
