"""Passages, their vectors and the ingestion records in Chroma: writes, versions, visibility, revisions.

Only the ``store*`` modules talk to Chroma: this one, ``store_client`` (the client, the collections'
names, the row types), ``store_sentences`` (reading sentences and vectors back), ``store_progress``
(resumable ingestion marks) and ``store_lease`` (the writer lease in server mode).

All three live in the store itself: ``<name>`` holds the passages (chunks), ``<name>_sentences``
the sentence vectors the extractive answerer ranks, and ``<name>_records`` one entry per ingested
source. So an embedded index and a Chroma server shared by
several app processes hold the same truth; the keyword index is rebuilt from the passages.

Chroma never computes an embedding here: collections are created without an embedding function
and every write and query passes vectors from our ``Embedder``. Chroma's default function would
download a model on first use, which fails offline.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from chromadb.errors import NotFoundError

from assistant.embedding.embedder import Embedder
from assistant.settings import Settings
from assistant.store.client import IndexMismatchError, SourceRecord, StoredPassage, crash_point, drop_index, make_client
from assistant.store.outage import StoreUnavailableError, retrying
from assistant.store.reads import SentenceReads, read_pages
from assistant.store.reopen import Healing, Reopening, process_id

#: The row types, the client and the crash hook live in ``store_client``; they are named here too,
#: so callers import one module.
__all__ = [
    "IndexMismatchError", "SourceRecord", "Store", "StoreUnavailableError", "StoredPassage", "crash_point",
    "drop_index", "make_client", "retrying",
]

log = logging.getLogger(__name__)

_PAGE_SIZE = 5000  # rows per Chroma write or delete
REVISION_MAX_AGE = 1.0  # seconds a read revision is trusted when this process has not written
RECORD_DIM = 1  # record entries carry a constant 1-d vector: they are looked up by id, never searched
CHANGE_LOG_LENGTH = 64  # revisions whose touched documents the store remembers (collection metadata)
CHANGE_LOG_MAX_DOCS = 200  # a write touching more documents is logged as "unknown": readers rebuild


class Store(Reopening, SentenceReads):
    """Passages and records in Chroma, guarded against a mismatched embedding model."""

    def __init__(self, settings: Settings, embedder: Embedder, client: Any = None) -> None:
        self.settings = settings
        self.embedder = embedder
        self.client = client if client is not None else make_client(settings)
        self._own_client = client is None  # a client handed in (a test's) is kept: reopening re-gets collections
        self._lock = threading.RLock()
        self._writes = 0  # writes made through this instance: they invalidate the revision cache
        self._revision_cache: tuple[str, int, float] | None = None
        self._change_log: tuple[str, dict[int, list[str] | None]] = ("", {})  # (created_at, rev -> doc ids)
        self._live_cache: tuple[str, frozenset[tuple[str, str]], dict[tuple[str, str], int]] | None = None
        self._count_cache: dict[str, tuple[str, int]] = {}  # collection name -> (revision, rows)
        self._reopen_lock = threading.Lock()
        self._retired: list[Any] = []
        self._seen_token: str | None = None  # the revision this process last saw or wrote
        self.reopens = 0  # for tests: clients opened again after another process's commit or a failed read
        self._open()

    # --- collections -------------------------------------------------------------------

    def _open(self) -> None:
        """Get or create the three collections: race-free, so two writers starting on an empty index
        both open it (listing then creating lost the race with a raw "already exists")."""
        self._writes += 1
        name = self.settings.collection
        try:
            passages = self.client.get_collection(name, embedding_function=None)
        except NotFoundError:  # a new index; another writer may be creating it this instant: get-or-create
            passages = self.client.get_or_create_collection(
                name,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
                metadata={  # used only by whoever creates it; an existing collection keeps its own
                    "embedding_model": self.embedder.model_id,
                    "embedding_backend": self.embedder.backend,
                    "dimension": self.embedder.dimension,
                    "revision": 0,
                    "created_at": time.time(),
                },
            )
        self._check_model(passages.metadata or {})
        sentences = self.client.get_or_create_collection(
            f"{name}_sentences", embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )
        records = self.client.get_or_create_collection(f"{name}_records", embedding_function=None)
        self._collections = {"passages": passages, "sentences": sentences, "records": records}

    @property
    def passages(self) -> Any:
        return Healing(self, "passages")

    @property
    def sentences(self) -> Any:
        return Healing(self, "sentences")

    @property
    def records(self) -> Any:
        return Healing(self, "records")

    def _check_model(self, meta: dict[str, Any]) -> None:
        """Same model id means same vectors; the id is compared without loading the model, so a
        no-op re-ingest never pays for loading it."""
        built_with, dim = meta.get("embedding_model"), meta.get("dimension")
        if built_with != self.embedder.model_id:
            raise IndexMismatchError(
                f"the index in collection '{self.settings.collection}' was built with embedding "
                f"model {built_with!r} ({dim} dimensions), but the settings ask for "
                f"{self.embedder.model_id!r} ({self.embedder.dimension} dimensions). Re-ingest "
                "with `python -m ingest --reset` (or set PANEL_EMBEDDING_MODEL back)."
            )
        built_by = meta.get("embedding_backend", "torch")  # indexes from before the setting are torch's
        if built_by != self.embedder.backend:
            raise IndexMismatchError(
                f"the index in collection '{self.settings.collection}' was built with the {built_by!r} "
                f"embedding backend, but the settings ask for {self.embedder.backend!r}: their vectors differ "
                f"slightly, so questions would be compared with passages in another space. Re-ingest with "
                f"`python -m ingest --reset` (or set PANEL_EMBEDDING_BACKEND={built_by})."
            )

    @property
    def revision(self) -> str:
        """Changes on every write, here or in another process sharing the store.

        Derived indexes compare it to know they are stale. A write by this process is seen at once;
        another process's write within ``REVISION_MAX_AGE`` seconds (reading it costs a round trip
        to Chroma, too much to pay on every lookup of a query).
        """
        now = time.monotonic()
        cached = self._revision_cache
        if cached and cached[1] == self._writes and now - cached[2] < REVISION_MAX_AGE:
            return cached[0]
        name = self.settings.collection
        meta = self._heal(lambda: self.client.get_collection(name, embedding_function=None)).metadata or {}
        created = str(meta.get("created_at", 0))
        token = f"{created}:{meta.get('revision', 0)}"
        if self._seen_token is not None and token != self._seen_token and self._foreign(meta):
            self.reopen()  # another process committed: this embedded client does not see its rows yet
        self._seen_token = token
        self._change_log = (created, _parse_log(meta.get("changes")))
        self._revision_cache = (token, self._writes, now)
        return token

    def changes_between(self, old: str | None, new: str) -> set[str] | None:
        """Documents touched by the writes from revision ``old`` to ``new`` (any process), or None when
        that cannot be known: the index was reset, or the log no longer reaches back that far.

        Every write logs the doc_ids it touched in the collection's metadata (the last
        ``CHANGE_LOG_LENGTH`` revisions), so a process can follow another's writes document by
        document. The log is a read-modify-write of one metadata entry: two processes writing in the
        same instant may lose one entry, a limit shared with the revision counter itself.
        """
        if old is None:
            return None
        old_created, _, old_rev = old.rpartition(":")
        new_created, _, new_rev = new.rpartition(":")
        created, log = self._change_log
        if old_created != new_created or new_created != created:
            return None
        touched: set[str] = set()
        for rev in range(int(old_rev) + 1, int(new_rev) + 1):
            docs = log.get(rev)
            if docs is None:
                return None
            touched.update(docs)
        return touched

    def _bump_revision(self, doc_ids: Iterable[str] | None) -> None:
        current = self.client.get_collection(self.settings.collection, embedding_function=None)
        meta = dict(current.metadata or {})
        revision = int(meta.get("revision", 0)) + 1
        log = _parse_log(meta.get("changes"))
        docs = sorted(set(doc_ids)) if doc_ids is not None else None
        log[revision] = docs if docs is not None and len(docs) <= CHANGE_LOG_MAX_DOCS else None
        kept = sorted(log)[-CHANGE_LOG_LENGTH:]
        meta["revision"] = revision
        meta["writer"] = process_id()
        meta["changes"] = json.dumps({str(r): log[r] for r in kept}, separators=(",", ":"))
        current.modify(metadata=meta)
        self._seen_token = f"{meta.get('created_at', 0)}:{revision}"
        self._writes += 1

    # --- passages ----------------------------------------------------------------------

    def add_passages(
        self, ids: Sequence[str], texts: Sequence[str], metadatas: Sequence[dict[str, Any]], embeddings: Any
    ) -> None:
        self._upsert(self.passages, ids, texts, metadatas, embeddings)

    def add_sentences(
        self, ids: Sequence[str], texts: Sequence[str], metadatas: Sequence[dict[str, Any]], embeddings: Any
    ) -> None:
        self._upsert(self.sentences, ids, texts, metadatas, embeddings)

    def update_passage_metadata(self, ids: Sequence[str], metadatas: Sequence[dict[str, Any]]) -> None:
        if ids:
            with self._lock:
                self.passages.update(ids=list(ids), metadatas=[_clean(m) for m in metadatas])
                self._bump_revision(str(m.get("doc_id", "")) for m in metadatas)

    def delete_document(self, doc_id: str, keep_hash: str | None = None) -> int:
        """Delete a document's passages and sentences (all versions, or all but ``keep_hash``)."""
        return self._delete_where(
            lambda m: keep_hash is None or m.get("doc_hash") != keep_hash, where={"doc_id": doc_id}
        )

    def delete_version(self, doc_id: str, doc_hash: str) -> int:
        """Delete the passages and sentences of one version (an unfinished one that is given up)."""
        return self._delete_where(lambda m: m.get("doc_hash") == doc_hash, where={"doc_id": doc_id})

    def delete_versions_except(self, live: set[tuple[str, str]]) -> int:
        """Delete passages and sentences whose (doc_id, doc_hash) no record explains."""
        return self._delete_where(lambda m: (m.get("doc_id"), m.get("doc_hash")) not in live)

    def _upsert(
        self, collection: Any, ids: Sequence[str], texts: Sequence[str], metadatas: Sequence[dict[str, Any]],
        embeddings: Any,
    ) -> None:
        with self._lock:
            for start in range(0, len(ids), _PAGE_SIZE):
                end = start + _PAGE_SIZE
                collection.upsert(
                    ids=list(ids[start:end]),
                    documents=list(texts[start:end]),
                    metadatas=[_clean(m) for m in metadatas[start:end]],
                    embeddings=embeddings[start:end],
                )
            # Rows of a version no record names change no answer: readers need not look again. (A large
            # document is written window by window; a bump per window would make every reader re-read
            # the document each time and overflow the change log.) The record's write announces them.
            live = self.live_versions()
            if any((m.get("doc_id"), m.get("doc_hash")) in live for m in metadatas):
                self._bump_revision(str(m.get("doc_id", "")) for m in metadatas)

    def _delete_where(self, doomed: Callable[[dict[str, Any]], bool], where: dict[str, Any] | None = None) -> int:
        """Delete the passages and sentences whose metadata ``doomed`` accepts; returns passages deleted."""
        deleted = {}
        touched: set[str] = set()
        with self._lock:
            for collection in (self.passages, self.sentences):
                got = collection.get(where=where, include=["metadatas"])
                pairs = [(i, m or {}) for i, m in zip(got["ids"], got["metadatas"], strict=True) if doomed(m or {})]
                ids = [i for i, _ in pairs]
                touched.update(str(m.get("doc_id", "")) for _, m in pairs)
                for start in range(0, len(ids), _PAGE_SIZE):
                    collection.delete(ids=ids[start : start + _PAGE_SIZE])
                deleted[collection.name] = len(ids)
                crash_point(f"deleted-{len(deleted)}")
            if any(deleted.values()):
                self._bump_revision(touched)
        return deleted[self.passages.name]

    # --- visibility --------------------------------------------------------------------

    def live_versions(self) -> frozenset[tuple[str, str]]:
        """The (doc_id, doc_hash) versions that a record names: the only ones a question may see.

        Passages and sentences are written before their record and deleted after it, so whatever
        moment a writer is killed, rows no record names (a half-written or half-deleted version)
        stay invisible until the next run cleans them up. Cached per store revision.
        """
        return self._records_view()[1]

    def sentence_counts(self) -> dict[tuple[str, str], int]:
        """Sentences each live version holds, as its record says (cached per store revision)."""
        return self._records_view()[2]

    def _records_view(self) -> tuple[str, frozenset[tuple[str, str]], dict[tuple[str, str], int]]:
        """Live versions and their sentence counts, following writes document by document like the
        derived indexes: re-reading all 13k records after every write took ~1 s at 100k passages."""
        revision = self.revision
        cached = self._live_cache
        if cached is not None and cached[0] == revision:
            return cached
        touched = self.changes_between(cached[0], revision) if cached is not None else None
        if cached is None or touched is None:
            records = self.list_records()
            live: set[tuple[str, str]] = set()
            counts: dict[tuple[str, str], int] = {}
        else:
            live = {v for v in cached[1] if v[0] not in touched}
            counts = {v: n for v, n in cached[2].items() if v[0] not in touched}
            got = self.records.get(where={"doc_id": {"$in": sorted(touched)}}, include=["metadatas"]) if touched \
                else {"ids": [], "metadatas": []}
            records = [SourceRecord.from_stored(i, m) for i, m in zip(got["ids"], got["metadatas"], strict=True)]
        for r in records:
            live.add((r.doc_id, r.content_hash))
            if "sentences" in r.extra:
                counts[(r.doc_id, r.content_hash)] = int(r.extra["sentences"])
        self._live_cache = (revision, frozenset(live), counts)
        return self._live_cache

    def _rows(self, collection: Any) -> int:
        """Rows in ``collection``, counted once per store revision: at 837k sentences a count took
        ~9 ms, and every question asked for two."""
        revision = self.revision
        cached = self._count_cache.get(collection.name)
        if cached is not None and cached[0] == revision:
            return cached[1]
        rows = collection.count()
        self._count_cache[collection.name] = (revision, rows)
        return rows

    def is_live(self, metadata: dict[str, Any], live: frozenset[tuple[str, str]] | None = None) -> bool:
        live = self.live_versions() if live is None else live
        return (metadata.get("doc_id"), metadata.get("doc_hash")) in live

    def raw_metadata(self, which: str) -> list[tuple[str, dict[str, Any]]]:
        """Every row of ``passages`` or ``sentences`` with its metadata, visible or not (for ``--check``)."""
        collection = self.passages if which == "passages" else self.sentences
        out: list[tuple[str, dict[str, Any]]] = []
        for got in read_pages(collection, ["metadatas"]):
            out.extend((i, m or {}) for i, m in zip(got["ids"], got["metadatas"], strict=True))
        return out

    def delete_ids(self, passage_ids: Sequence[str] = (), sentence_ids: Sequence[str] = ()) -> None:
        with self._lock:
            for collection, ids in ((self.passages, passage_ids), (self.sentences, sentence_ids)):
                for start in range(0, len(ids), _PAGE_SIZE):
                    collection.delete(ids=list(ids[start : start + _PAGE_SIZE]))
            if passage_ids or sentence_ids:
                self._bump_revision(None)  # rare (a repair): readers rebuild rather than follow

    def search_sentences(
        self, query_embedding: Sequence[float], n: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, str, dict[str, Any], float]]:
        """Chroma's approximate nearest sentences (of live versions): (id, text, metadata, cosine similarity)."""
        count = self._rows(self.sentences)
        if count == 0:
            return []
        return self._query_visible(self.sentences, query_embedding, min(n, count), where)

    def all_passages(
        self, where: dict[str, Any] | None = None, with_text: bool = True, live_only: bool = True
    ) -> list[StoredPassage]:
        """Stored passages (all, or those ``where`` selects; of live versions only, unless asked)."""
        live = self.live_versions() if live_only else None
        include = ["metadatas", "documents"] if with_text else ["metadatas"]
        out: list[StoredPassage] = []
        for got in read_pages(self.passages, include, where):
            docs = got.get("documents") or [""] * len(got["ids"])
            out.extend(
                StoredPassage(i, d or "", m or {})
                for i, d, m in zip(got["ids"], docs, got["metadatas"], strict=True)
            )
        return out if live is None else [p for p in out if self.is_live(p.metadata, live)]

    def search(
        self, query_embedding: Sequence[float], k: int, where: dict[str, Any] | None = None
    ) -> list[StoredPassage]:
        count = self._rows(self.passages)
        if count == 0:
            return []
        rows = self._query_visible(self.passages, query_embedding, min(k, count), where)
        return [StoredPassage(i, d, m, sim) for i, d, m, sim in rows]

    def _query_visible(
        self, collection: Any, query_embedding: Sequence[float], n: int, where: dict[str, Any] | None
    ) -> list[tuple[str, str, dict[str, Any], float]]:
        """Nearest rows of versions a record names. Orphans are rare (a killed run), so the query runs
        unfiltered first and only when it met one again with the live versions as a filter."""
        live = self.live_versions()
        if not live:
            return []

        def query(filter_: dict[str, Any] | None) -> list[tuple[str, str, dict[str, Any], float]]:
            got = collection.query(
                query_embeddings=[list(query_embedding)], n_results=n, where=filter_,
                include=["metadatas", "documents", "distances"],
            )
            return [
                (i, d or "", m or {}, 1.0 - float(dist))
                for i, d, m, dist in zip(
                    got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0], strict=True
                )
            ]

        rows = query(where)
        if all(self.is_live(m, live) for _, _, m, _ in rows):
            return rows
        return [r for r in query(_visible(where, live)) if self.is_live(r[2], live)]

    def count(self) -> int:
        """Rows in the passages collection, visible or not (a killed run's rows included)."""
        return self.passages.count()

    def visible_passages(self) -> int:
        """Passages a question can find: those of the versions a record names. An index whose first
        ingestion was killed before any record holds rows but answers nothing: this says 0."""
        versions = {(r.doc_id, r.content_hash): r.chunks for r in self.list_records()}
        return sum(versions.values())

    # --- records -----------------------------------------------------------------------

    def list_records(self) -> list[SourceRecord]:
        got = self.records.get(include=["metadatas"])
        return sorted(
            (SourceRecord.from_stored(i, m) for i, m in zip(got["ids"], got["metadatas"], strict=True)),
            key=lambda r: r.source,
        )

    def put_record(self, record: SourceRecord) -> None:
        with self._lock:
            self.records.upsert(
                ids=[record.source],
                metadatas=[_clean(record.to_metadata())],
                embeddings=[[1.0] * RECORD_DIM],
            )
            self._bump_revision([record.doc_id])  # a record makes its version visible: indexes re-read it

    def delete_records(self, sources: Iterable[str]) -> None:
        sources = list(sources)
        if sources:
            with self._lock:
                got = self.records.get(ids=sources, include=["metadatas"])
                self.records.delete(ids=sources)
                self._bump_revision(str((m or {}).get("doc_id", "")) for m in got["metadatas"])


def _visible(where: dict[str, Any] | None, live: frozenset[tuple[str, str]]) -> dict[str, Any]:
    """``where`` narrowed to the versions a record names (the exact pairs are checked after)."""
    visible = {"doc_hash": {"$in": sorted({h for _, h in live})}}
    return {"$and": [where, visible]} if where else visible


def _parse_log(raw: Any) -> dict[int, list[str] | None]:
    try:
        return {int(rev): docs for rev, docs in json.loads(raw).items()} if raw else {}
    except (ValueError, AttributeError):
        return {}


def _clean(meta: dict[str, Any]) -> dict[str, Any]:
    """Chroma metadata holds only str/int/float/bool: drop empties, stringify the rest."""
    out: dict[str, Any] = {}
    for key, value in meta.items():
        if value is None or value == "":
            continue
        out[key] = value if isinstance(value, str | int | float | bool) else str(value)
    return out
