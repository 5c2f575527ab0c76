"""In-process views of the store that are rebuilt when the store's revision moves.

The keyword index and the sentence index are derived data: each app process builds them from what
Chroma holds, and rebuilds them when another writer (an ingestion in this process, or another
process sharing a Chroma server) changes the revision. Nothing here is persisted on its own.

A rebuild makes a new immutable state and swaps it in one assignment, so a question being answered
on another thread keeps reading the state it started with, never a half-built one.
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

from assistant.store import Store

State = TypeVar("State")


class Snapshot(Generic[State]):
    """Base for derived indexes: ``state()`` returns the current, fresh state."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._revision: str | None = None
        self._state: State | None = None
        self._lock = threading.Lock()

    def state(self) -> State:
        revision = self.store.revision
        state = self._state
        if revision == self._revision and state is not None:
            return state
        with self._lock:
            if revision != self._revision or self._state is None:
                self._state = self._build()
                self._revision = revision
            return self._state

    def _build(self) -> State:  # pragma: no cover - abstract
        raise NotImplementedError
