"""Signals for a daemon: SIGTERM/SIGINT ask it to stop, SIGHUP to reload its configuration.

Handlers only set flags; the main loop sleeps in ``select`` on a socket that
``signal.set_wakeup_fd`` writes to, so a signal wakes it at once without the handler taking
any lock (a handler that logs or sets a ``threading.Event`` can deadlock the thread it
interrupted).
"""

from __future__ import annotations

import select
import signal
import socket
from types import FrameType


class SignalFlags:
    """What the process was asked to do, and a sleep that any of those requests interrupts."""

    def __init__(self) -> None:
        self.stop_requests = 0  # a second request means: stop the running crawls now
        self.reload_requested = False
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._previous: dict[int, object] = {}
        self._previous_fd: int | None = None

    def install(self) -> None:
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno())
        for signum in (signal.SIGTERM, signal.SIGINT):
            self._previous[signum] = signal.signal(signum, self._on_stop)
        self._previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, self._on_reload)

    def uninstall(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        signal.set_wakeup_fd(self._previous_fd if self._previous_fd is not None else -1)
        self._reader.close()
        self._writer.close()

    @property
    def stopping(self) -> bool:
        return self.stop_requests > 0

    def sleep(self, seconds: float) -> None:
        """Sleep up to ``seconds``; return early when a signal arrives."""
        readable, _, _ = select.select([self._reader], [], [], max(seconds, 0))
        if readable:
            try:
                while self._reader.recv(512):
                    pass
            except BlockingIOError:
                pass

    def _on_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stop_requests += 1

    def _on_reload(self, signum: int, frame: FrameType | None) -> None:
        self.reload_requested = True
