"""The shared-server deployment: several app processes over one Chroma server.

Everything the assistant keeps (passages, sentence vectors, ingestion records) lives in the server,
and each process's keyword and sentence indexes follow writes made by another process.
"""

from __future__ import annotations

import time

import pytest

from assistant import Assistant, Settings
from assistant.components import build
from assistant.store.store import REVISION_MAX_AGE
from ingest.pipeline import Ingester

from .conftest import CORPUS

pytestmark = pytest.mark.slow


def test_two_processes_share_one_server(chroma_port, tmp_path):
    def settings(name: str) -> Settings:  # separate data dirs: nothing may come from local disk
        return Settings(data_dir=tmp_path / name, corpus_dir=CORPUS, chroma_host="127.0.0.1", chroma_port=chroma_port)

    writer = build(settings("writer"), client=None)
    ingester = Ingester(writer.settings, writer.store)
    first = ingester.sync([CORPUS])
    assert first.counts["added"] == 5

    # "Another process": its own client, store and indexes, no files of its own.
    reader_components = build(settings("reader"), client=None)
    assert reader_components.store.client is not writer.store.client
    reader = Assistant(reader_components)
    answer = reader.ask("Who led the first meeting at UN Headquarters?")
    assert not answer.abstained and "Jack Ma" in answer.citations[0].sentence

    # The records live in the server too: a second sync from the reader's side is a no-op.
    again = Ingester(reader_components.settings, reader_components.store).sync([CORPUS])
    assert again.counts["unchanged"] == 5 and again.embedded == 0

    builds = (reader.keyword_index.full_builds, reader.sentence_index.full_builds)
    assert builds == (1, 1)
    note = tmp_path / "zorblax.md"
    note.write_text("The zorblax accord was signed by the panel in Reykjavik.\n", encoding="utf-8")
    ingester.sync([note])
    time.sleep(REVISION_MAX_AGE + 0.2)  # the reader re-reads the revision at most once a second
    hits = reader.keyword_index.search("zorblax accord", 3)
    assert hits and hits[0][0].metadata["doc_id"] == "zorblax"
    answer = reader.ask("Where was the zorblax accord signed?")
    assert not answer.abstained and "Reykjavik" in answer.citations[0].sentence
    # The writer's change log named the document: the reader applied it, no full rebuild ran.
    assert (reader.keyword_index.full_builds, reader.sentence_index.full_builds) == builds
    assert reader.keyword_index.updates >= 1 and reader.sentence_index.updates >= 1
    assert not reader.keyword_index.rebuilding and not reader.sentence_index.rebuilding
