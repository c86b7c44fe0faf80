"""Serving a run's page on this machine: the standard library's HTTP server, bound
to the loopback interface, answering ``/`` with the page and nothing else."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable


class _Handler(http.server.BaseHTTPRequestHandler):
    page: bytes = b""

    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        if self.path.split("?", 1)[0] not in ("/", "/index.html"):
            self.send_error(404, "only / is served")
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.page)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # a quiet terminal: the command prints the address once


def make_server(page: str, host: str = "127.0.0.1", port: int = 0) -> http.server.HTTPServer:
    """An HTTP server of ``page`` at ``host:port`` (port 0: any free port); not started."""
    handler = type("PageHandler", (_Handler,), {"page": page.encode("utf-8")})
    return http.server.ThreadingHTTPServer((host, port), handler)


def serve_in_thread(
    page: str, host: str = "127.0.0.1", port: int = 0
) -> tuple[str, Callable[[], None]]:
    """Serve ``page`` from a background thread; returns its address and a stop function."""
    server = make_server(page, host, port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    h, p = server.server_address[:2]
    return f"http://{h}:{p}/", stop
