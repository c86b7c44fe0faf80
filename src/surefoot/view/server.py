"""Serving a run's page on this machine: the standard library's HTTP server, bound
to the loopback interface, answering ``/`` with the page and nothing else."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit


class _Handler(http.server.BaseHTTPRequestHandler):
    page: bytes = b""
    live: Any = None  # a surefoot.view.live.LiveSession, or None

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        url = urlsplit(self.path)
        if url.path in ("/", "/index.html"):
            self._send(self.page, "text/html; charset=utf-8")
        elif url.path == "/live.json" and self.live is not None:
            try:
                after = int(parse_qs(url.query).get("after", ["-1"])[0])
            except ValueError:
                self.send_error(400, "after must be an integer")
                return
            body = json.dumps(self.live.poll(after), allow_nan=False).encode("utf-8")
            self._send(body, "application/json")
        else:
            self.send_error(404, "not served here")

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # a quiet terminal: the command prints the address once


def make_server(
    page: str, host: str = "127.0.0.1", port: int = 0, live: Any = None
) -> http.server.HTTPServer:
    """An HTTP server of ``page`` at ``host:port`` (port 0: any free port); not started.
    With a :class:`surefoot.view.live.LiveSession` ``live`` it also answers
    ``/live.json?after=K`` with the frames received since frame K."""
    handler = type("PageHandler", (_Handler,), {"page": page.encode("utf-8"), "live": live})
    return http.server.ThreadingHTTPServer((host, port), handler)


def serve_in_thread(
    page: str, host: str = "127.0.0.1", port: int = 0, live: Any = None
) -> tuple[str, Callable[[], None]]:
    """Serve ``page`` (and ``live``, as :func:`make_server`) from a background thread;
    returns its address and a stop function."""
    server = make_server(page, host, port, live)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    h, p = server.server_address[:2]
    return f"http://{h}:{p}/", stop
