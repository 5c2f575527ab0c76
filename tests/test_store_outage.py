"""A lost Chroma server: bounded retries with backoff, then one line saying what was stored, what was
not and what to do; the rerun after the server is back finishes the job."""

from __future__ import annotations

import httpx
import pytest

from assistant.store import outage
from assistant.store.store import StoreUnavailableError, retrying
from ingest.__main__ import _Bars
from ingest.__main__ import main as ingest_main

from .conftest import chroma_command
from .servers import free_port, running


def test_retry_rides_out_a_blip_and_gives_up_after_the_bound(monkeypatch):
    pauses: list[float] = []
    monkeypatch.setattr(outage.time, "sleep", pauses.append)
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise httpx.ConnectError("Connection refused")
        return "ok"

    assert retrying(flaky, 3, "127.0.0.1:1") == "ok" and pauses == [0.5, 1.0]

    def down():
        raise httpx.ConnectError("Connection refused")

    pauses.clear()
    with pytest.raises(StoreUnavailableError, match=r"store at 127.0.0.1:1 is not reachable .*tried 4 times"):
        retrying(down, 3, "127.0.0.1:1")
    assert pauses == [0.5, 1.0, 2.0]

    def refused():
        raise ValueError("a bad request is not an outage")

    with pytest.raises(ValueError):
        retrying(refused, 3, "127.0.0.1:1")


@pytest.mark.slow
def test_server_killed_mid_ingest_gives_one_line_and_the_rerun_completes(tmp_path, corpus_copy, monkeypatch, capsys):
    port = free_port()
    db = tmp_path / "db"
    cmd = [chroma_command(), "run", "--path", str(db), "--host", "127.0.0.1", "--port", str(port)]
    url = f"http://127.0.0.1:{port}/api/v2/heartbeat"
    monkeypatch.setenv("PANEL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PANEL_CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("PANEL_CHROMA_PORT", str(port))
    files = sorted(p.name for p in corpus_copy.glob("*.md") if not p.name.lower().startswith("readme"))

    with running(cmd, url, tmp_path / "server.log", 60, name="chroma server") as server:
        original = _Bars.file_started

        def kill_at_third(self, source, index, total):
            if index == 2:
                server.kill()
                server.wait()
            original(self, source, index, total)

        monkeypatch.setattr(_Bars, "file_started", kill_at_third)
        assert ingest_main([str(corpus_copy)]) == 4
    err = capsys.readouterr().err
    assert "Traceback" not in err
    (line,) = [x[x.index("error:") :] for x in err.splitlines() if "error:" in x]
    assert f"the document store at 127.0.0.1:{port} is not reachable" in line
    assert f"Stored: 2 files ({files[0]}, {files[1]})" in line
    assert f"not stored: {len(files) - 2}" in line and "run the same command again" in line

    monkeypatch.setattr(_Bars, "file_started", original)
    with running(cmd, url, tmp_path / "server2.log", 60, name="chroma server"):
        assert ingest_main([str(corpus_copy)]) == 0
        out = capsys.readouterr().out.strip().splitlines()
        header, row = ([c.strip() for c in line.split("|")] for line in (out[-3], out[-1]))
        counts = dict(zip(header, row, strict=True))
        assert counts["unchanged"] == "2" and counts["added"] == str(len(files) - 2)
