"""Fair embedding: a question never waits behind a whole ingestion, and batching keeps the order."""

from __future__ import annotations

import threading
import time

import numpy as np

from assistant.embedding import Embedder


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
    assert progress == [4, 4, 2] and embedder.embedded_count == 10
    expected = model.encode(texts)
    np.testing.assert_allclose(vectors, expected)  # row i belongs to texts[i]
    assert [size for _, size in model.calls[:3]] == [4, 4, 2]

