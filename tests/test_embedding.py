"""Fair embedding: a question never waits behind a whole ingestion, and batching keeps the order."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from assistant.embedding.embedder import Embedder


class RecordingModel:
    """A stand-in for the sentence-transformers model that logs every ``encode`` call.

    Each vector encodes its text's length, so a test can check that results come back in order.
    When ``pause_at`` ingestion batches have started, it calls ``on_pause`` from inside that batch.
    """

    max_seq_length = 256

    def __init__(self, pause_at: int | None = None, on_pause=None) -> None:
        self.calls: list[tuple[str, int]] = []  # (kind, batch size)
        self.pause_at, self.on_pause = pause_at, on_pause

    def get_embedding_dimension(self) -> int:
        return 4

    def encode(self, batch, **_kwargs):
        kind = "query" if batch and batch[0].startswith("Q:") else "ingest"
        self.calls.append((kind, len(batch)))
        if kind == "ingest" and self.on_pause and sum(k == "ingest" for k, _ in self.calls) == self.pause_at:
            self.on_pause()
        time.sleep(0.001)
        vectors = np.array([[len(t), 1.0, 0.0, 0.0] for t in batch], dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_a_query_waits_for_at_most_the_running_batch():
    """A question asked in the middle of a 2,000-text ingestion is embedded right after the batch
    that was running when it arrived, not after the document (issue 11: chat froze for minutes)."""
    query_done = threading.Event()
    asked_during: list[int] = []

    def ask_now() -> None:  # runs inside ingestion batch 3: the query must wait for it, and only it
        asked_during.append(sum(k == "ingest" for k, _ in model.calls))
        threading.Thread(target=lambda: (embedder.embed_query("Q: who chaired?"), query_done.set())).start()
        deadline = time.monotonic() + 5
        while embedder.lock.queries_waiting == 0 and time.monotonic() < deadline:
            time.sleep(0.001)
        assert embedder.lock.queries_waiting == 1

    model = RecordingModel(pause_at=3, on_pause=ask_now)
    embedder = Embedder("fake", batch_size=8, loaded=model)
    texts = [f"passage {i} " + "word " * (i % 17) for i in range(2000)]
    ingestion = threading.Thread(target=embedder.encode, args=(texts,))
    ingestion.start()
    assert query_done.wait(10)
    ingestion.join(30)
    kinds = [k for k, _ in model.calls]
    assert kinds.count("query") == 1 and kinds.count("ingest") == 250
    assert asked_during == [3]
    assert kinds.index("query") == 3  # batches 1-3 ran before it; batch 4 waited for the question


def test_batches_are_sorted_by_length_and_returned_in_order():
    model = RecordingModel()
    embedder = Embedder("fake", batch_size=4, loaded=model)
    texts = ["a" * n for n in (3, 40, 7, 1, 25, 12, 9, 30, 2, 5)]
    progress: list[int] = []
    vectors = embedder.encode(texts, on_batch=progress.append)
    # 40 30 25 | 12 9 7 | 5 3 | 2 1: full batches are 4, and a text under half its batch's longest
    # starts a new one (less padding)
    assert progress == [3, 3, 2, 2] and embedder.embedded_count == 10
    expected = model.encode(texts)
    np.testing.assert_allclose(vectors, expected)  # row i belongs to texts[i]
    assert [size for _, size in model.calls[:4]] == [3, 3, 2, 2]


def test_a_document_s_passages_and_sentences_are_not_padded_together():
    """One document: 5 long passages and 60 short sentences. Fixed batches of 32 would pad 27
    sentences to a passage's length; the passages get a batch of their own."""
    embedder = Embedder("fake", batch_size=32, loaded=RecordingModel())
    texts = ["p" * 900] * 5 + ["s" * 120] * 60
    assert [len(b) for b in embedder.batches(texts)] == [5, 32, 28]



