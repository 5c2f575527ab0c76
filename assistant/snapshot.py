"""In-process views of the store that are rebuilt when the store's revision moves.

The keyword index and the sentence index are derived data: each app process builds them from what
Chroma holds, and rebuilds them when another writer (an ingestion in this process, or another
process sharing a Chroma server) bumps the revision. Nothing here is persisted on its own.
"""

from __future__ import annotations

import threading

from assistant.store import Store


class Snapshot:
    """Base for derived indexes: call ``fresh()`` before reading."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._revision: str | None = None
        self._lock = threading.Lock()

    def fresh(self) -> None:
        revision = self.store.revision
        if revision == self._revision:
            return
        with self._lock:
            if revision != self._revision:
                self._rebuild()
                self._revision = revision

    def _rebuild(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError
