"""Incremental, idempotent ingestion: what users rely on when they re-ingest."""

from __future__ import annotations

import shutil

import pytest

from ingest.__main__ import main as ingest_main
from ingest.pipeline import Ingester

from .conftest import CORPUS, FIXTURES

CORPUS_FILES = sorted(p.name for p in CORPUS.glob("*.md") if not p.name.lower().startswith("readme"))


def _counts(report):
    return {k: v for k, v in report.counts.items() if v}


def test_corpus_ingest_then_rerun_embeds_nothing(ingester, corpus_copy):
    first = ingester.sync([corpus_copy])
    assert _counts(first) == {"added": len(CORPUS_FILES)}
    total_chunks = sum(o.chunks for o in first.outcomes)
    total_sentences = ingester.store.sentences.count()
    assert ingester.store.count() == total_chunks
    assert first.embedded == total_chunks + total_sentences  # passages, then their sentences

    again = ingester.sync([corpus_copy])
    assert _counts(again) == {"unchanged": len(CORPUS_FILES)}
    assert again.embedded == 0
    assert ingester.store.count() == total_chunks


def test_every_chunk_carries_its_provenance(ingester, corpus_copy):
    ingester.sync([corpus_copy])
    passages = ingester.store.all_passages()
    required = {"doc_id", "title", "source", "char_start", "char_end", "chunk_index", "content_hash"}
    texts = {}
    for p in passages:
        assert required <= set(p.metadata), p.metadata
        source = p.metadata["source"]
        if source not in texts:
            from ingest.loaders import load
            from ingest.pipeline import source_path

            texts[source] = load(source_path(source)).pages[0].text
        assert texts[source][p.metadata["char_start"] : p.metadata["char_end"]] == p.text


def test_change_remove_and_duplicate(ingester, corpus_copy):
    ingester.sync([corpus_copy])
    before = {d.doc_id: d for d in ingester.documents()}

    changed = corpus_copy / CORPUS_FILES[0]
    changed.write_text(changed.read_text(encoding="utf-8") + "\nA new closing sentence.\n", encoding="utf-8")
    removed = corpus_copy / CORPUS_FILES[1]
    removed.unlink()
    twin = corpus_copy / "copy-of-third.md"
    shutil.copy(corpus_copy / CORPUS_FILES[2], twin)

    report = ingester.sync([corpus_copy])
    assert _counts(report) == {"updated": 1, "removed": 1, "duplicate": 1, "unchanged": len(CORPUS_FILES) - 2}
    updated = next(o for o in report.outcomes if o.status == "updated")
    new_sentences = next(int(r.extra["sentences"]) for r in ingester.store.list_records() if r.doc_id == updated.doc_id)
    assert report.embedded == updated.chunks + new_sentences

    docs = {d.doc_id: d for d in ingester.documents()}
    assert len(docs) == len(before) - 1  # the twin is stored once
    third = docs[changed.stem.replace(changed.stem, CORPUS_FILES[2][:-3])]
    assert len(third.sources) == 2
    expected_chunks = sum(d.chunks for d in docs.values())
    assert ingester.store.count() == expected_chunks
    records = {r.doc_id: r for r in ingester.store.list_records()}.values()
    assert ingester.store.sentences.count() == sum(int(r.extra["sentences"]) for r in records)
    updated_texts = " ".join(p.text for p in ingester.store.all_passages(where={"doc_id": changed.stem}))
    assert "A new closing sentence." in updated_texts

    # Removing the first of two identical files keeps the document, now under the other name.
    (corpus_copy / CORPUS_FILES[2]).unlink()
    report = ingester.sync([corpus_copy])
    assert _counts(report)["removed"] == 1 and report.embedded == 0
    survivors = ingester.store.all_passages(where={"doc_id": CORPUS_FILES[2][:-3]})
    assert survivors and all(p.metadata["source"].endswith("copy-of-third.md") for p in survivors)


def test_files_named_one_by_one_are_never_pruned(ingester, corpus_copy, tmp_path):
    ingester.sync([corpus_copy])
    extra = tmp_path / "notes.txt"
    extra.write_text("The panel met again. It discussed trust.", encoding="utf-8")
    ingester.sync([extra])
    report = ingester.sync([corpus_copy / CORPUS_FILES[0]])
    assert _counts(report) == {"unchanged": 1}
    assert len(ingester.documents()) == len(CORPUS_FILES) + 1


