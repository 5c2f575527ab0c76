"""``python app.py`` / ``panel-assistant``: open the index, ingest the corpus on first start, serve the UI.

Binds to ``PANEL_HOST``:``PANEL_PORT`` (127.0.0.1:7860 by default); with ``PANEL_AUTH_USER`` and
``PANEL_AUTH_PASSWORD`` set, a login is required. The app is never shared through a public link.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline: no version check or telemetry
os.environ.setdefault("HF_HUB_OFFLINE", "1")

log = logging.getLogger("ui")


class TerminalProgress:
    """First-start ingestion progress on the terminal (the server is not up yet)."""

    def __init__(self, out=None) -> None:
        self.out = out or sys.stderr
        self.name = ""

    def file_started(self, source: str, index: int, total: int) -> None:
        self.name = Path(source).name
        print(f"  [{index + 1}/{total}] {self.name}", file=self.out, flush=True)

    def embedded(self, done: int, total: int) -> None:
        if done == total:
            print(f"        embedded {total} passages and sentences", file=self.out, flush=True)


def _auth(settings) -> tuple[str, str] | None:
    user = settings.auth_user
    password = settings.auth_password.get_secret_value() if settings.auth_password else None
    if bool(user) != bool(password):
        raise SystemExit("error: set both PANEL_AUTH_USER and PANEL_AUTH_PASSWORD, or neither")
    return (user, password) if user and password else None


def build_services():
    """Open the index (ingesting the bundled corpus into an empty one) and make the UI's services.

    Returns the services, or an exit code when the index cannot be opened.
    """
    from assistant.components import build
    from assistant.embedding.embedder import EmbeddingModelError
    from assistant.settings import get_settings
    from assistant.store.store import IndexMismatchError
    from ingest.pipeline import Ingester, ensure_corpus
    from ui.services import Services

    settings = get_settings()
    try:
        components = build(settings)
    except (IndexMismatchError, EmbeddingModelError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    startup = None
    ingester = Ingester(settings, components.store)
    if components.store.visible_passages() == 0:  # rows of a killed first start count for nothing
        print(f"The index is empty: ingesting the bundled corpus from {settings.corpus_dir} …", file=sys.stderr)
        startup = ensure_corpus(ingester, progress=TerminalProgress())  # resumes what a killed start left
        if startup is not None:
            for failure in startup.failures:
                print(f"  could not ingest {failure.source}: {failure.reason}", file=sys.stderr)
            print(f"Ingested {startup.count('added')} documents in {startup.seconds:.1f} s.", file=sys.stderr)
    return Services.from_components(components, startup, ingester)


def serve(services) -> int:
    """Build the app over ``services`` and serve it until interrupted."""
    from ui.assets import CSS, HEAD
    from ui.layout import build_app

    settings = services.settings
    auth = _auth(settings)
    demo = build_app(services)
    demo.queue(default_concurrency_limit=1)
    print(f"Serving on http://{settings.host}:{settings.port}", file=sys.stderr, flush=True)
    demo.launch(
        server_name=settings.host, server_port=settings.port, share=False, auth=auth,
        auth_message="Sign in to the panel assistant." if auth else None,
        css=CSS, head=HEAD, theme=_theme(), show_error=False, ssr_mode=False, inbrowser=False,
        footer_links=["settings"], allowed_paths=[str(services.exports_dir)],
        # Gradio's own limit only backs up the page's (the app's, in its words; ui/assets.py), a little above it
        max_file_size=f"{int(settings.max_upload_mb * 1.1) + 1}mb",
    )
    return 0


def configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    for noisy in ("httpx", "chromadb", "sentence_transformers", "bm25s"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    configure_logging()
    from assistant.settings import get_settings

    _auth(get_settings())  # a half-set login stops before the slow start
    services = build_services()
    return services if isinstance(services, int) else serve(services)


def _theme():
    import gradio as gr

    # System fonts: the default theme would fetch web fonts, and this machine is offline.
    return gr.themes.Soft(
        font=["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
    )


if __name__ == "__main__":
    sys.exit(main())
