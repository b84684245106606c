"""Logging of the daemon: levelled lines on stderr, and optionally in a file.

The file handler reopens its file when logrotate moves it away, so a daemon running for
months can have its log rotated without a restart.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str = "INFO", log_file: str | None = None) -> None:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        handlers.append(logging.handlers.WatchedFileHandler(log_file, encoding="utf-8"))
    formatter = logging.Formatter(FORMAT)
    for handler in handlers:
        handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = handlers
    root.setLevel(level)
    # APScheduler logs every job start and end at INFO; the daemon logs its own run lines.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))
