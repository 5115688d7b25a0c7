"""The tables of the settings file, each setting declared once: its name, type, default, limits and meaning.

Values a table may not hold alone (a Discord token without a channel) are checked by the table's own validator.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationInfo, field_validator, model_validator

from digest.config.crontab import crontab
from digest.config.declarations import from_environment
from digest.config.paths import PathValue
from digest.config.problems import problem
from digest.config.section_emojis import DEFAULT_SECTION_EMOJIS, section_emoji_problems
from digest.config.values import (
    Address,
    Count,
    Day,
    DiscordApiAddress,
    DiscordId,
    GatewayAddress,
    ListeningHost,
    Network,
    Port,
    Seconds,
    TimeZoneName,
    WebAddress,
    on_this_machine,
    trimmed_secret,
)
from digest.config.web_address import address_url, unreachable_links
from digest.text import has_invisible

# TOML has arrays, not tuples: a list field accepts one (its items keep the strict type).
Strings = Annotated[tuple[str, ...], Field(strict=False)]


class Section(BaseModel):
    """One table: immutable, strict about types (a "3" is not 3), and no key it does not know."""

    model_config = ConfigDict(frozen=True, strict=True, extra="forbid")

    @classmethod
    def checked_crontab(cls, expression: str, info: ValidationInfo) -> str:
        """For a field validator: a crontab line APScheduler accepts (a field left at its default is not parsed)."""
        return crontab(expression, cls.model_fields[info.field_name or ""].default)


# config.example.toml's contact: an address nobody reads, so it is never sent to arXiv (config check and the service
# say so once).
PLACEHOLDER_CONTACT = "awesome-digest-maintainers@example.org"
# arXiv's terms of use: no more than one request every three seconds, to any of its hosts.
ARXIV_MIN_INTERVAL = 3.0
# The poll and its retry need two a day; a schedule above this asks arxiv.org for the same feed again and again.
MAX_POLLS_A_DAY = 4


def on_arxiv(address: str) -> bool:
    """Whether an address is on arxiv.org (export.arxiv.org, rss.arxiv.org, ...); a local path is not."""
    host = (urlsplit(address.strip()).hostname or "").rstrip(".")
    return host == "arxiv.org" or host.endswith(".arxiv.org")


def _header_part(value: str, written: str, when_empty: str) -> str:
    """A setting that goes into the User-Agent of every request to arXiv (the contact, the agent itself): a newline in
    it would start a header of its own, and an empty one names nobody. Trimmed of the spaces around it."""
    if has_invisible(value):
        raise problem(f"holds a control character (a newline, a tab, ...): write {written} on one line")
    if not value.strip():
        raise problem(f"is empty: {when_empty}")
    return value.strip()


class ArxivSettings(Section):
    contact: str = Field(PLACEHOLDER_CONTACT, description="who arXiv may write to")
    user_agent: str = Field("awesome-digest/0.1 (+https://github.com/awesome-digest/awesome-digest)")
    min_interval_seconds: float = Field(
        3.0, ge=0, le=3600, description="the pause between requests (3 for arxiv.org); inf would hang every poll"
    )
    timeout_seconds: Seconds = 30.0
    max_retries: int = Field(4, ge=0, le=20)  # 20: hours of back-off, 10 min apart at most; more held a poll for days
    # arXiv's daily feed of one category runs to megabytes: under 1 MiB (20 written for 20 MB) every poll fails. An
    # answer is held in memory whole: past 1 GiB is no limit, and past 2**63 a read of a file failed with a traceback.
    max_response_bytes: int = Field(20 * 1024 * 1024, ge=1024 * 1024, le=1024 * 1024 * 1024)
    poll_cron: str = Field("30 0 * * mon-fri", description="when to poll, in poll_timezone")
    retry_cron: str = Field("0 6 * * mon-fri", description="when to poll again after a broken answer")
    poll_timezone: TimeZoneName = "America/New_York"
    sources: Annotated[tuple[Address, ...], Field(strict=False)] = Field(
        (), description="overrides feeds/sources.toml (URLs or paths): a mirror, a test server"
    )
    api_url: Address = Field("https://export.arxiv.org/api/query", description="backfill and abstracts of added papers")
    holidays: Annotated[tuple[Day, ...], Field(strict=False)] = Field(
        (), description="weekdays arXiv announces nothing besides New Year, Thanksgiving and Christmas (its schedule)"
    )

    @field_validator("poll_cron", "retry_cron")
    @classmethod
    def _crontab(cls, expression: str, info: ValidationInfo) -> str:
        return cls.checked_crontab(expression, info)

    @field_validator("contact")
    @classmethod
    def _one_address(cls, contact: str) -> str:
        return _header_part(
            contact, "one address", 'write the address arXiv can write to, e.g. contact = "you@your-lab.org"'
        )

    @field_validator("user_agent")
    @classmethod
    def _one_line_agent(cls, user_agent: str) -> str:
        return _header_part(user_agent, "it", "arXiv asks each client to name itself; leave it out for the default")

    @property
    def contact_is_placeholder(self) -> bool:
        return self.contact.strip().casefold() == PLACEHOLDER_CONTACT

    @property
    def contact_warning(self) -> str | None:
        """The one line `digest config check` and the service's start say when arXiv is given no one to write to."""
        if not self.contact_is_placeholder:
            return None
        return (
            f"arxiv.contact is the example's {PLACEHOLDER_CONTACT}: requests to arXiv name no contact; set [arxiv] "
            "contact to an address arXiv can write to"
        )

    def impolite_to(self, addresses: Sequence[str], named: str) -> None:
        """Refuses a pause under 3 s when one of `addresses` (named so in the line) is on arxiv.org. (A schedule
        polling it more often than the announcement needs is not refused: config.poll_schedule keeps it to that.)"""
        found = next((address for address in addresses if on_arxiv(address)), None)
        if found is not None and self.min_interval_seconds < ARXIV_MIN_INTERVAL:
            raise problem(
                f"arxiv.min_interval_seconds must be at least 3 for arxiv.org (arXiv's terms of use): {named} "
                f"{found} is on arxiv.org"
            )

    @model_validator(mode="after")
    def _polite_to_arxiv(self) -> ArxivSettings:
        """One rule for every request to arXiv: the feeds and the API (backfill, `digest add`, /suggest, the list's
        abstracts) go through the one spaced client. The feeds of feeds/sources.toml (when `sources` is empty) are
        checked with the settings that name that folder (Settings)."""
        self.impolite_to(self.sources, "sources")
        self.impolite_to([self.api_url], "api_url")
        return self