def test_bad_inputs_are_reported_and_lose_nothing(ingester, corpus_copy, tmp_path):
    ingester.sync([corpus_copy])
    stored = ingester.store.count()
    bad = tmp_path / "bad"
    bad.mkdir()
    shutil.copy(FIXTURES / "libreoffice-writer-password.pdf", bad / "locked.pdf")
    (bad / "truncated.pdf").write_bytes((FIXTURES / "pdflatex-4-pages.pdf").read_bytes()[:500])
    (bad / "empty.md").write_bytes(b"")
    (bad / "latin1.txt").write_bytes("Genève et la coopération".encode("latin-1"))
    (bad / "table.xlsx").write_bytes(b"PK\x03\x04")
    shutil.copy(FIXTURES / "minimal-document.pdf", bad / "good.pdf")

    report = ingester.sync([bad])
    reasons = {o.source.rsplit("/", 1)[-1]: o.reason for o in report.failures}
    assert set(reasons) == {"locked.pdf", "truncated.pdf", "empty.md", "latin1.txt", "table.xlsx"}
    assert "password-protected" in reasons["locked.pdf"]
    assert "corrupt or truncated" in reasons["truncated.pdf"]
    assert "empty file" in reasons["empty.md"]
    assert "not UTF-8" in reasons["latin1.txt"]
    assert "unsupported" in reasons["table.xlsx"]
    assert report.counts["added"] == 1 and report.usable
    assert ingester.store.count() > stored  # the good PDF went in, nothing was lost

    # A stored document whose file turns bad keeps its passages until it is readable again.
    doc = corpus_copy / CORPUS_FILES[0]
    doc.write_bytes("caf\xe9".encode("latin-1"))
    report = ingester.sync([corpus_copy])
    assert report.counts["failed"] == 1
    assert ingester.store.all_passages(where={"doc_id": doc.stem})


def test_pdf_upload_keeps_pages(ingester):
    report = ingester.sync([FIXTURES / "pdflatex-4-pages.pdf"])
    assert report.counts["added"] == 1
    pages = {p.metadata["page"] for p in ingester.store.all_passages()}
    assert pages == {1, 2, 3, 4}
    (doc,) = ingester.documents()
    assert doc.pages == 4


def test_interrupted_run_leaves_no_orphans(ingester, corpus_copy):
    ingester.sync([corpus_copy])
    # Simulate a crash between writing passages and writing their record.
    target = corpus_copy / CORPUS_FILES[0]
    record = next(r for r in ingester.store.list_records() if r.source.endswith(CORPUS_FILES[0]))
    ingester.store.delete_records([record.source])
    ingester.sync([corpus_copy])
    assert ingester.store.count() == sum(d.chunks for d in ingester.documents())
    assert target.stem in {d.doc_id for d in ingester.documents()}


def test_cli_reports_and_lists(settings, monkeypatch, capsys, corpus_copy):
    monkeypatch.setenv("PANEL_DATA_DIR", str(settings.data_dir))
    assert ingest_main([str(corpus_copy)]) == 0
    out = capsys.readouterr().out
    assert "added" in out and "seconds" in out
    assert ingest_main([str(corpus_copy)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].split("|")[3].strip() == str(len(CORPUS_FILES))  # unchanged column
    assert ingest_main(["--list"]) == 0
    listing = capsys.readouterr().out
    assert all(name[:-3] in listing for name in CORPUS_FILES)
    assert ingest_main([str(FIXTURES / "libreoffice-writer-password.pdf")]) == 1  # nothing usable


def test_index_built_with_another_model_is_refused(settings, components):
    from assistant.store.store import IndexMismatchError, Store

    class OtherModel:
        model_id = "someone/other-model"
        dimension = 768

    with pytest.raises(IndexMismatchError, match="--reset"):
        Store(settings, OtherModel(), client=components.store.client)


def test_reset_rebuilds(settings, monkeypatch, capsys, corpus_copy):
    monkeypatch.setenv("PANEL_DATA_DIR", str(settings.data_dir))
    assert ingest_main([str(corpus_copy)]) == 0
    assert ingest_main(["--reset", str(corpus_copy)]) == 0
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1].split("|")[0].strip() == str(len(CORPUS_FILES))


def test_ingester_is_usable_with_an_empty_list(ingester):
    assert ingester.sync([]).usable
    assert isinstance(ingester, Ingester)
