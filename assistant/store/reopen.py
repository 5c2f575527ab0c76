"""Following another process's commits: what marks a commit as this process's, and collection handles
that reopen the store when a call fails inside Chroma.

Embedded Chroma keeps what it read of the index in the process: after another process commits, reads
on the old client fail ("Error finding id") or miss rows. ``Store.revision`` reopens when the last
commit names another writer; ``Healing`` reopens (once) when a call fails anyway.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable
from typing import Any

from assistant.store.client import forget_embedded, make_client, stop_client

log = logging.getLogger(__name__)

BOOT = uuid.uuid4().hex[:12]


def process_id() -> str:
    """This process, as a commit names its writer (a pid alone repeats across containers and reboots)."""
    return f"{BOOT}:{os.getpid()}"


def stale_errors() -> tuple[type[BaseException], ...]:
    from chromadb.errors import InternalError, NotFoundError

    return (InternalError, NotFoundError)


STALE = stale_errors()


class Healing:
    """One of the store's collections, as the store holds it now: a call that fails inside Chroma is
    made again once on a reopened store (every call the store makes is a read, or an idempotent write
    by id), and a reopen swaps the collection under every holder of this handle."""

    def __init__(self, store: Any, which: str) -> None:
        self._store, self._which = store, which

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._store._collections[self._which], name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._store._heal(lambda: getattr(self._store._collections[self._which], name)(*args, **kwargs))

        return call


class Reopening:
    """``reopen``, ``refresh`` and the healing of failed calls, for ``Store``."""

    settings: Any
    client: Any
    _collections: dict[str, Any]
    _own_client: bool

    def reopen(self) -> None:
        """A new client and collections, read afresh from the index.

        Embedded Chroma keeps what it read of the index in this process and does not see another
        process's commit: after one, reads fail ("Error finding id") or miss rows until the client is
        opened again. Chroma caches one client per path, so that entry is dropped first; the old client
        is stopped one reopen later (a read may still be running on it now).
        """
        with self._reopen_lock:
            if self._own_client:
                self._retired.append(self.client)
                if self.settings.chroma_host is None:
                    forget_embedded(self.settings)
                self.client = make_client(self.settings)
            self._open()
            self._live_cache = None
            self._count_cache = {}
            self.reopens += 1
            while len(self._retired) > 1:
                stop_client(self._retired.pop(0))

    def refresh(self) -> None:
        """Look at the store now (not within ``REVISION_MAX_AGE``): a writer calls it once it holds the
        index, so it never writes through a client another process's commit made stale."""
        self._revision_cache = None
        _ = self.revision

    def _foreign(self, meta: dict[str, Any]) -> bool:
        """The last write came from another process on an embedded index (a server serves every client
        the same state; a write by this process went through the client this process reads with)."""
        return self.settings.chroma_host is None and meta.get("writer") != process_id()

    def _heal(self, call: Callable[[], Any]) -> Any:
        """``call()``; when Chroma fails inside (a stale embedded client, a collection another process
        dropped and made again), once more on a reopened client, so one bad read never sticks."""
        try:
            return call()
        except STALE as exc:
            log.warning("store read failed (%s: %s); reopening the store", exc.__class__.__name__, exc)
            self.reopen()
            return call()
