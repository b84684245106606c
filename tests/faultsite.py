"""A hostile news site on 127.0.0.1: each item page fails in its own way, chosen at random.

``FaultSite.storm(seed)`` gives every item page a fault drawn with that seed (each kind at
least once); ``calm()`` makes every page serve its good version again. The faults are the ones
official sites really produce: server errors, throttling, stalls, cut-off and garbled bodies,
decompression bombs, huge pages, redirect loops, wrong charsets and binary bodies.
"""

from __future__ import annotations

import gzip
import random
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler

from readouts.demo.server import Resource, SiteServer
from readouts.demo.sitegen import Readout, item_path, make_readout, render_listing, render_readout

STALL_SECONDS = 5.0  # past the 2 s download timeout the fault test's sources file sets
HUGE_BYTES = 50 * 1024 * 1024
BOMB_BYTES = 64 * 1024 * 1024  # inflated size; DOWNLOAD_MAXSIZE is 10 MB

# Fault → what the archive must show for that page after a stormy run:
# "stored" (the good text, decoded correctly), "gone", "failed" or "parse_error" (with an error).
FAULTS = {
    "ok": "stored",
    "flaky_503": "stored",  # one 503, then the page: the retry recovers it
    "redirect_ok": "stored",  # 301 to the page's canonical address
    "cp1251_declared_utf8": "stored",
    "utf8_declared_cp1251": "stored",
    "cp1251_undeclared": "stored",
    "http_500": "failed",
    "http_503": "failed",
    "http_429": "failed",  # Retry-After: 1, honoured before each retry
    "http_429_long": "failed",  # Retry-After: 3600, not retried in this run
    "stall": "failed",
    "truncated": "failed",
    "chunked_garbage": "failed",
    "gzip_bomb": "failed",
    "huge": "failed",
    "huge_unannounced": "failed",
    "redirect_loop": "failed",
    "http_404": "gone",  # once: a transient 404 must not count as a removal
    "binary": "parse_error",
    "empty": "parse_error",
}


class FaultSite:
    def __init__(self, server: SiteServer, count: int = 40, seed: int = 0):
        self.server = server
        self.readouts = {item_path(n): make_readout(n, seed) for n in range(1, count + 1)}
        self.faults: dict[str, str] = {}
        self.served: Counter[tuple[str, str]] = Counter()  # (path, fault) → requests
        self.times: dict[str, list[float]] = {}  # path → when each request came
        self._lock = threading.Lock()
        _bomb()  # built once, before any request waits for it
        server.set("/robots.txt", Resource("User-agent: *\nAllow: /\n", content_type="text/plain"))
        server.set("/news/", render_listing(list(range(1, count + 1)), 1, 1))
        for path in self.readouts:
            server.set(path, Resource(respond=self._responder(path)))
            server.set(path + "/canonical", Resource(respond=self._responder(path)))
        server.set("/loop/a", Resource(status=302, headers={"Location": "/loop/b"}))
        server.set("/loop/b", Resource(status=302, headers={"Location": "/loop/a"}))

    def storm(self, seed: int) -> dict[str, str]:
        """Give each page a fault at random (every kind at least once); return path → fault."""
        rng = random.Random(seed)
        kinds = list(FAULTS)
        paths = list(self.readouts)
        rng.shuffle(paths)
        draw = kinds + [rng.choice(kinds) for _ in range(len(paths) - len(kinds))]
        with self._lock:
            self.faults = dict(zip(paths, draw))
            return dict(self.faults)

    def calm(self) -> None:
        with self._lock:
            self.faults = {}

    def expected(self, path: str) -> str:
        return FAULTS[self.faults.get(path, "ok")]

    def _responder(self, path: str):
        def respond(handler: BaseHTTPRequestHandler) -> None:
            canonical = handler.path.endswith("/canonical")
            with self._lock:
                fault = "ok" if canonical else self.faults.get(path, "ok")
                self.served[path, fault] += 1
                self.times.setdefault(path, []).append(time.monotonic())
                first = self.served[path, fault] == 1
            try:
                _serve(handler, self.readouts[path], fault, first)
            except (BrokenPipeError, ConnectionResetError):
                handler.close_connection = True  # the crawler gave up on a huge body: fine

        return respond


