"""Turning a source's ``schedule`` into an APScheduler trigger.

A schedule is either a five-field cron expression (``*/30 * * * *``) or an interval: a whole
number followed by s, m, h or d (``90s``, ``30m``, ``6h``, ``1d``).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

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
    minute, hour, day, month, day_of_week = schedule.split()
    try:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=crontab_weekdays(day_of_week),
            timezone="UTC",
            jitter=jitter,
        )
    except ValueError as error:
        raise ScheduleError(f"bad cron expression {schedule!r}: {error}") from None


_WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun"]  # crontab: 0 and 7 = Sunday
_NUMERIC_WEEKDAYS = re.compile(r"^(\*|(\d+)(?:-(\d+))?)(?:/(\d+))?$")


def crontab_weekdays(field: str) -> str:
    """Crontab's day-of-week field in APScheduler 3's terms.

    APScheduler 3 numbers weekdays from Monday = 0 (its ``from_crontab`` warns about it), while
    crontab has Sunday = 0 or 7, so "0 6 * * 1-5" would run Tuesday to Saturday. Numbers are
    turned into day names, which mean the same to both; names pass through unchanged.
    """
    parts = []
    for part in field.split(","):
        match = _NUMERIC_WEEKDAYS.match(part)
        if not match or part == "*":
            parts.append(part)
            continue
        star, first_text, last_text, step_text = match.groups()
        first = 0 if star == "*" else int(first_text)
        if star == "*":
            last = 6
        elif last_text:
            last = int(last_text)
        else:
            last = 7 if step_text else first  # "1/2": from Monday to the end of the week
        step = int(step_text or 1)
        if not 0 <= first <= last <= 7:
            raise ScheduleError(f"bad day of week {part!r}: use 0-7 (0 and 7 are Sunday)")
        days = dict.fromkeys(_WEEKDAYS[day] for day in range(first, last + 1, step))
        parts.append(",".join(days))
    return ",".join(parts)


def interval_seconds(schedule: str) -> int | None:
    """Seconds between runs for an interval schedule, None for a cron expression."""
    match = _INTERVAL.match(schedule)
    if not match:
        return None
    return int(timedelta(**{_UNITS[match.group(2)]: int(match.group(1))}).total_seconds())


def period_seconds(schedule: str, now: datetime | None = None) -> float:
    """Seconds between two runs: the interval, or the gap between a cron expression's next fires."""
    seconds = interval_seconds(schedule)
    if seconds is not None:
        return float(seconds)
    trigger = parse_schedule(schedule)
    first = trigger.get_next_fire_time(None, now or datetime.now(timezone.utc))
    second = trigger.get_next_fire_time(first, first + timedelta(microseconds=1))
    return (second - first).total_seconds()


def jitter_seconds(schedule: str, max_jitter: float = 60) -> int:
    """A tenth of the period, at most ``max_jitter``: enough that sources don't fire together."""
    return int(min(max_jitter, period_seconds(schedule) / 10))


def next_due(schedule: str, last_attempt: datetime | None, now: datetime) -> datetime:
    """When a source is next due, given the start of its last run (``now`` if it never ran).

    An interval counts from the last run; a cron expression is due at its first fire time after
    the last run. The result may lie in the past: the source is overdue.
    """
    if last_attempt is None:
        return now
    seconds = interval_seconds(schedule)
    if seconds is not None:
        return last_attempt + timedelta(seconds=seconds)
    trigger = parse_schedule(schedule)
    return trigger.get_next_fire_time(None, last_attempt + timedelta(seconds=1))