@pytest.mark.slow
def test_a_question_is_answered_while_a_large_ingestion_runs(tmp_path):
    """The real model, store and assistant: a question asked during a long ingestion is answered
    before it ends, and its embedding waited for at most the one batch that was running."""
    from assistant import Assistant, Settings
    from assistant.components import build
    from ingest.pipeline import Ingester

    from .conftest import CORPUS

    settings = Settings(data_dir=tmp_path / "data", corpus_dir=CORPUS)
    components = build(settings)
    ingester = Ingester(settings, components.store)
    ingester.sync([CORPUS / "2018-09-first-meeting-press-release.md"])
    assistant = Assistant(components)
    assistant.ask("warm up")
    big = tmp_path / "big.md"
    big.write_text("# Minutes\n\n" + "\n\n".join(
        f"Item {i}: the working group {i % 7} discussed finance, trust and capacity in region {i}. "
        f"It agreed to report again in month {i % 12 + 1}." for i in range(900)
    ), encoding="utf-8")

    embedder = components.embedder
    calls: list[str] = []  # "q" for a query, "b" for an ingestion batch, in the order the model ran them
    real = embedder._encode_batch

    def recording(batch):
        calls.append("q" if batch == [QUESTION] else "b")
        return real(batch)

    embedder._encode_batch = recording  # type: ignore[method-assign]
    outcome: dict = {}
    asked = threading.Event()

    class AskDuringIngestion:
        def file_started(self, *_a) -> None:
            pass

        def embedded(self, done: int, total: int) -> None:
            if done >= 4 * embedder.batch_size and not asked.is_set():
                asked.set()
                outcome["batches_before"] = calls.count("b")
                threading.Thread(target=lambda: outcome.update(
                    answer=assistant.ask(QUESTION), total=total, done_at_answer=progress["done"]
                )).start()
            progress["done"] = done

    progress = {"done": 0}
    try:
        report = ingester.sync([big], progress=AskDuringIngestion())
    finally:
        del embedder._encode_batch
    deadline = time.monotonic() + 30
    while "answer" not in outcome and time.monotonic() < deadline:
        time.sleep(0.05)
    assert report.counts["added"] == 1
    answer = outcome["answer"]
    assert not answer.abstained and "Jack Ma" in " ".join(c.sentence for c in answer.citations)
    assert outcome["done_at_answer"] < outcome["total"]  # answered while the ingestion still ran
    query_at = calls.index("q")
    assert query_at - outcome["batches_before"] <= 1  # it waited for the running batch at most


QUESTION = "Who led the first meeting at UN Headquarters?"


def test_an_index_is_not_queried_with_another_backends_vectors(tmp_path):
    """int8 ONNX vectors are close to torch's but not equal: an index records the backend that built it
    and a store opened with the other backend refuses, naming the way out."""
    from assistant.settings import Settings
    from assistant.store.store import IndexMismatchError, Store

    from .test_derived_indexes import HashingModel

    settings = Settings(data_dir=tmp_path / "data")
    built = Store(settings, Embedder("hashing", loaded=HashingModel(), backend="torch"))
    assert built.passages.metadata["embedding_backend"] == "torch"
    with pytest.raises(IndexMismatchError, match="PANEL_EMBEDDING_BACKEND=torch"):
        Store(settings, Embedder("hashing", loaded=HashingModel(), backend="onnx-int8"), client=built.client)
    Store(settings, Embedder("hashing", loaded=HashingModel(), backend="torch"), client=built.client)  # same: fine


def test_backend_comes_from_settings(tmp_path, monkeypatch):
    from assistant.components import build
    from assistant.embedding.embedder import EmbeddingModelError
    from assistant.settings import get_settings

    monkeypatch.setenv("PANEL_EMBEDDING_BACKEND", "onnx-int8")
    settings = get_settings(data_dir=tmp_path / "data")
    embedder = build(settings).embedder
    assert (embedder.backend, embedder.cache_dir) == ("onnx-int8", tmp_path / "data" / "models")
    with pytest.raises(EmbeddingModelError, match="unknown embedding backend"):
        Embedder(backend="tensorflow")


@pytest.mark.slow
def test_onnx_int8_export_is_made_offline_and_close_to_torch(tmp_path):
    """The int8 export is made from the packaged weights (no download), cached, and its vectors point
    where torch's do (cosine > 0.99 on a few texts of the corpus' kind)."""
    from assistant.embedding.onnx_int8 import export_path

    texts = [
        "Who chaired the High-level Panel on Digital Cooperation?",
        "The Panel recommends that by 2030 every adult should have affordable access to digital networks.",
        "Melinda Gates and Jack Ma co-chaired the Panel, appointed by the Secretary-General in July 2018.",
        "A Global Commitment on Digital Trust and Security.",
    ]
    torch_vectors = Embedder().encode(texts)
    onnx = Embedder(backend="onnx-int8", cache_dir=tmp_path)
    onnx_vectors = onnx.encode(texts)
    assert export_path(tmp_path, onnx.model_id, "onnx-int8").exists()
    assert onnx_vectors.shape == torch_vectors.shape
    cosines = (onnx_vectors * torch_vectors).sum(axis=1)
    assert cosines.min() > 0.99, cosines
    assert np.allclose(np.linalg.norm(onnx_vectors, axis=1), 1.0, atol=1e-5)
    # the nearest text to each query is the same with either backend
    nearest = [(v @ v.T).argsort(axis=1)[:, -2] for v in (onnx_vectors, torch_vectors)]
    assert (nearest[0] == nearest[1]).all()
