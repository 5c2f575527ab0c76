"""Shared fixtures: a temporary data dir per test, the real packaged embedder once per session."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def chroma_command() -> str:
    beside = Path(sys.executable).parent / "chroma"  # the venv's bin, which may not be on PATH
    chroma = str(beside) if beside.exists() else shutil.which("chroma")
    if chroma is None:
        pytest.fail("the `chroma` command of the chromadb package is missing")
    return chroma


@pytest.fixture
def settings(tmp_path):
    from assistant.settings import Settings

    return Settings(data_dir=tmp_path / "data", corpus_dir=CORPUS)


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory):
    """Settings of one index of the bundled corpus, built once for the tests that only read it."""
    from assistant.components import build
    from assistant.settings import Settings
    from ingest.pipeline import Ingester

    indexed = Settings(data_dir=tmp_path_factory.mktemp("corpus-index") / "data", corpus_dir=CORPUS)
    Ingester(indexed, build(indexed).store).sync([CORPUS])
    return indexed


@pytest.fixture
def components(settings):
    from assistant.components import build

    return build(settings)


@pytest.fixture
def ingester(components):
    from ingest.pipeline import Ingester

    return Ingester(components.settings, components.store)


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    """A writable copy of the bundled corpus (tests change, add and remove files in it)."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


@pytest.fixture(scope="module")
def chroma_port(tmp_path_factory):
    """A Chroma server on 127.0.0.1 for the test module (``chroma run``, as deployments do)."""
    from .servers import free_port, running

    chroma = chroma_command()
    folder = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    cmd = [chroma, "run", "--path", str(folder / "db"), "--host", "127.0.0.1", "--port", str(port)]
    url = f"http://127.0.0.1:{port}/api/v2/heartbeat"
    with running(cmd, url, folder / "server.log", 60, name="chroma server"):
        yield port
