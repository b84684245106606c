"""Sending flags to the channels users already read, through apprise.

One apprise URL per ``[[notify]]`` table of the sources file (e-mail, Slack, Matrix, Telegram,
a JSON webhook …), each limited to some flag kinds and sources if the user says so. Deliveries
are rows in the ``notifications`` table: a failed one is retried with a growing delay (the
daemon's tick, doubled at each attempt, at most an hour) and given up only after
``MAX_ATTEMPTS``, with an error in the log and the row kept as ``failed``.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import apprise

import storage
from scheduler.sources import NotifyChannel
from storage.notifications import (
    due_deliveries,
    queue_new_flags,
    record_delivered,
    record_failed_attempt,
)

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 20
MAX_RETRY_DELAY = 3600.0


class Notifier:
    """Queues new flags for each channel and delivers what is due; safe to call from any thread."""

    def __init__(self, db_path: str, channels: list[NotifyChannel], retry_delay: float):
        self.db_path = db_path
        self.retry_delay = retry_delay
        self._lock = threading.Lock()
        self._apprise: dict[str, apprise.Apprise] = {}
        self.channels = channels

    @property
    def channels(self) -> list[NotifyChannel]:
        return self._channels

    @channels.setter
    def channels(self, channels: list[NotifyChannel]) -> None:
        with self._lock:
            self._channels = list(channels)
            self._apprise = {}
            for channel in channels:
                sender = apprise.Apprise()
                sender.add(channel.url)
                self._apprise[channel.label] = sender

    def process(self, now: datetime | None = None) -> None:
        """Queue the flags raised since the last call, then try every delivery due by ``now``
        (the clock's time unless given)."""
        if not self._channels:
            return
        with self._lock:
            db = storage.open_database(self.db_path)
            try:
                for channel in self._channels:
                    queued = queue_new_flags(db, channel.label, channel.wants)
                    if queued:
                        logger.info("Queued %d notification(s) for %s", queued, channel.label)
                    moment = now or datetime.now(timezone.utc)
                    for delivery in due_deliveries(db, channel.label, moment.isoformat()):
                        self._deliver(db, channel, delivery, moment)
            finally:
                db.close()

    def announce(self, title: str, body: str) -> None:
        """Tell every channel about the daemon itself (the disk is full), sent at once.

        Not queued: the archive that holds the queue may be the thing that cannot be written.
        A failure is logged, not retried.
        """
        with self._lock:
            for channel in self._channels:
                error = self._send_text(channel, title, body)
                if error:
                    logger.error("Could not notify %s: %s", channel.label, error)

    def _deliver(
        self, db: Any, channel: NotifyChannel, delivery: dict[str, Any], now: datetime
    ) -> None:
        error = self._send(channel, delivery)
        if error is None:
            record_delivered(db, delivery["id"])
            logger.info("Notified %s of flag %d", channel.label, delivery["flag_id"])
            return
        attempts = delivery["attempts"] + 1
        if attempts >= MAX_ATTEMPTS:
            record_failed_attempt(db, delivery["id"], error, None)
            logger.error(
                "Giving up notifying %s of flag %d after %d attempts: %s",
                channel.label,
                delivery["flag_id"],
                attempts,
                error,
            )
            return
        delay = min(self.retry_delay * 2 ** (attempts - 1), MAX_RETRY_DELAY)
        retry_at = (now + timedelta(seconds=delay)).replace(microsecond=0)
        record_failed_attempt(db, delivery["id"], error, retry_at.isoformat())
        logger.warning(
            "Could not notify %s of flag %d (attempt %d, next in %.0f s): %s",
            channel.label,
            delivery["flag_id"],
            attempts,
            delay,
            error,
        )

    def _send(self, channel: NotifyChannel, delivery: dict[str, Any]) -> str | None:
        """Send one flag; the error apprise reported, or None when it was delivered."""
        return self._send_text(channel, *message(delivery))

    def _send_text(self, channel: NotifyChannel, title: str, body: str) -> str | None:
        with apprise.LogCapture(level=logging.WARNING) as captured:
            try:
                delivered = bool(self._apprise[channel.label].notify(title=title, body=body))
            except Exception as error:  # a broken plugin must not stop the other deliveries
                logger.exception("apprise failed on %s", channel.label)
                return f"{type(error).__name__}: {error}"
        return None if delivered else _last_line(captured.getvalue())


def _last_line(log: str) -> str:
    lines = [line for line in log.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "apprise reported a failure without a reason"


def message(delivery: dict[str, Any]) -> tuple[str, str]:
    """Title and body of the notification of one flag."""
    kind = delivery["kind"].replace("_", " ")
    title = f"readouts: {kind} ({delivery['source']})" if delivery["source"] else kind
    lines = [delivery["summary"]]
    if delivery["url"]:
        lines.append(delivery["url"])
    lines.append(f"flag {delivery['flag_id']}, {delivery['created_at']}")
    return title, "\n".join(lines)
