"""The textbook LangChain RAG pipeline, the peer the assistant is measured against.

What a tutorial builds: ``RecursiveCharacterTextSplitter(1000, 200)`` chunks, the same embedding
model, a Chroma vector store, top-4 similarity search, and the top chunk returned as the answer,
cited as ``[1]``. It never abstains and ignores the conversation history. Its results are ``Answer``
objects, so one metrics code path scores both pipelines.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.answer import Answer, Citation, Passage
from assistant.embedding.embedder import Embedder
from assistant.settings import Settings
from ingest.loaders import LoadError, load
from ingest.pipeline import expand, source_key

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
TOP_K = 4
COLLECTION = "textbook"


def doc_id_for(path: Path) -> str:
    """The id the ingester gives a file (its slugged name), so ``sources`` match across pipelines."""
    return re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "document"


class TextbookPipeline:
    """Built once over a corpus folder in a directory of its own; ``ask`` mirrors ``Assistant.ask``."""

    name = "textbook"

    def __init__(self, vectorstore: Any, chunks: int, client: Any = None) -> None:
        self.vectorstore = vectorstore
        self.chunks = chunks
        self.client = client

    def close(self) -> None:
        """Release the Chroma client (its SQLite files) before the temporary directory goes."""
        if self.client is not None:
            self.client.close()
            self.client = None

    @classmethod
    def build(
        cls, settings: Settings, work_dir: Path, embedder: Embedder | None = None, corpus: Path | None = None,
    ) -> TextbookPipeline:
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma
        from langchain_core.documents import Document
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        embedder = embedder or Embedder(settings.embedding_model, settings.batch_size,
                                        backend=settings.embedding_backend, cache_dir=settings.models_dir)
        files, _ = expand([corpus or settings.corpus_dir])
        documents: list[Document] = []
        for path in files:
            try:
                loaded = load(path)  # front matter stripped, text normalised as for the assistant
            except LoadError:
                continue  # the assistant's ingester skips unreadable files too
            for page in loaded.pages:
                meta = {"doc_id": doc_id_for(path), "title": loaded.title, "source": source_key(path)}
                if page.number is not None:
                    meta["page"] = page.number
                documents.append(Document(page_content=page.text, metadata=meta))
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True
        )
        chunks = splitter.split_documents(documents)
        work_dir.mkdir(parents=True, exist_ok=True)
        client = chromadb.PersistentClient(
            path=str(work_dir / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
        )
        store = Chroma(collection_name=COLLECTION, embedding_function=embedder, client=client)
        counters: dict[str, int] = {}
        ids = []
        for chunk in chunks:
            doc_id = chunk.metadata["doc_id"]
            counters[doc_id] = counters.get(doc_id, 0) + 1
            ids.append(f"{doc_id}-tb{counters[doc_id]:05d}")
        if chunks:
            store.add_documents(chunks, ids=ids)
        return cls(store, len(chunks), client)

    def ask(
        self, question: str, history: Sequence[Any] | None = None, k: int | None = None,
        doc_ids: list[str] | None = None,
    ) -> Answer:
        """Top-4 similarity search; the best chunk is the answer. ``history`` and ``k`` are ignored:
        the textbook pipeline embeds the question as asked and always retrieves four chunks."""
        started = time.perf_counter()
        question = question.strip()
        where = {"doc_id": {"$in": doc_ids}} if doc_ids else None
        hits = self.vectorstore.similarity_search_with_score(question, k=TOP_K, filter=where)
        retrieved = time.perf_counter()
        passages = []
        for rank, (doc, distance) in enumerate(hits, start=1):
            meta = doc.metadata
            start = int(meta.get("start_index", 0))
            similarity = 1.0 - float(distance) / 2  # squared L2 between unit vectors -> cosine
            passages.append(Passage(
                id=str(doc.id or f"{meta['doc_id']}-{rank}"), doc_id=meta["doc_id"], title=meta["title"],
                source=meta["source"], text=doc.page_content, page=meta.get("page"), char_start=start,
                char_end=start + len(doc.page_content), score=similarity, dense_similarity=similarity,
                dense_rank=rank,
            ))
        answer = Answer(question=question, text="", abstained=False, citations=[], passages=passages,
                        query=question, backend=self.name)
        if passages:
            top = passages[0]
            answer.text = f"{top.text} [1]"
            answer.citations = [Citation(
                number=1, doc_id=top.doc_id, title=top.title, source=top.source, page=top.page,
                passage_id=top.id, passage=top.text, sentence=top.text, span=(0, len(top.text)),
            )]
        answer.timings = {"retrieve": retrieved - started, "total": time.perf_counter() - started}
        return answer
