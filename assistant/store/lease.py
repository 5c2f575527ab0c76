"""The writer lease of an index on a shared Chroma server (the embedded store uses a lock file).

One entry of ``<name>_lease`` says who writes and until when; the holder renews it, so a killed
writer blocks the others for at most the lease's length. ``ingest.writer_lock`` is the only user.
"""

from __future__ import annotations

import time
from typing import Any

from assistant.settings import Settings
from assistant.store.store import RECORD_DIM

LEASE_ID = "writer"
LEASE_SETTLE = 0.3  # seconds between writing a lease and reading it back (Chroma has no compare-and-swap)


def _lease_collection(client: Any, settings: Settings) -> Any:
    return client.get_or_create_collection(f"{settings.collection}_lease", embedding_function=None)


def take_lease(
    client: Any, settings: Settings, token: str, owner: str, seconds: float, renew_only: bool = False
) -> dict[str, Any] | None:
    """Take or renew the writer lease of this index on a shared server; None when taken, else the holder.

    The lease is one entry of ``<name>_lease`` that expires unless renewed, so a killed writer blocks
    others for at most ``seconds``. Without compare-and-swap, a writer writes its token, waits
    ``LEASE_SETTLE`` and reads it back: of two writers racing, the later write wins and the other
    sees it. (Not in ``drop_index``: a reset must not drop another writer's lease.)
    """
    leases = _lease_collection(client, settings)

    def holder() -> dict[str, Any] | None:
        got = leases.get(ids=[LEASE_ID], include=["metadatas"])
        return dict(got["metadatas"][0] or {}) if got["ids"] else None

    current = holder()
    renewing = current is not None and current.get("token") == token
    if renew_only and not renewing:
        return current or {}
    if current and not renewing and float(current.get("expires", 0)) > time.time():
        return current
    mine = {"token": token, "owner": owner, "expires": time.time() + seconds, "since": time.time()}
    if renewing:
        mine["since"] = current.get("since", mine["since"])
    leases.upsert(ids=[LEASE_ID], metadatas=[mine], embeddings=[[1.0] * RECORD_DIM])
    if renewing:
        return None
    time.sleep(LEASE_SETTLE)
    now = holder()
    return None if now and now.get("token") == token else now


def drop_lease(client: Any, settings: Settings, token: str) -> None:
    """Give the lease back (only if it is still ours)."""
    leases = _lease_collection(client, settings)
    got = leases.get(ids=[LEASE_ID], include=["metadatas"])
    if got["ids"] and (got["metadatas"][0] or {}).get("token") == token:
        leases.delete(ids=[LEASE_ID])