class DiscordSettings(Section):
    token: SecretStr | None = from_environment("DISCORD_TOKEN", "the bot's token; Discord review is off without")
    guild_id: DiscordId | None = None
    channel_id: DiscordId | None = Field(None, description="where candidates are posted")
    maintainer_role_ids: Annotated[tuple[DiscordId, ...], Field(strict=False)] = ()
    maintainer_user_ids: Annotated[tuple[DiscordId, ...], Field(strict=False)] = ()
    section_emojis: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_SECTION_EMOJIS))
    api_base: DiscordApiAddress = "https://discord.com/api/v10"
    gateway_url: GatewayAddress = "wss://gateway.discord.gg/"
    post_cap_per_run: int = Field(10, ge=1, le=100_000)  # as a Count, from 1: at 0 Discord is on and posts nothing

    @field_validator("token", mode="before")
    @classmethod
    def _without_surrounding_space(cls, value: object) -> object:
        """As the web's secrets: a token of spaces only is not set (Discord is off, and says so), not a token that
        switches Discord on to be refused when the bot signs in."""
        return trimmed_secret(value)

    @field_validator("section_emojis")
    @classmethod
    def _emojis_told_apart(cls, emojis: dict[str, str]) -> dict[str, str]:
        problems = section_emoji_problems(emojis)
        if problems:
            raise problem("\n".join(problems))
        return emojis

    @property
    def enabled(self) -> bool:
        return bool(self.token)

    @model_validator(mode="after")
    def _usable(self) -> DiscordSettings:
        problems = []
        if self.enabled and self.channel_id is None:
            problems.append("discord.channel_id is required when DISCORD_TOKEN is set")
        if self.enabled and not self.maintainer_role_ids and not self.maintainer_user_ids:
            problems.append("discord: set maintainer_role_ids or maintainer_user_ids, or nobody can approve in Discord")
        if problems:
            raise problem("\n".join(problems))
        return self


class WebSettings(Section):
    host: ListeningHost = "127.0.0.1"
    port: Port = 8080
    base_url: WebAddress = Field(
        "http://127.0.0.1:8080", description="the address people use: links in feeds and emails (default host:port)"
    )
    approval_link_days: int = Field(
        14, ge=1, le=3650, description="days approval links work at least: an email's so long, the feed's up to 1.5x"
    )
    feed_items: int = Field(50, ge=1, le=100_000)  # as a Count, from 1
    suggestions_per_hour: int = Field(
        30, ge=1, description="reader suggestions on /suggest an hour from all addresses together; past it, paused"
    )
    trusted_proxies: Annotated[tuple[Network, ...], Field(strict=False)] = Field(
        (), description='reverse proxies whose X-Forwarded-For names the client, e.g. ["127.0.0.1"]'
    )

    @property
    def cleartext_warning(self) -> str | None:
        """The one line `digest config check` and the service's start say when the pages are offered to other
        machines over plain http: signing in, the session and the approval links would cross the network readable."""
        if not self.base_url.startswith("http://") or on_this_machine(self.base_url):
            return None
        return (
            f"web.base_url {self.base_url} is plain http: the admin token at sign-in, the session cookie (not marked "
            "Secure) and the approval links in feeds and emails cross the network unencrypted; put a TLS reverse "
            "proxy in front and set base_url to its https:// address"
        )

    @property
    def unreachable_links(self) -> str | None:
        return unreachable_links(self.host, self.base_url)

    @model_validator(mode="before")
    @classmethod
    def _base_url_from_address(cls, data: Any) -> Any:
        if isinstance(data, dict) and "base_url" not in data and ("host" in data or "port" in data):
            host = str(data.get("host", "127.0.0.1")).strip()  # as the field reads it (Host)
            return {**data, "base_url": address_url(host, data.get("port", 8080))}
        return data


class WeeklySettings(Section):
    cron: str = Field("0 8 * * mon", description="when the weekly digest is made, in the top-level timezone")
    out_dir: PathValue | None = Field(None, description="default: <data dir>/weekly")
    send_quiet_week: bool = True
    list_unsubscribe: str | None = None
    pending_top: Count = 5
    second_tier_top: Count = 40
    retry_base_minutes: int = Field(30, ge=0)

    @field_validator("cron")
    @classmethod
    def _crontab(cls, expression: str, info: ValidationInfo) -> str:
        return cls.checked_crontab(expression, info)
