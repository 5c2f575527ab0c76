"""In-process views of the store (keyword and sentence indexes), kept in step with its revision.

The keyword index and the sentence index are derived data: each app process builds them from what
Chroma holds and follows every later write, made here or by another process sharing the store.

- **Incremental.** The store logs which documents each revision touched (``Store.changes_between``);
  a snapshot re-reads only those documents (by ``doc_id``) and applies them to a new state.
- **Full rebuild** only at open (the first question builds the state) and when the delta cannot be
  known (the index was reset, or more revisions passed than the log keeps). It then runs in a
  background thread; questions keep using the previous state until the new one is swapped in.

**Consistency rule.** A state is immutable; an update makes a new one and swaps it in one assignment,
and it replaces *all* rows of a touched document at once (every stored version of it is re-read). So
a lookup sees, for each document, exactly the versions stored at one revision: the old or the new
version of a document, never part of one. Lookups by passage are keyed by the passage's version
(``doc_id``, ``doc_hash``), so a passage found before a swap never picks up sentences of another
version after it. A state may lag the store by one background rebuild; it is never half-built.
"""

from __future__ import annotations

import ctypes
import logging
import threading
from collections.abc import Callable
from functools import cache
from typing import Generic, TypeVar

from assistant.store.store import Store

State = TypeVar("State")
log = logging.getLogger(__name__)


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc: nothing to do
        return None


def release_free_memory() -> None:
    """Hand freed heap memory back to the OS (glibc only; elsewhere nothing).

    glibc keeps freed memory in malloc's per-thread arenas. Reading every row back from Chroma for a
    full build leaves ~80 MB there at 10k passages; embedding a large file window by window (the
    model's threads each have an arena) made the peak grow with the number of windows, not their size.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


class Snapshot(Generic[State]):
    """Base for derived indexes: ``state()`` returns the current state, never blocking on a rebuild
    once a first state exists."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._revision: str | None = None
        self._state: State | None = None
        self._lock = threading.Lock()  # one update at a time; readers never take it on the fast path
        self._rebuilding: threading.Thread | None = None
        self.full_builds = 0  # counters for tests and the benchmark
        self.updates = 0

    def state(self) -> State:
        revision = self.store.revision
        state = self._state
        if revision == self._revision and state is not None:
            return state
        with self._lock:
            if self._state is None:  # at open: nothing to fall back on, so build now
                self._state, self._revision = self._build(), revision
                self.full_builds += 1
                release_free_memory()
            elif revision != self._revision:
                touched = self.store.changes_between(self._revision, revision)
                if touched is None:
                    self._rebuild_in_background()
                else:
                    self._state = self._apply(self._state, touched)
                    self._revision = revision
                    self.updates += 1
            return self._state

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a background rebuild, if one runs (tests, the benchmark)."""
        thread = self._rebuilding
        if thread is not None:
            thread.join(timeout)

    @property
    def rebuilding(self) -> bool:
        return self._rebuilding is not None and self._rebuilding.is_alive()

    def _rebuild_in_background(self) -> None:
        if self.rebuilding:
            return

        def run() -> None:
            revision = self.store.revision  # read first: later writes are re-applied on top (idempotent)
            try:
                state = self._build()
            except Exception:  # the old state keeps serving; the next question tries again
                log.exception("rebuilding %s failed", type(self).__name__)
                return
            with self._lock:
                self._state, self._revision = state, revision
                self.full_builds += 1
            release_free_memory()

        self._rebuilding = threading.Thread(target=run, name=f"rebuild-{type(self).__name__}", daemon=True)
        self._rebuilding.start()

    def _build(self) -> State:  # pragma: no cover - abstract
        raise NotImplementedError

    def _apply(self, state: State, doc_ids: set[str]) -> State:  # pragma: no cover - abstract
        """A new state in which every row of ``doc_ids`` is replaced by what the store holds now."""
        raise NotImplementedError
