"""An incoming-webhook receiver on 127.0.0.1, as Slack's or Mattermost's: it takes a JSON POST with a `text` at
its secret path and records it; `fail_next(n)` answers the next n posts with HTTP 500 (recorded as failed)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

#: The secret part of the webhook's address: it must never show anywhere but in the environment.
SECRET = "hooks-T0SECRET-5f2c9a71e4"


class Receiver:
    def __init__(self) -> None:
        self.texts: list[str] = []
        self.failed: list[str] = []
        self._fail = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path != f"/{SECRET}":
                    self.send_response(404)
                    self.end_headers()
                    return
                text = json.loads(body)["text"]
                with receiver._lock:
                    failing = receiver._fail > 0
                    receiver._fail -= failing
                    (receiver.failed if failing else receiver.texts).append(text)
                self.send_response(500 if failing else 200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/{SECRET}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def fail_next(self, n: int) -> None:
        with self._lock:
            self._fail = n

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
