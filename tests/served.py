"""A server the tests start as a child process (``readouts serve``, pywb's ``wayback``) and use
once it answers."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serving(command: list[str], ready_url: str, what: str, **popen) -> Iterator[None]:
    """Run ``command`` until the block ends; enter once ``ready_url`` answers (60 s at most)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **popen)
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(ready_url, timeout=5).read()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"{what} did not start: {process.stdout.read().decode()}")
            time.sleep(0.2)
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)
