"""Visibility by record, and ``python -m ingest --check`` / ``--repair``.

Rows no record names (what a killed writer leaves) are never found by a question; ``--check``
lists them and every other disagreement between store and records; ``--repair`` fixes them.
"""

from __future__ import annotations

from assistant.search.keyword_index import KeywordIndex
from assistant.search.sentence_index import SentenceIndex
from ingest import integrity
from ingest.__main__ import main as ingest_main

from .conftest import CORPUS

GHOST = "The zorblax accord was signed by the panel in Reykjavik."


def write_ghost(store, doc_id="ghost", digest="0" * 64):
    """Passages and sentences of a version no record names, as a writer killed mid-way leaves them."""
    vector = store.embedder.encode([GHOST])
    meta = {"doc_id": doc_id, "doc_hash": digest, "char_start": 0, "char_end": len(GHOST), "chunk_index": 0}
    store.add_sentences([f"{doc_id}-s0"], [GHOST], [meta], vector)
    store.add_passages([f"{doc_id}-p0"], [GHOST], [{**meta, "title": "Ghost", "source": "ghost.md"}], vector)


def findable(store) -> set[str]:
    """Every document a question could reach through any of the three searches."""
    vector = store.embedder.embed_query("zorblax accord Reykjavik")
    found = {p.metadata["doc_id"] for p in store.search(vector, 50)}
    found |= {p.metadata["doc_id"] for p, _ in KeywordIndex(store).search("zorblax accord Reykjavik", 50)}
    found |= {row.doc_id for row, _ in SentenceIndex(store).search(vector, 50)}
    found |= {p.metadata["doc_id"] for p in store.all_passages()}
    found |= {m["doc_id"] for m in store.all_sentences()[2]}
    return found


def test_rows_without_a_record_are_never_found_until_the_record_names_them(ingester):
    ingester.sync([CORPUS / "2018-07-panel-announcement-news.md"])
    store = ingester.store
    write_ghost(store)
    assert store.count() > 0 and "ghost" not in findable(store)
    # The moment a record names the version, it is found (no stale cache).
    from assistant.store.store import SourceRecord

    store.put_record(SourceRecord("ghost.md", "ghost", "0" * 64, "Ghost", 1, 1, 0.0, {"sentences": 1}))
    assert "ghost" in findable(store)


def test_check_lists_orphans_and_mismatches_and_repair_restores_a_clean_index(ingester, settings, monkeypatch, capsys):
    note = CORPUS / "2019-06-live-conversation-news.md"
    ingester.sync([CORPUS / "2018-07-panel-announcement-news.md", note])
    clean = snapshot(ingester.store)
    assert integrity.check(ingester.store).ok

    write_ghost(ingester.store)
    doc_id = next(r.doc_id for r in ingester.store.list_records() if r.source.endswith(note.name))
    lost = [i for i, m in ingester.store.raw_metadata("sentences") if m["doc_id"] == doc_id][:3]
    ingester.store.delete_ids(sentence_ids=lost)

    monkeypatch.setenv("PANEL_DATA_DIR", str(settings.data_dir))
    assert ingest_main(["--check"]) == 1
    out = capsys.readouterr().out
    assert "orphan    1 passages of ghost" in out and "orphan    1 sentences of ghost" in out
    assert f"mismatch  {doc_id} version" in out and "the store holds" in out and "--repair" in out

    assert ingest_main(["--repair"]) == 0
    out = capsys.readouterr().out
    assert "repaired  deleted 1 orphan passages and 1 orphan sentences" in out
    assert f"repaired  re-ingested 1 file(s): {note.relative_to(CORPUS.parent).as_posix()} added" in out
    assert out.strip().splitlines()[-1].endswith(": consistent")
    assert ingest_main(["--check"]) == 0
    assert snapshot(ingester.store) == clean


def snapshot(store) -> dict:
    """What a clean ingest leaves: every row's id, text and metadata, and the records (minus times)."""
    passages = sorted((p.id, p.text, tuple(sorted(p.metadata.items()))) for p in store.all_passages(live_only=False))
    ids, texts, metas, _ = store.all_sentences(live_only=False)
    sentences = sorted((i, t, tuple(sorted(m.items()))) for i, t, m in zip(ids, texts, metas, strict=True))
    records = sorted(
        (r.source, r.doc_id, r.content_hash, r.chunks, tuple(sorted(r.extra.items()))) for r in store.list_records()
    )
    return {"passages": passages, "sentences": sentences, "records": records}
