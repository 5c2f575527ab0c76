"""One writer at a time per index: two ingestions must never interleave their writes and deletes.

Embedded store: an advisory lock file beside the index (``flock``; the kernel releases it when the
holder dies, however it dies). Chroma server: a lease entry in the store that the holder renews in
the background and that expires when it stops being renewed, so a killed writer blocks the others
for at most ``PANEL_WRITER_LEASE`` seconds. The second writer waits (saying so once) up to
``PANEL_WRITER_WAIT`` seconds, then stops with ``IndexBusyError``.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from assistant.settings import Settings
from assistant.store.lease import drop_lease, take_lease
from assistant.store.store import StoreUnavailableError, make_client

POLL_SECONDS = 1.0


class IndexBusyError(RuntimeError):
    """Another ingestion holds the index for longer than we were willing to wait."""


def _describe(holder: dict[str, Any]) -> str:
    since = holder.get("since")
    when = f", since {datetime.fromtimestamp(float(since)):%H:%M:%S}" if since else ""
    return f"another ingestion ({holder.get('owner') or 'unknown process'}{when})"


class WriterLock:
    """``with WriterLock(settings, client, notify):`` holds the index for writing."""

    def __init__(self, settings: Settings, client: Any = None, notify: Callable[[str], None] | None = None) -> None:
        self.settings = settings
        self.client = client
        self.notify = notify
        self.owner = f"pid {os.getpid()} on {socket.gethostname()}"
        self.token = uuid.uuid4().hex
        self._file = None
        self._stop: threading.Event | None = None
        self._renewer: threading.Thread | None = None

    # --- public ------------------------------------------------------------------------

    def acquire(self) -> None:
        deadline = time.monotonic() + self.settings.writer_wait
        told = False
        while True:
            holder = self._try()
            if holder is None:
                return
            if time.monotonic() >= deadline:
                raise IndexBusyError(
                    f"{_describe(holder)} is writing to this index; waited {self.settings.writer_wait:g} s "
                    "(PANEL_WRITER_WAIT). Run the command again when it has finished."
                )
            if not told and self.notify:
                self.notify(
                    f"{_describe(holder)} is writing to this index; waiting up to "
                    f"{self.settings.writer_wait:g} s for it to finish"
                )
                told = True
            time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))

    def release(self) -> None:
        if self._stop is not None:
            self._stop.set()
            self._renewer.join()
            self._stop = self._renewer = None
            try:
                drop_lease(self._client(), self.settings, self.token)
            except StoreUnavailableError:
                pass  # the server is gone; the lease expires on its own

        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def __enter__(self) -> WriterLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    # --- one attempt -------------------------------------------------------------------

    def _try(self) -> dict[str, Any] | None:
        """None when the lock is now ours, else a description of the holder."""
        return self._try_lease() if self.settings.chroma_host else self._try_file()

    def _try_file(self) -> dict[str, Any] | None:
        path = self.settings.data_dir / f"{self.settings.collection}.writer.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+")  # noqa: SIM115 - held open for as long as the lock is
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            try:
                holder = json.loads(handle.read() or "{}")
            except ValueError:
                holder = {}
            handle.close()
            return holder
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"owner": self.owner, "since": time.time()}))
        handle.flush()
        self._file = handle
        return None

    def _client(self) -> Any:
        if self.client is None:
            self.client = make_client(self.settings)
        return self.client

    def _try_lease(self) -> dict[str, Any] | None:
        holder = take_lease(self._client(), self.settings, self.token, self.owner, self.settings.writer_lease)
        if holder is None:
            self._stop = threading.Event()
            self._renewer = threading.Thread(target=self._renew, args=(self._stop,), daemon=True, name="writer-lease")
            self._renewer.start()
        return holder

    def _renew(self, stop: threading.Event) -> None:
        """Keep the lease while the work goes on; a renewal that fails is retried at the next beat."""
        while not stop.wait(self.settings.writer_lease / 3):
            try:
                take_lease(
                    self._client(), self.settings, self.token, self.owner, self.settings.writer_lease, renew_only=True
                )
            except Exception:
                pass
