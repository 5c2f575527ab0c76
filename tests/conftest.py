"""Shared fixtures: a temporary data dir per test, the real packaged embedder once per session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def settings(tmp_path):
    from assistant.settings import Settings

    return Settings(data_dir=tmp_path / "data", corpus_dir=CORPUS)


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
