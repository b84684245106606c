"""Turning a source's ``schedule`` into an APScheduler trigger.

A schedule is either a five-field cron expression (``*/30 * * * *``) or an interval: a whole
number followed by s, m, h or d (``90s``, ``30m``, ``6h``, ``1d``).
"""

from __future__ import annotations

import re

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

_INTERVAL = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class ScheduleError(ValueError):
    """A schedule that is neither a cron expression nor an interval."""


def parse_schedule(schedule: str, *, jitter: int | None = None) -> BaseTrigger:
    """The trigger for ``schedule``; raises ``ScheduleError`` with the reason."""
    match = _INTERVAL.match(schedule)
    if match:
        amount = int(match.group(1))
        if amount <= 0:
            raise ScheduleError(f"interval must be positive, got {schedule!r}")
        return IntervalTrigger(**{_UNITS[match.group(2)]: amount}, jitter=jitter)
    if len(schedule.split()) != 5:
        raise ScheduleError(
            f"{schedule!r} is neither a 5-field cron expression nor an interval like '30m' or '6h'"
        )
    try:
        return CronTrigger.from_crontab(schedule, timezone="UTC")
    except ValueError as error:
        raise ScheduleError(f"bad cron expression {schedule!r}: {error}") from None


def interval_seconds(schedule: str) -> int | None:
    """Seconds between runs for an interval schedule, None for a cron expression."""
    match = _INTERVAL.match(schedule)
    if not match:
        return None
    factor = {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    return int(match.group(1)) * factor
