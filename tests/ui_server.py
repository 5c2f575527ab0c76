"""The web UI as the browser tests run it: the real app, with each streamed piece of an answer held
back a moment (``UI_TEST_PIECE_DELAY`` seconds), so a test can act while an answer is still
streaming (queue a question, press Stop). Everything else is ``python app.py``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from typing import Any

from ui.launch import build_services, configure_logging, serve


class PacedAssistant:
    """Wraps an ``Assistant``: the same answers, streamed at a readable pace."""

    def __init__(self, assistant: Any, delay: float) -> None:
        self._assistant = assistant
        self.delay = delay

    def stream(self, *args: Any, **kwargs: Any) -> Iterator:
        for item in self._assistant.stream(*args, **kwargs):
            if isinstance(item, str):
                time.sleep(self.delay)
            yield item

    def __getattr__(self, name: str) -> Any:
        return getattr(self._assistant, name)


def main() -> int:
    configure_logging()
    services = build_services()
    if isinstance(services, int):
        return services
    services.assistant = PacedAssistant(services.assistant, float(os.environ.get("UI_TEST_PIECE_DELAY", "0.15")))
    return serve(services)


if __name__ == "__main__":
    sys.exit(main())
