"""A scripted OpenAI-compatible server on 127.0.0.1: real HTTP, canned (streaming) chat completions.

``script(messages) -> str`` writes each reply from the request, so a reply can cite the passage number a
given text was shown under. Every request body is recorded for the test to inspect.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Script = Callable[[list[dict]], str]


def passage_number(messages: list[dict], text: str) -> int:
    """The ``[n]`` under which the prompt showed the passage holding ``text`` (0 if none)."""
    user = messages[-1]["content"]
    for match in re.finditer(r"^\[(\d+)\] (.*?)(?=^\[\d+\] |\Z|^Question:)", user, re.M | re.S):
        if text in match.group(2):
            return int(match.group(1))
    return 0


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: object) -> None:
        pass

    def _json(self, body: dict, status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._json({"object": "list", "data": [{"id": m, "object": "model"} for m in self.server.models]})
        else:
            self._json({"error": "not found"}, 404)

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        self.server.requests.append(body)
        reply = self.server.script(body.get("messages", []))
        base = {"id": "chatcmpl-1", "created": 0, "model": body.get("model", "stub")}
        if not body.get("stream"):
            self._json({**base, "object": "chat.completion", "choices": [
                {"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}]})
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        pieces = re.findall(r"\S+\s*", reply) or [""]
        for piece in pieces:  # one chunk per word, as servers stream
            chunk = {**base, "object": "chat.completion.chunk",
                     "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        end = {**base, "object": "chat.completion.chunk",
               "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    script: Script
    models: list[str]
    requests: list[dict]


@contextmanager
def serving(script: Script, models: list[str] | None = None) -> Iterator[_Server]:
    """The server on a free 127.0.0.1 port until the block ends; ``server.url`` is its ``/v1`` base."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.script, server.models, server.requests = script, models or ["stub-model"], []
    server.url = f"http://127.0.0.1:{server.server_address[1]}/v1"  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
