"""Reading stored sentences (and vectors) back: what the derived indexes are rebuilt from.

A mixin of ``Store``: it reads through the store's collections and its visibility rule
(``live_versions``, ``is_live``, ``sentence_counts``), which stay in ``assistant.store.store``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

#: Rows per Chroma get() when reading everything back: pages of 5000 passages left ~130 MB of
#: transient buffers per read in the process; 1000 keeps the peak lower and reads as fast.
READ_PAGE = 1000


def read_pages(collection: Any, include: list[str], where: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
    """Every row of ``collection`` (or those ``where`` selects), ``READ_PAGE`` rows per Chroma get()."""
    offset = 0
    while True:
        got = collection.get(where=where, include=include, limit=READ_PAGE, offset=offset)
        yield got
        if len(got["ids"]) < READ_PAGE:
            return
        offset += READ_PAGE


class SentenceReads:
    """``all_sentences``, ``versions_sentences`` and stored passage vectors by id, for ``Store``."""

    sentences: Any
    passages: Any
    embedder: Any

    def all_sentences(
        self, where: dict[str, Any] | None = None, vectors: bool = True, live_only: bool = True
    ) -> tuple[list[str], list[str], list[dict[str, Any]], Any]:
        """Stored sentences (all, or those ``where`` selects; of live versions only unless asked): ids,
        texts, metadata and a (n, dim) float32 matrix (None when ``vectors`` is false: reading vectors
        back is the costly part)."""
        import numpy as np

        live = self.live_versions() if live_only else None

        ids: list[str] = []
        texts: list[str] = []
        metas: list[dict[str, Any]] = []
        vectors_read = []
        include = ["metadatas", "documents", "embeddings"] if vectors else ["metadatas", "documents"]
        for got in read_pages(self.sentences, include, where):
            ids.extend(got["ids"])
            texts.extend(d or "" for d in got["documents"])
            metas.extend(m or {} for m in got["metadatas"])
            if len(got["ids"]) and vectors:
                vectors_read.append(np.asarray(got["embeddings"], dtype=np.float32))
        matrix = None
        if vectors:
            matrix = np.vstack(vectors_read) if vectors_read else np.zeros((0, self.embedder.dimension), np.float32)
        if live is not None:
            keep = [i for i, m in enumerate(metas) if self.is_live(m, live)]
            if len(keep) < len(ids):
                ids, texts, metas = [ids[i] for i in keep], [texts[i] for i in keep], [metas[i] for i in keep]
                matrix = matrix[keep] if matrix is not None else None
        return ids, texts, metas, matrix

    def version_sentences(self, doc_id: str, doc_hash: str) -> tuple[list[str], list[str], list[dict[str, Any]], Any]:
        """All sentences of one document version, with vectors, as ``all_sentences`` returns them."""
        return self.versions_sentences([(doc_id, doc_hash)])[(doc_id, doc_hash)]

    def versions_sentences(
        self, versions: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], tuple[list[str], list[str], list[dict[str, Any]], Any]]:
        """All sentences of each document version, with vectors, in one read where possible.

        Read by id when a version's record gives its sentence count (ids are
        ``{doc_id}-{doc_hash[:12]}-s{i:05d}``, as the ingester writes them): a lookup by primary key,
        where a metadata filter took ~25 ms at 83k sentences and grows with the collection; and one
        call for all the versions a question needs (each call to Chroma cost ~10 ms at 837k sentences).
        """
        import numpy as np

        counts = self.sentence_counts()
        out: dict[tuple[str, str], tuple[list[str], list[str], list[dict[str, Any]], Any]] = {}
        wanted: list[str] = []
        by_id: list[tuple[str, str]] = []
        for doc_id, doc_hash in versions:
            count = counts.get((doc_id, doc_hash))
            if count is None:
                out[(doc_id, doc_hash)] = self._version_by_metadata(doc_id, doc_hash)
            else:
                by_id.append((doc_id, doc_hash))
                wanted.extend(f"{doc_id}-{doc_hash[:12]}-s{i:05d}" for i in range(count))
        if by_id:
            got = self.sentences.get(ids=wanted, include=["metadatas", "documents", "embeddings"]) if wanted else None
            rows: dict[tuple[str, str], tuple[list[str], list[str], list[dict[str, Any]], list[Any]]] = {
                v: ([], [], [], []) for v in by_id
            }
            if got is not None:
                for i, d, m, e in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True):
                    bucket = rows.get((str((m or {}).get("doc_id", "")), str((m or {}).get("doc_hash", ""))))
                    if bucket is not None:
                        for column, value in zip(bucket, (i, d or "", m or {}, e), strict=True):
                            column.append(value)
            dim = self.embedder.dimension
            for version in by_id:
                ids, texts, metas, vectors = rows[version]
                if len(ids) != counts[version]:  # written otherwise (an older ingester): ask by metadata
                    out[version] = self._version_by_metadata(*version)
                else:
                    matrix = np.asarray(vectors, dtype=np.float32) if vectors else np.zeros((0, dim), np.float32)
                    out[version] = (ids, texts, metas, matrix)
        return out

    def _version_by_metadata(
        self, doc_id: str, doc_hash: str
    ) -> tuple[list[str], list[str], list[dict[str, Any]], Any]:
        return self.all_sentences(where={"$and": [{"doc_id": doc_id}, {"doc_hash": doc_hash}]}, live_only=False)

    def passage_vectors(self, ids: Sequence[str]) -> Any:
        """The stored vectors of the passages ``ids``, in that order, as a (n, dim) float32 matrix (the
        scale benchmark reuses them)."""
        import numpy as np

        if not ids:
            return np.zeros((0, self.embedder.dimension), dtype=np.float32)
        got = self.passages.get(ids=list(ids), include=["embeddings"])
        position = {i: n for n, i in enumerate(got["ids"])}
        found = np.asarray(got["embeddings"], dtype=np.float32)
        return found[[position[i] for i in ids]]

    def has_language(self, code: str) -> bool | None:
        """Whether a stored passage is in the language ``code`` (ISO 639-1); None when no passage records
        a language (an index built before ingestion detected them: nothing can be told)."""
        if self.passages.get(where={"language": code}, limit=1, include=[])["ids"]:
            return True
        return False if self.languages() else None

    def languages(self) -> list[str]:
        """The languages stored passages are in, of those ingestion tells apart."""
        from assistant.reading.language import LANGUAGES

        return [c for c in LANGUAGES if self.passages.get(where={"language": c}, limit=1, include=[])["ids"]]
