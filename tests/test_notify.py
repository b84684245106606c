"""Notification retries against a real HTTP endpoint on 127.0.0.1, with the clock passed in:
the delay doubles up to an hour, and a delivery is given up after MAX_ATTEMPTS, kept as failed."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from conftest import query

import storage
from readouts.demo.server import Resource
from scheduler.notify import MAX_ATTEMPTS, MAX_RETRY_DELAY, Notifier
from scheduler.sources import NotifyChannel
from storage.database import write_transaction
from storage.flags import insert_flag, make_flag

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def failing_hook(server, db_path):
    """A notifier whose one channel answers 500, and one flag queued for it."""
    server.set("/hook", Resource("broken", status=500, conditional=False))
    channel = NotifyChannel(f"json://127.0.0.1:{server.port}/hook", "hook")
    notifier = Notifier(str(db_path), [channel], retry_delay=1000)
    notifier.process(now=T0)  # the first call only sets the channel's watermark
    db = storage.open_database(db_path)
    with write_transaction(db):
        insert_flag(db, make_flag("new_readout", "demo", 1, 1, "New readout: a call"))
    db.close()
    return notifier


def delivery(db_path) -> dict:
    (row,) = query(db_path, "SELECT * FROM notifications")
    return row


def test_retry_delay_doubles_and_stops_growing_at_an_hour(failing_hook, db_path):
    now, delays = T0, []
    for _ in range(4):
        failing_hook.process(now=now)
        due = datetime.fromisoformat(delivery(db_path)["next_attempt_at"])
        delays.append((due - now).total_seconds())
        now = due
    assert delays == [1000, 2000, MAX_RETRY_DELAY, MAX_RETRY_DELAY]
    assert delivery(db_path)["status"] == "pending"


def test_delivery_is_given_up_after_max_attempts_and_kept_as_failed(failing_hook, db_path, server):
    now = T0
    for _ in range(MAX_ATTEMPTS):
        failing_hook.process(now=now)
        now += timedelta(days=1)  # always past the next attempt
    row = delivery(db_path)
    assert (row["status"], row["attempts"], row["next_attempt_at"]) == (
        "failed",
        MAX_ATTEMPTS,
        None,
    )
    assert row["last_error"]
    failing_hook.process(now=now + timedelta(days=30))  # a failed delivery is not tried again
    assert delivery(db_path)["attempts"] == MAX_ATTEMPTS
    posts = [r for r in server.requests_for("/hook") if r.method == "POST"]
    assert len(posts) == MAX_ATTEMPTS
