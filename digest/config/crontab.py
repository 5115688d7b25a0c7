"""Crontab lines in the settings: read as cron reads them (Sunday is 0 and 7), turned into APScheduler 3's numbering,
checked for a next run within a year, and counted per day (arXiv is polled no more than its announcements need).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from digest.config.problems import problem

_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # crontab's numbering: 0 (and 7) is Sunday
_SCHEDULER_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # APScheduler 3's: 0 is Monday


def _cron_day(text: str) -> int:
    """A weekday as crontab writes it: 0-7 (Sunday both 0 and 7), or a name (sun 0 ... sat 6)."""
    lowered = text.strip().lower()
    if lowered in _CRON_DAYS:
        return _CRON_DAYS.index(lowered)
    if lowered.isascii() and lowered.isdigit() and int(lowered) <= 7:
        return int(lowered)
    raise ValueError(f"{text!r} is not a weekday (0-7, where 0 and 7 are Sunday, or sun, mon, ... sat)")


def _cron_days(part: str) -> set[int]:
    """The days (0 Sunday ... 6 Saturday) one comma-separated part of crontab's weekday field names: *, a day, a
    range, each with a /step. A range written across Sunday ("fri-mon") goes round the week."""
    base, _, step_text = part.partition("/")
    step = 1
    if step_text:
        if not (step_text.isascii() and step_text.isdigit() and int(step_text) >= 1):
            raise ValueError(f"{step_text!r} is not a step (a whole number from 1)")
        step = int(step_text)
    if base == "*":
        return set(range(0, 7, step))
    first_text, dash, last_text = base.partition("-")
    first = _cron_day(first_text)
    last = _cron_day(last_text) if dash else (6 if step_text else first)
    if last < first:
        last += 7
    return {day % 7 for day in range(first, last + 1, step)}


def scheduler_crontab(expression: str) -> str:
    """The crontab line as APScheduler 3 must be given it. Its weekday field counts 0 as Monday, where crontab counts
    0 (and 7) as Sunday, and refuses a range written across Sunday ("sun-thu"): the field is rewritten as day names
    in APScheduler's order, so "1-5" is Monday to Friday as in any crontab. ValueError for a weekday field that is
    not crontab's. A day of the month and a weekday given together must both match ("0 8 1-7 * mon": the first
    Monday), as APScheduler reads them and releases before this one did; crontab would run on either."""
    fields = expression.split()
    if len(fields) != 5 or fields[4] in ("*", "?"):
        return expression  # APScheduler says what is wrong with the field count
    days: set[int] = set()
    for part in fields[4].split(","):
        days |= _cron_days(part)
    ordered = sorted((day - 1) % 7 for day in days)  # crontab's numbers as APScheduler's (Monday 0)
    runs: list[list[int]] = []
    for day in ordered:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    names = [
        _SCHEDULER_DAYS[run[0]] if len(run) == 1 else f"{_SCHEDULER_DAYS[run[0]]}-{_SCHEDULER_DAYS[run[-1]]}"
        for run in runs
    ]
    return " ".join([*fields[:4], ",".join(names)])


def cron_problem(name: str, expression: str) -> str | None:
    """Why `expression` is not a crontab line APScheduler accepts, as one line naming the setting; None if it is."""
    from apscheduler.triggers.cron import CronTrigger  # here: only expressions a user set pay for APScheduler

    try:
        trigger = CronTrigger.from_crontab(scheduler_crontab(expression), timezone="UTC")
    except ValueError as exc:
        return f"{name} is not a valid crontab expression ({expression!r}): {exc}"
    # A day no month has ("0 8 31 2 *") is a crontab APScheduler takes, and never runs: the service logged "next runs
    # at None" and polled, or sent the weekly digest, never again.
    now = datetime.now(UTC)
    upcoming = trigger.get_next_fire_time(None, now)
    if upcoming is None or upcoming - now > timedelta(days=366):
        return f"{name} never runs within a year ({expression!r}): check its day of the month, month and weekday"
    return None


def runs_a_day(expression: str) -> int:
    """How many times a crontab line runs on a day it runs at all (its minutes times its hours); 0 when unreadable
    (the expression's own check says what is wrong)."""
    fields = expression.split()
    if len(fields) != 5:
        return 0
    try:
        return len(_cron_values(fields[0], 59)) * len(_cron_values(fields[1], 23))
    except ValueError:
        return 0


def _cron_values(field: str, highest: int) -> set[int]:
    values: set[int] = set()
    for part in field.split(","):
        base, _, step = part.partition("/")
        first, _, last = base.partition("-")
        low = 0 if base in ("*", "?") else int(first)
        high = highest if base in ("*", "?") or (step and not last) else int(last or first)
        values |= set(range(low, high + 1, int(step or 1)))
    return values


def crontab(expression: str, default: Any) -> str:
    """A field validator's check: the built-in default is known good (tests/test_cli_speed.py parses the defaults),
    so only an expression a user set is parsed and APScheduler is not imported by every command."""
    found = None if expression == default else cron_problem("", expression)
    if found:
        raise problem(found.strip())
    return expression
