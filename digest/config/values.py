"""The kinds of value settings hold: time zones, crontab lines, Discord ids, email and network addresses.

Each is an annotated type whose check runs only on a value that was given, so the built-in defaults cost nothing.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, Field

from digest.config.problems import problem


def _time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise problem(f"{name!r} is not a known IANA time zone (e.g. Europe/Berlin)") from None
    return name


def cron_problem(name: str, expression: str) -> str | None:
    """Why `expression` is not a crontab line APScheduler accepts, as one line naming the setting; None if it is."""
    from apscheduler.triggers.cron import CronTrigger  # here: only expressions a user set pay for APScheduler

    try:
        CronTrigger.from_crontab(expression)
    except ValueError as exc:
        return f"{name} is not a valid crontab expression ({expression!r}): {exc}"
    return None


def crontab(expression: str, default: Any) -> str:
    """A field validator's check: the built-in default is known good (tests/test_cli_speed.py parses the defaults),
    so only an expression a user set is parsed and APScheduler is not imported by every command."""
    found = None if expression == default else cron_problem("", expression)
    if found:
        raise problem(found.strip())
    return expression


def _discord_id(value: Any) -> Any:
    """Discord ids are written as numbers or, since they pass 2**53, as strings of digits."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise problem(f"holds {value!r}, which is not a Discord id (a number)")
    return value


def _email(address: str) -> str:
    if "@" not in address.strip("@"):
        raise problem(f"{address!r} is not an email address")
    return address


def _network(text: str) -> str:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise problem(f': {text!r} is not an IP address or network (e.g. "10.0.0.0/8")') from None
    return text


def _web_address(url: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise problem(f"must start with http:// or https://, not {url!r}")
    return url.rstrip("/")


TimeZoneName = Annotated[str, AfterValidator(_time_zone)]
DiscordId = Annotated[int, BeforeValidator(_discord_id)]
EmailAddress = Annotated[str, AfterValidator(_email)]
Network = Annotated[str, AfterValidator(_network)]
WebAddress = Annotated[str, AfterValidator(_web_address)]
ApiAddress = Annotated[str, AfterValidator(lambda url: url.rstrip("/"))]
Port = Annotated[int, Field(ge=1, le=65535)]
Seconds = Annotated[float, Field(ge=0.001, allow_inf_nan=False)]  # inf: a socket refuses it at run time
