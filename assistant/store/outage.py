"""A Chroma server that goes away: bounded retries with backoff, then one clear exception.

A lost connection is retried (0.5 s, 1 s, 2 s, ... apart, ``PANEL_STORE_RETRIES`` times); a request
the server refused is not. What is left is ``StoreUnavailableError``, which the CLI turns into one
line and the UI into "the document store is not reachable".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


class StoreUnavailableError(RuntimeError):
    """The Chroma server could not be reached, even after retrying with backoff.

    ``report`` is set by whoever was part-way through work (the ingester puts what it finished
    there), so a caller can say what was stored and what was not.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.report: Any = None


def _unreachable(exc: BaseException) -> bool:
    """A lost connection (worth retrying), as opposed to a request the server refused."""
    import httpx

    if isinstance(exc, httpx.TransportError):
        return True
    return isinstance(exc, ValueError) and "Could not connect to a Chroma server" in str(exc)


class Retrying:
    """A Chroma client or collection whose calls retry with backoff when the server is unreachable.

    After ``retries`` retries (0.5 s, 1 s, 2 s, ... apart) the call raises ``StoreUnavailableError``
    naming the server. Collections returned by the client are wrapped too. Every call the store
    makes is idempotent (upserts by id, deletes by id, reads), so a retry cannot double a write.
    """

    def __init__(self, target: Any, retries: int, where: str) -> None:
        self._target, self._retries, self._where = target, retries, where

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._wrap(retrying(lambda: attr(*args, **kwargs), self._retries, self._where))

        return call

    def _wrap(self, result: Any) -> Any:
        from chromadb.api.models.Collection import Collection

        return Retrying(result, self._retries, self._where) if isinstance(result, Collection) else result


def retrying(fn: Callable[[], Any], retries: int, where: str) -> Any:
    """``fn()``, retried with exponential backoff while the server is unreachable."""
    started, delay = time.monotonic(), 0.5
    for attempt in range(retries + 1):
        try:
            return fn()
        except Exception as exc:
            if not _unreachable(exc):
                raise
            if attempt == retries:
                raise StoreUnavailableError(
                    f"the document store at {where} is not reachable ({exc.__class__.__name__}; "
                    f"tried {attempt + 1} times over {time.monotonic() - started:.0f} s)"
                ) from exc
            time.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover
