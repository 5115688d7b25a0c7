"""The kinds of value settings hold: time zones, crontab lines, Discord ids, email (digest.addresses) and network
addresses.

Each is an annotated type whose check runs only on a value that was given, so the built-in defaults cost nothing.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr

from digest.addresses import AddressError, mailbox, plain_address
from digest.config.problems import problem
from digest.text import UNREADABLE, unreadable


def _time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise problem(f"{name!r} is not a known IANA time zone (e.g. Europe/Berlin)") from None
    return name


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


def _discord_id(value: Any) -> Any:
    """Discord ids are written as numbers or, since they pass 2**53, as strings of digits. Each is a snowflake, a
    positive 64-bit number: one outside that (`channel_id = -5`) names nothing, and the bot would watch it."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**64:
        raise problem(f"holds {value!r}, which is not a Discord id (a positive number below 2**64)")
    return value


def trimmed_secret(value: object, *, keep_space: bool = False) -> object:
    """A secret's value without the space around it, and None for one of space only: a value read from a file or a
    container's secret often ends in a newline, which nobody can type back, and a variable left blank (`TOKEN=" "`)
    is not set. With `keep_space` (a password, which may begin or end with a space) only the latter holds."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if not isinstance(value, str):
        return value
    return (value if keep_space else value.strip()) if value.strip() else None


def _email(address: str) -> str:
    """The address as the mailer sends it (trimmed): what the ledger records as sent or owed is compared with it."""
    try:
        return plain_address(address)
    except AddressError as exc:
        raise problem(str(exc)) from None


def _mailbox(value: str) -> str:
    try:
        mailbox(value)
    except AddressError as exc:
        raise problem(f"{exc}: write user@example.org or Display Name <user@example.org>") from None
    return value


def _network(text: str) -> str:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise problem(f': {text!r} is not an IP address or network (e.g. "10.0.0.0/8")') from None
    return text


def without_login(url: str) -> str:
    """The address when it carries no user or password: a secret comes from the environment, and these addresses are
    logged, shown by `digest config show`, kept in the database (the feeds'), and the web's is in every link the
    feeds, emails and Discord give. Nor is the refused value echoed."""
    if unreadable(url):
        raise problem(UNREADABLE)
    if holds_login(url):
        raise problem(
            "must not hold a user or password: the address is shown in logs and `digest config show`, and the "
            "web's in every feed and email; secrets come from the environment"
        )
    return url


def holds_login(url: str) -> bool:
    """Whether the URL carries a user or password (something that is not a URL at all carries none: the setting's
    own check, or the first request, says what is wrong with it)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.username is not None or parts.password is not None


def on_this_machine(url: str) -> bool:
    """Whether the URL's host is this machine (localhost, a loopback address): what goes there crosses no network."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _web_address(url: str) -> str:
    if not url.startswith(("http://", "https://")):
        shown = "" if "@" in url else f", not {url!r}"  # "user:password@host" is not echoed either
        raise problem(f"must start with http:// or https://{shown}")
    return without_login(url).rstrip("/")


def _token_address(url: str, secure: str, plain: str) -> str:
    """An address the bot's token goes to (in every request's header, in the gateway's first frame): `secure`:// or,
    for this machine only (a test's fake Discord), `plain`://. Plain to another host, anyone on the way reads it."""
    url = without_login(url)
    try:
        parts = urlsplit(url)
        scheme, host = parts.scheme, parts.hostname
    except ValueError:
        scheme, host = "", None
    if scheme not in (secure, plain) or not host:
        shown = "" if "@" in url else f", not {url!r}"
        raise problem(f"must start with {secure}://{shown}")
    if scheme == plain and not on_this_machine(url):
        raise problem(
            f"is plain {plain}:// to another machine: DISCORD_TOKEN would cross the network unencrypted; use its "
            f"{secure}:// address ({plain}:// is kept for this machine only)"
        )
    return url


# A server's URL split as SQLAlchemy 2.0's make_url splits it (sqlalchemy.engine.url._parse_url): config imports no
# SQLAlchemy (the pure core reads settings). The password ends at the first '@'; the host is what follows, to ':'.
_DATABASE_URL = re.compile(
    r"[\w+]+://(?:[^:/]*(?::[^@]*)?@)?(?:\[[^/?]+\]|(?P<host>[^/:?]+))?(?::(?P<port>[^/?]*))?(?:/[^?]*)?(?:\?.*)?",
    re.DOTALL,
)


def _database_url(url: str) -> str:
    """A server's database URL as SQLAlchemy reads it. It ends a password at its first '@' and takes the rest for the
    host, which every error and `digest config check` then show: such a URL is refused without a word of it."""
    found = _DATABASE_URL.fullmatch(url)
    if found is None:  # a path, say: SQLAlchemy cannot read it, and the value may hold a password
        raise problem(
            "is not a database URL: write sqlite:////absolute/path/digest.sqlite3 (a SQLite file) or "
            "postgresql+psycopg://user@host/dbname"
        )
    if "@" in (found["host"] or ""):
        raise problem(
            "holds '@' in its user or password, which ends it there and shows the rest as the host: write each '@' "
            "in them as %40"
        )
    port = found["port"]  # "" when a colon ends the host: SQLAlchemy fails on that too
    if port is not None and not (port.isascii() and port.isdigit()):
        raise problem("cannot be read: its port is not a number" if port else "cannot be read: its port is empty")
    return url


def _stripped(value: object) -> object:
    """A URL or host without the white space around it: one read from a secret file ends in a newline, one pasted into
    `.env` may start with a space, and SQLAlchemy would take either into the file's or the database's name."""
    return value.strip() if isinstance(value, str) else value


TimeZoneName = Annotated[str, AfterValidator(_time_zone)]
DiscordId = Annotated[int, BeforeValidator(_discord_id)]
EmailAddress = Annotated[str, AfterValidator(_email)]
Mailbox = Annotated[str, AfterValidator(_mailbox)]  # a sender: a plain address, or one with a display name
Network = Annotated[str, AfterValidator(_network)]
_Stripped = BeforeValidator(_stripped)  # the service's own addresses: a base_url ending in a newline, a host " ::"
WebAddress = Annotated[str, _Stripped, AfterValidator(_web_address)]
ApiAddress = Annotated[str, _Stripped, AfterValidator(lambda url: without_login(url).rstrip("/"))]
DiscordApiAddress = Annotated[
    str, _Stripped, AfterValidator(lambda url: _token_address(url, "https", "http").rstrip("/"))
]
GatewayAddress = Annotated[str, _Stripped, AfterValidator(lambda url: _token_address(url, "wss", "ws"))]
Host = Annotated[str, _Stripped]
Address = Annotated[str, AfterValidator(without_login)]
DatabaseUrl = Annotated[str, BeforeValidator(_stripped), AfterValidator(_database_url)]  # no white space around it
Port = Annotated[int, Field(ge=1, le=65535)]
# A day at most: a socket refuses inf, and a timeout past what a platform's time_t holds (1e300) at run time.
Seconds = Annotated[float, Field(ge=0.001, le=86_400)]
# A number of rows a command or page reads (the feeds' items, a digest's top papers): SQLite takes no count past
# 2**63 - 1, and a count a reader or reviewer could not go through is a typo; refused before it fails a query.
Count = Annotated[int, Field(ge=0, le=100_000)]
