"""The kinds of value settings hold: time zones, crontab lines, Discord ids, email (digest.addresses) and network
addresses.

Each is an annotated type whose check runs only on a value that was given, so the built-in defaults cost nothing.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr

from digest.addresses import AddressError, mailbox, plain_address
from digest.config.hosts import listening_host, named_host
from digest.config.problems import problem
from digest.config.sqlite_files import in_memory, sqlite_file
from digest.resources import NoHomeError, home_path
from digest.text import UNREADABLE, has_invisible, unreadable

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _day(value: object) -> date:
    """A day (`[arxiv] holidays`): a TOML date, 2026-06-19, or a string of one. A number was read as seconds since 1970
    (0 was 1970-01-01, 20260619 a day of August 1970 refused as "should have zero time"), without a word of either."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DAY.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    shown = value.isoformat() if isinstance(value, date) else repr(value)
    raise problem(f"must be a day like 2026-06-19 (YYYY-MM-DD, one the calendar has), not {shown}")


def _time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise problem(f"{name!r} is not a known IANA time zone (e.g. Europe/Berlin)") from None
    return name


def _discord_id(value: Any) -> Any:
    """Discord ids are written as numbers or, since they pass 2**53, as strings of digits. Each is a snowflake, a
    positive 64-bit number: one outside that (`channel_id = -5`) names nothing, and the bot would watch it. Digits
    other than 0-9 (superscript, fullwidth, Arabic-Indic: a paste from a formatted page) are no id Discord gives."""
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "…"  # 5,000 digits are not quoted whole
    if isinstance(value, str) and value.strip().isdigit():
        if not value.strip().isascii():
            raise problem(f"holds {shown}, which is not a Discord id: write it in the digits 0-9")
        value = int(value) if len(value.strip()) <= 20 else 2**64  # int() refuses 4,300 digits; 21 are past 2**64
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**64:
        raise problem(f"holds {shown}, which is not a Discord id (a positive number below 2**64)")
    return value


NOT_UTF8 = "holds bytes that are not UTF-8 text (saved as Latin-1?): set it again in UTF-8"


def utf8_secret(value: str) -> str:
    """The secret, refused when the environment gave it bytes that are not UTF-8 (Python holds each as a lone
    surrogate): every use encodes it (a link's signature, a login, a header) and would fail there, unsaid till then."""
    if any("\udc80" <= char <= "\udcff" for char in value):
        raise problem(NOT_UTF8)
    return value


CONTROL = "holds a control character inside it (a line break or tab pasted with it?): set it again, the value alone"


def one_line_secret(value: str) -> str:
    """The secret, refused when it holds a control character (text's one rule, digest.text): a token's line break or
    tab goes raw into the feed's address, cannot be typed into the sign-in form, and a key's is invisible where it is
    kept; whoever set it meant the value alone. The space around it is trimmed before."""
    if has_invisible(value):
        raise problem(CONTROL)
    return value


def trimmed_secret(value: object, *, keep_space: bool = False) -> object:
    """A secret's value without the space around it, and None for one of space only: a value read from a file or a
    container's secret often ends in a newline, which nobody can type back, and a variable left blank (`TOKEN=" "`)
    is not set. With `keep_space` (a password, which may begin or end with a space) only the latter holds."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if not isinstance(value, str):
        return value
    utf8_secret(value)
    if not value.strip():
        return None
    return value if keep_space else one_line_secret(value.strip())


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
        return host_on_this_machine(urlsplit(url).hostname or "")
    except ValueError:
        return False


def host_on_this_machine(host: str) -> bool:
    """Whether a host name or address (no brackets) is this machine: localhost, or a loopback address."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _given(url: str) -> str:
    """A source's address, refused when blank: the empty path is the working folder, which every poll failed on."""
    if not url:
        raise problem("is empty: give the feed's address or path, or delete the item")
    return url


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
    if "@" in (found["host"] or "") + (found["port"] or ""):  # 'u:p@s:s@host': SQLAlchemy's port is 's@host'
        raise problem(
            "holds '@' in its user or password, which ends it there and shows the rest as the host: write each '@' "
            "in them as %40"
        )
    if in_memory(url):  # every command would start on an empty list and lose what it did when it ends
        raise problem(
            f"is {'a SQLite URL' if '@' in url else repr(url)}, a database in memory that nothing is kept in: name a "
            "file, as sqlite:////absolute/path/digest.sqlite3, or leave it unset for digest.sqlite3 in the data folder"
        )
    port = found["port"]  # "" when a colon ends the host: SQLAlchemy fails on that too
    if port is not None and not (port.isascii() and port.isdigit()):
        raise problem("cannot be read: its port is not a number" if port else "cannot be read: its port is empty")
    file = sqlite_file(url)
    if file is not None and file.startswith("~"):  # the loader reads `~` as the home folder when there is one
        try:
            home_path(file)
        except NoHomeError as exc:  # SQLite would make a folder named '~' in the working folder
            raise problem(f"names a SQLite file: {exc}") from None
    return url


def _stripped(value: object) -> object:
    """A URL or host without the white space around it: one read from a secret file ends in a newline, one pasted into
    `.env` may start with a space, and SQLAlchemy would take either into the file's or the database's name."""
    return value.strip() if isinstance(value, str) else value


TimeZoneName = Annotated[str, AfterValidator(_time_zone)]
Day = Annotated[date, BeforeValidator(_day)]
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
Host = Annotated[str, _Stripped, AfterValidator(named_host)]  # the mail server's
ListeningHost = Annotated[str, _Stripped, AfterValidator(listening_host)]
# A feed's address is its key in the database: read without the space or newline around it (migration 0018 moved
# the state kept under an untrimmed one).
Address = Annotated[str, _Stripped, AfterValidator(lambda url: without_login(_given(url)))]
DatabaseUrl = Annotated[str, BeforeValidator(_stripped), AfterValidator(_database_url)]  # no white space around it
Port = Annotated[int, Field(ge=1, le=65535)]
# A day at most: a socket refuses inf, and a timeout past what a platform's time_t holds (1e300) at run time.
Seconds = Annotated[float, Field(ge=0.001, le=86_400)]
# A number of rows a command or page reads (the feeds' items, a digest's top papers): SQLite takes no count past
# 2**63 - 1, and a count a reader or reviewer could not go through is a typo; refused before it fails a query.
Count = Annotated[int, Field(ge=0, le=100_000)]
