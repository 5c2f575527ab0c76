"""The per-process objects every tab uses: one ``Assistant`` and one ``Ingester`` over one store."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from assistant.components import Components
from assistant.service import Assistant, make_answerer
from assistant.settings import Settings, with_saved_reader
from ingest.pipeline import Ingester, SyncReport

log = logging.getLogger("ui")


@dataclass
class Services:
    settings: Settings
    assistant: Assistant
    ingester: Ingester
    startup: SyncReport | None = None  # the first-start ingestion of the corpus, if there was one
    exports_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="panel-exports-")))

    @classmethod
    def from_components(
        cls, components: Components, startup: SyncReport | None = None, ingester: Ingester | None = None
    ) -> Services:
        ingester = ingester or Ingester(components.settings, components.store)
        services = cls(components.settings, Assistant(components), ingester, startup)
        services.use_saved_reader()
        return services

    def use_saved_reader(self) -> None:
        """Answer with the reader saved in the data directory (environment variables win); the index is kept."""
        s = with_saved_reader(self.settings)
        self.assistant.settings = s
        self.assistant.answerer = make_answerer(s, s.backend, self.assistant.units)
        self.settings = s

    def status_line(self) -> str:
        """One line about the index, for the top of the page."""
        try:
            docs = self.ingester.documents()
            passages = self.ingester.store.visible_passages()
        except Exception:  # the page must still load
            log.exception("could not read the index")
            return "The index could not be read; see the log."
        line = f"{len(docs)} documents, {passages} passages indexed · answers by the {self.assistant.backend} backend"
        if self.startup is not None:
            line += (
                f" · first start: ingested {self.startup.count('added')} corpus documents "
                f"in {self.startup.seconds:.0f} s"
            )
            if self.startup.failures:
                line += f" ({len(self.startup.failures)} could not be read)"
        return line
