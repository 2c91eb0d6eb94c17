"""A real HTTP server on 127.0.0.1 serving files from a folder, with fault paths.

``/expired/<path>`` answers 403, ``/broken/<path>`` answers 500, ``/cut/<path>`` sends the headers
of the whole file and then only its first half before closing the connection.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit


def _handler(root: Path) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
            pass

        def do_GET(self) -> None:
            path = urlsplit(self.path).path.lstrip("/")
            fault, _, rest = path.partition("/")
            if fault == "expired":
                self.send_error(403, "Request has expired")
                return
            if fault == "broken":
                self.send_error(500, "Internal error")
                return
            file = root / (rest if fault == "cut" else path)
            if not file.is_file():
                self.send_error(404)
                return
            data = file.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-tar")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2] if fault == "cut" else data)
            if fault == "cut":
                self.close_connection = True

    return Handler


@contextmanager
def serve(root: Path) -> Iterator[str]:
    """Serve ``root``; yields the base URL (``http://127.0.0.1:<port>``)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(root))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
