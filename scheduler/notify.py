"""Sending flags to the channels users already read, through apprise.

One apprise URL per ``[[notify]]`` table of the sources file (e-mail, Slack, Matrix, Telegram,
a JSON webhook …), each limited to some flag kinds and sources if the user says so. Deliveries
are rows in the ``notifications`` table: a failed one is retried with a growing delay (the
daemon's tick, doubled at each attempt, at most an hour) and given up only after
``MAX_ATTEMPTS``, with an error in the log and the row kept as ``failed``.

In the daemon, deliveries run on a ``DeliveryWorker`` thread of their own: apprise waits up to
4 s for a channel that does not answer, and nothing else (the heartbeat, the crawl jobs,
start-up, shutdown) may wait on a channel.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import apprise

import storage
from scheduler.sources import NotifyChannel
from storage.notifications import (
    close_removed_channels,
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
        self._lock = threading.Lock()  # one round of deliveries at a time
        self._closed = threading.Event()
        self._announcements: deque[tuple[str, str]] = deque()
        self.channels = channels

    @property
    def channels(self) -> list[NotifyChannel]:
        return self._config[0]

    @channels.setter
    def channels(self, channels: list[NotifyChannel]) -> None:
        senders = {}
        for channel in channels:
            sender = apprise.Apprise()
            sender.add(channel.url)
            senders[channel.label] = sender
        # One assignment, no lock: a reload never waits for a round in progress, which goes on
        # with the channels it started with.
        self._config: tuple[list[NotifyChannel], dict[str, apprise.Apprise]] = (
            list(channels),
            senders,
        )

    def queue(self) -> None:
        """Queue the flags raised since the last call for every channel that wants them, and
        close the pending deliveries of channels no longer in the sources file. Only the
        archive is touched: the daemon calls this before its first run, so that a new
        channel's watermark is set before any run raises flags."""
        channels, _ = self._config
        db = storage.open_database(self.db_path)
        try:
            gone = close_removed_channels(db, [channel.label for channel in channels])
            if gone:
                logger.warning(
                    "%d pending notification(s) of channel(s) no longer in the sources file"
                    " will not be sent (status 'channel_removed')",
                    gone,
                )
            for channel in channels:
                queued = queue_new_flags(db, channel.label, channel.wants)
                if queued:
                    logger.info("Queued %d notification(s) for %s", queued, channel.label)
        finally:
            db.close()

    def process(self, now: datetime | None = None) -> None:
        """Send the announcements, queue new flags, then try every delivery due by ``now``
        (the clock's time unless given). A channel that fails is not tried again in the same
        round: its other deliveries wait for the next one, so a channel that never answers
        costs one attempt per round, not one per flag."""
        with self._lock:
            self._send_announcements()
            self.queue()
            channels, senders = self._config
            if not channels:
                return
            db = storage.open_database(self.db_path)
            try:
                for channel in channels:
                    moment = now or datetime.now(timezone.utc)
                    for delivery in due_deliveries(db, channel.label, moment.isoformat()):
                        if self._closed.is_set():
                            return
                        if not self._deliver(db, channel, senders[channel.label], delivery, moment):
                            break
            finally:
                db.close()

    def announce(self, title: str, body: str) -> None:
        """Tell every channel about the daemon itself (the disk is full) at the next round.

        Kept in memory, not in the archive: the archive may be the thing that cannot be
        written. Sent once; a failure is logged, not retried.
        """
        self._announcements.append((title, body))

    def close(self) -> None:
        """No attempt starts after this (shutdown): what is left stays pending in the archive."""
        self._closed.set()

    def _send_announcements(self) -> None:
        channels, senders = self._config
        while self._announcements and not self._closed.is_set():
            title, body = self._announcements.popleft()
            for channel in channels:
                error = _send_text(channel, senders[channel.label], title, body)
                if error:
                    logger.error("Could not notify %s: %s", channel.label, error)

    def _deliver(
        self,
        db: Any,
        channel: NotifyChannel,
        sender: apprise.Apprise,
        delivery: dict[str, Any],
        now: datetime,
    ) -> bool:
        """One attempt, recorded; whether it was delivered."""
        error = _send_text(channel, sender, *message(delivery))
        if error is None:
            record_delivered(db, delivery["id"])
            logger.info("Notified %s of flag %d", channel.label, delivery["flag_id"])
            return True
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
            return False
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
        return False


class DeliveryWorker:
    """Runs ``deliver`` on a thread of its own: at once when woken, else every ``interval`` s.

    A daemon thread, so that stopping never waits on a channel: an attempt in flight at exit is
    abandoned, its delivery stays ``pending`` in the archive and is retried at the next start.
    """

    def __init__(self, deliver: Callable[[], None], interval: float):
        self._deliver = deliver
        self._interval = interval
        self._woken = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="notifications", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """Run a round now (or right after the one in progress)."""
        self._woken.set()

    def stop(self, grace: float) -> bool:
        """Start no more rounds; wait up to ``grace`` s for the one in progress. Whether the
        thread ended."""
        self._stopping.set()
        self._woken.set()
        if self._thread.is_alive():
            self._thread.join(grace)
        return not self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._deliver()
            self._woken.wait(self._interval)
            self._woken.clear()


def _send_text(
    channel: NotifyChannel, sender: apprise.Apprise, title: str, body: str
) -> str | None:
    """Send one message; the error apprise reported, or None when it was delivered."""
    with apprise.LogCapture(level=logging.WARNING) as captured:
        try:
            delivered = bool(sender.notify(title=title, body=body))
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