def _serve(handler: BaseHTTPRequestHandler, readout: Readout, fault: str, first: bool) -> None:
    good = render_readout(readout).encode("utf-8")
    if fault == "ok" or (fault == "flaky_503" and not first):
        return _send(handler, 200, good)
    if fault in ("flaky_503", "http_503"):
        return _send(handler, 503, b"<h1>Service unavailable</h1>", {"Retry-After": "0"})
    if fault == "http_404":
        return _send(handler, 404, b"<h1>Not found</h1>")
    if fault == "http_429_long":
        return _send(handler, 429, b"<h1>Too many requests</h1>", {"Retry-After": "3600"})
    if fault == "http_500":
        return _send(handler, 500, b"<h1>Internal server error</h1>")
    if fault == "http_429":
        return _send(handler, 429, b"<h1>Too many requests</h1>", {"Retry-After": "1"})
    if fault == "redirect_ok":
        return _send(handler, 301, b"", {"Location": handler.path + "/canonical"})
    if fault == "redirect_loop":
        return _send(handler, 302, b"", {"Location": "/loop/a"})
    if fault == "stall":
        time.sleep(STALL_SECONDS)
        handler.close_connection = True
        return None
    if fault == "truncated":
        handler.close_connection = True
        return _send(handler, 200, good[: len(good) // 2], {"Content-Length": str(len(good))})
    if fault == "chunked_garbage":
        handler.close_connection = True
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        handler.wfile.write(b"10\r\n<html><body><p>\r\nzz;not-a-size\r\n" + good[:200])
        return None
    if fault == "gzip_bomb":
        return _send(handler, 200, _bomb(), {"Content-Encoding": "gzip"})
    if fault in ("huge", "huge_unannounced"):
        return _send_huge(handler, announced=fault == "huge")
    if fault == "cp1251_declared_utf8":
        body = render_readout(readout, meta_charset=None).encode("cp1251")
        return _send(handler, 200, body)
    if fault == "utf8_declared_cp1251":
        body = render_readout(readout, meta_charset="windows-1251").encode("utf-8")
        return _send(handler, 200, body, content_type="text/html; charset=windows-1251")
    if fault == "cp1251_undeclared":
        body = render_readout(readout, meta_charset=None).encode("cp1251")
        return _send(handler, 200, body, content_type="text/html")
    if fault == "binary":
        noise = random.Random(readout.number).randbytes(20_000)
        return _send(handler, 200, noise)
    if fault == "empty":
        return _send(handler, 200, b"")
    raise ValueError(f"unknown fault {fault!r}")


def _send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    headers: dict[str, str] | None = None,
    content_type: str = "text/html; charset=utf-8",
) -> None:
    headers = {"Content-Type": content_type, "Content-Length": str(len(body)), **(headers or {})}
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


_BOMB: bytes | None = None


def _bomb() -> bytes:
    """A gzip body of about 64 KB that inflates to 64 MB of spaces inside an HTML page."""
    global _BOMB
    if _BOMB is None:
        _BOMB = gzip.compress(b"<html><body><p>" + b" " * BOMB_BYTES, compresslevel=9)
    return _BOMB


def _send_huge(handler: BaseHTTPRequestHandler, *, announced: bool) -> None:
    handler.close_connection = True
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    if announced:
        handler.send_header("Content-Length", str(HUGE_BYTES))
    handler.end_headers()
    chunk = b"<p>" + b"x" * (1024 * 1024 - 3)
    for _ in range(HUGE_BYTES // len(chunk)):
        handler.wfile.write(chunk)
