"""A fast static HTTP/1.1 server for benchmarks: pre-rendered pages, keep-alive, ETag → 304.

``etag=False`` serves no validators at all (a re-check must fetch every body); ``churn``, a
marker string, is replaced in every answer by a number that grows with each request (a
sidebar's "read now" counter, a token in the page chrome). ``set_pages`` edits pages live.

The tests' SiteServer (one thread per connection, http.server parsing) is not built for
speed; a benchmark of the crawler must not measure the server instead. This one answers from
memory on an asyncio loop in a thread of its own.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class StaticSite:
    def __init__(
        self, pages: dict[str, str | bytes], *, etag: bool = True, churn: str | None = None
    ):
        self.etag = etag
        self.churn = churn.encode("utf-8") if churn else None
        self.responses: dict[str, tuple[bytes, bytes, str]] = {}
        self.set_pages(pages)
        self.raw_bytes = sum(len(data) for _, data, _ in self.responses.values())
        self.requests = 0
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def set_pages(self, pages: dict[str, str | bytes]) -> None:
        """Serve these pages (added, or edited in place) from the next request on."""
        for path, body in pages.items():
            data = body.encode("utf-8") if isinstance(body, str) else body
            etag = '"' + hashlib.sha1(data).hexdigest() + '"'
            self.responses[path] = (self._head(path, data, etag), data, etag)

    def serve_etags(self, on: bool) -> None:
        """Send ETags (and answer If-None-Match with 304) from now on, or stop."""
        self.etag = on
        self.set_pages({path: data for path, (_, data, _) in self.responses.items()})

    def _head(self, path: str, data: bytes, etag: str) -> bytes:
        kind = "text/plain" if path.endswith(".txt") else "text/html; charset=utf-8"
        validator = f"ETag: {etag}\r\n" if self.etag else ""
        return (
            f"HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {len(data)}\r\n"
            f"{validator}\r\n"
        ).encode()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> StaticSite:
        self._thread.start()
        self._ready.wait()
        return self

    def __exit__(self, *exc) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=512)
        )
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1].split("?")[0]
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (line.partition(":") for line in lines[1:] if line)
                }
                self.requests += 1
                found = self.responses.get(path)
                if found is None:
                    writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                elif self.etag and headers.get("if-none-match") == found[2]:
                    writer.write(f"HTTP/1.1 304 Not Modified\r\nETag: {found[2]}\r\n\r\n".encode())
                elif self.churn and self.churn in found[1]:
                    data = found[1].replace(self.churn, str(self.requests).encode())
                    writer.write(self._head(path, data, found[2]) + data)
                else:
                    writer.write(found[0] + found[1])
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def _load(base_url: str, paths: list[str], connections: int) -> None:
    host, port = base_url.rsplit("/", 1)[-1].split(":")
    queue = list(reversed(paths))

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        while queue:
            path = queue.pop()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            )
            await reader.readexactly(length)
        writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))


def load_test(base_url: str, paths: list[str], connections: int = 16) -> None:
    """GET every path over ``connections`` keep-alive connections (the server measured alone)."""
    asyncio.run(_load(base_url, paths, connections))
