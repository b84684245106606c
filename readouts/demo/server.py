"""A real HTTP server on 127.0.0.1 serving pages that can be changed while it runs.

The demo uses it, and so do the tests: spiders make real requests to it, and a test edits,
removes or breaks pages between crawls.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Resource:
    """One response: a body (or a callable producing it per request), status and headers."""

    body: bytes | str | Callable[[], bytes | str] = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    conditional: bool = True  # send an ETag and answer If-None-Match with 304
    # Writes the whole response itself, for faults no well-formed response can show
    # (stalls, truncated or garbled bodies): the fault-injection tests use it.
    respond: Callable[[BaseHTTPRequestHandler], None] | None = None

    def render(self) -> bytes:
        body = self.body() if callable(self.body) else self.body
        return body.encode("utf-8") if isinstance(body, str) else body


@dataclass
class LoggedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""
    at: float = field(default_factory=time.monotonic)


# A route may also be a function of the request, for sites that answer by query string or state.
Responder = Callable[[LoggedRequest], Resource]


class SiteServer:
    """Serve ``routes`` (path → Resource, or a function of the request returning one) on
    127.0.0.1; unknown paths answer 404."""

    def __init__(self, port: int = 0):
        self.routes: dict[str, Resource | Responder] = {}
        self.requests: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def set(self, path: str, resource: Resource | Responder | str | bytes) -> None:
        if isinstance(resource, (str, bytes)):
            resource = Resource(resource)
        with self._lock:
            self.routes[path] = resource

    def remove(self, path: str) -> None:
        with self._lock:
            self.routes.pop(path, None)

    def requests_for(self, path: str) -> list[LoggedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def start(self) -> SiteServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _respond(self, handler: BaseHTTPRequestHandler, head_only: bool) -> None:
        path = handler.path.split("?", 1)[0]
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        request = LoggedRequest(handler.command, handler.path, dict(handler.headers), body)
        with self._lock:
            self.requests.append(request)
            resource = self.routes.get(handler.path) or self.routes.get(path)
        if callable(resource):
            resource = resource(request)
        if resource is not None and resource.respond is not None:
            resource.respond(handler)
            return
        if resource is None:
            resource = Resource(
                "<html><head><title>Not found</title></head><body>Not found</body></html>",
                status=404,
                conditional=False,
            )
        body = resource.render()
        status = resource.status
        headers = {"Content-Type": resource.content_type, **resource.headers}
        if resource.conditional and status == 200:
            etag = '"' + hashlib.sha1(body).hexdigest() + '"'
            headers["ETag"] = etag
            if handler.headers.get("If-None-Match") == etag:
                status, body = 304, b""
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        if "Content-Length" not in headers:
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if not head_only and status != 304:
            handler.wfile.write(body)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 (http.server's naming)
                server._respond(self, head_only=False)

            def do_HEAD(self):  # noqa: N802
                server._respond(self, head_only=True)

            def do_POST(self):  # noqa: N802 (webhooks: the notification tests post here)
                server._respond(self, head_only=False)

            def log_message(self, format, *args):  # quiet
                pass

        return Handler
