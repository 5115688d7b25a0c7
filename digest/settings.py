"""Typed settings: behaviour from a TOML file, secrets from the environment (and `.env`).

Nothing here is read at import time; `load_settings` builds one immutable `Settings` that is passed in.
Every problem found in a configuration is collected, so `digest config check` can report them all at once.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digest import resources
from digest.toml_reader import TableReader, cron_problem, read_toml, table

DEFAULT_SECTION_EMOJIS: dict[str, str] = {
    "Surveys": "📚",
    "Input-level Attribution": "🎯",
    "Sparse Autoencoder": "🧩",
    "Probing": "🔍",
    "Beyond or Logit Lens": "🔭",
    "Causal Tracing": "🧪",
    "Neuron Analysis": "🧠",
    "Steering": "🕹️",
    "Representation": "🗺️",
    "Attention": "👀",
    "Tool": "🛠️",
}


class ConfigError(Exception):
    """A configuration with one or more problems; `problems` lists each as one line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ArxivSettings:
    contact: str = "awesome-digest-maintainers@example.org"
    user_agent: str = "awesome-digest/0.1 (+https://github.com/awesome-digest/awesome-digest)"
    min_interval_seconds: float = 3.0
    timeout_seconds: float = 30.0
    max_retries: int = 4
    max_response_bytes: int = 20 * 1024 * 1024
    poll_cron: str = "30 0 * * mon-fri"
    retry_cron: str = "0 6 * * mon-fri"
    poll_timezone: str = "America/New_York"
    # Overrides the sources in feeds/*.toml (URLs or paths), e.g. to point at a mirror or a test server.
    sources: tuple[str, ...] = ()
    # The arXiv API endpoint (backfill, abstracts of list papers added later); a test server in tests.
    api_url: str = "https://export.arxiv.org/api/query"


@dataclass(frozen=True)
class DiscordSettings:
    token: str | None = None
    guild_id: int | None = None
    channel_id: int | None = None
    maintainer_role_ids: tuple[int, ...] = ()
    maintainer_user_ids: tuple[int, ...] = ()
    section_emojis: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_SECTION_EMOJIS))
    api_base: str = "https://discord.com/api/v10"
    gateway_url: str = "wss://gateway.discord.gg/"
    post_cap_per_run: int = 10

    @property
    def enabled(self) -> bool:
        return bool(self.token)


@dataclass(frozen=True)
class WebSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    # The address readers and maintainers use; links in feeds and emails are built from it.
    base_url: str = "http://127.0.0.1:8080"
    approval_link_days: int = 14
    feed_items: int = 50
    # Reverse proxies (addresses or networks) whose X-Forwarded-For names the client, e.g. ("127.0.0.1",).
    trusted_proxies: tuple[str, ...] = ()


@dataclass(frozen=True)
class SmtpSettings:
    host: str | None = None
    port: int = 587
    security: str = "starttls"  # starttls | tls | none
    username: str | None = None
    password: str | None = None
    sender: str = "awesome-digest@localhost"
    recipients: tuple[str, ...] = ()
    timeout_seconds: float = 30.0

    @property
    def enabled(self) -> bool:
        return bool(self.host and self.recipients)


@dataclass(frozen=True)
class WeeklySettings:
    cron: str = "0 8 * * mon"
    out_dir: Path | None = None  # default: <data dir>/weekly
    send_quiet_week: bool = True
    list_unsubscribe: str | None = None
    pending_top: int = 5
    second_tier_top: int = 40
    retry_base_minutes: int = 30


@dataclass(frozen=True)
class RelevanceSettings:
    """The review budget: `daily_budget` candidates on a day of `papers_per_day` papers (held as that share of the
    stream), `second_tier_per_week` more for the weekly digest, fitted on the last `calibration_window` papers."""

    daily_budget: float = 7.0
    papers_per_day: float = 1500.0
    second_tier_per_week: float = 40.0
    calibration_window: int = 6000


@dataclass(frozen=True)
class PublishSettings:
    """The list's git repository: where approvals are committed and hand edits come back from. Off without one."""

    repository: str | None = None
    branch: str = "main"
    path: str = "README.md"
    mode: str = "commit"  # commit | pull-request
    author: str = "awesome-digest <awesome-digest@localhost>"
    batch_seconds: float = 60.0
    api_url: str = "https://api.github.com"
    token: str | None = field(default=None, repr=False)  # DIGEST_GIT_TOKEN, https only
    ssh_key: str | None = None  # DIGEST_GIT_SSH_KEY, a private key file for ssh:// and git@ URLs

    @property
    def enabled(self) -> bool:
        return bool(self.repository)


@dataclass(frozen=True)
class Secrets:
    secret_key: str | None = None
    admin_token: str | None = None
    feed_token: str | None = None
    admin_tokens: str | None = field(default=None, repr=False)  # DIGEST_ADMIN_TOKENS: name:token,... (admin_tokens.py)


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    config_path: Path | None = None
    feeds_dir: Path = field(default_factory=resources.feeds_dir)
    templates_dir: Path = field(default_factory=resources.templates_dir)
    seed_list: Path = field(default_factory=resources.seed_list_path)
    list_title: str = "Awesome LMMs Mechanistic Interpretability"
    timezone: str = "UTC"
    log_format: str = "text"  # text | json
    log_level: str = "INFO"
    arxiv: ArxivSettings = field(default_factory=ArxivSettings)
    discord: DiscordSettings = field(default_factory=DiscordSettings)
    web: WebSettings = field(default_factory=WebSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    weekly: WeeklySettings = field(default_factory=WeeklySettings)
    relevance: RelevanceSettings = field(default_factory=RelevanceSettings)
    publish: PublishSettings = field(default_factory=PublishSettings)
    secrets: Secrets = field(default_factory=Secrets)

    @property
    def list_markdown_path(self) -> Path:
        """Where the regenerated list Markdown is written after every change."""
        return self.data_dir / "list.md"

    @property
    def weekly_dir(self) -> Path:
        return self.weekly.out_dir or self.data_dir / "weekly"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def default_database_url(data_dir: Path) -> str:
    return f"sqlite:///{(data_dir / 'digest.sqlite3').resolve()}"


def _value_problems(
    explicit_paths: dict[str, Path],
    arxiv: ArxivSettings,
    discord: DiscordSettings,
    web: WebSettings,
    smtp: SmtpSettings,
    weekly: WeeklySettings,
) -> list[str]:
    """Values of the right type that still cannot work: missing files, impossible numbers, malformed addresses."""
    problems = [f"{key} {path} does not exist" for key, path in explicit_paths.items() if not path.exists()]
    try:
        ZoneInfo(arxiv.poll_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"arxiv.poll_timezone {arxiv.poll_timezone!r} is not a known IANA time zone")
    minimums: tuple[tuple[str, float, float], ...] = (
        ("arxiv.timeout_seconds", arxiv.timeout_seconds, 0.001),
        ("arxiv.min_interval_seconds", arxiv.min_interval_seconds, 0),
        ("arxiv.max_retries", arxiv.max_retries, 0),
        ("arxiv.max_response_bytes", arxiv.max_response_bytes, 1),
        ("discord.post_cap_per_run", discord.post_cap_per_run, 0),
        ("web.approval_link_days", web.approval_link_days, 1),
        ("web.feed_items", web.feed_items, 1),
        ("smtp.timeout_seconds", smtp.timeout_seconds, 0.001),
        ("weekly.pending_top", weekly.pending_top, 0),
        ("weekly.second_tier_top", weekly.second_tier_top, 0),
        ("weekly.retry_base_minutes", weekly.retry_base_minutes, 0),
    )
    problems += [f"{name} must be at least {low:g}, not {value!r}" for name, value, low in minimums if value < low]
    if not web.base_url.startswith(("http://", "https://")):
        problems.append(f"web.base_url must start with http:// or https://, not {web.base_url!r}")
    if not 0 < smtp.port < 65536:
        problems.append(f"smtp.port must be between 1 and 65535, not {smtp.port}")
    problems += [
        f"{name} {address!r} is not an email address"
        for name, address in [("smtp.sender", smtp.sender)] + [("smtp.recipients", r) for r in smtp.recipients]
        if "@" not in address.strip("@")
    ]
    return problems


def _publish_settings(tables: dict[str, Any], environ: Mapping[str, str], problems: list[str]) -> PublishSettings:
    p = TableReader(table(tables, "publish", problems), "publish.", problems)
    publish = PublishSettings(
        repository=p.text("repository", None) or None,
        branch=p.text("branch", PublishSettings.branch),
        path=p.text("path", PublishSettings.path),
        mode=p.choice("mode", PublishSettings.mode, ("commit", "pull-request")),
        author=p.text("author", PublishSettings.author),
        batch_seconds=p.number("batch_seconds", PublishSettings.batch_seconds),
        api_url=p.text("api_url", PublishSettings.api_url).rstrip("/"),
        token=environ.get("DIGEST_GIT_TOKEN") or None,
        ssh_key=environ.get("DIGEST_GIT_SSH_KEY") or None,
    )
    p.finish()
    problems.extend(publish_problems(publish))
    return publish


def publish_problems(publish: PublishSettings) -> list[str]:
    """[publish] values that cannot work; a URL carrying a password is refused so it is never written to disk."""
    problems = []
    address = urlsplit(publish.repository or "")
    if address.scheme in ("http", "https") and (address.username or address.password):
        problems.append("publish.repository must not hold a user or token: put the token in DIGEST_GIT_TOKEN")
    if publish.mode == "pull-request" and publish.enabled:
        problems.extend(pull_request_problems(publish))
    if publish.batch_seconds < 0:
        problems.append(f"publish.batch_seconds must be at least 0, not {publish.batch_seconds!r}")
    parts = PurePosixPath(publish.path).parts
    if not parts or publish.path.startswith("/") or ".." in parts or parts[0] == ".git":
        problems.append(f"publish.path must be a file inside the repository, not {publish.path!r}")
    if not re.fullmatch(r"[^<>\n]+ <[^<>@\s]+@[^<>\s]+>", publish.author):
        problems.append(f'publish.author must look like "Name <email@example.org>", not {publish.author!r}')
    if not re.fullmatch(r"[A-Za-z0-9._/-]+", publish.branch) or ".." in publish.branch:
        problems.append(f"publish.branch {publish.branch!r} is not a usable branch name")
    if publish.ssh_key and not Path(publish.ssh_key).is_file():
        problems.append(f"DIGEST_GIT_SSH_KEY names {publish.ssh_key}, which is not a file")
    return problems


def pull_request_problems(publish: PublishSettings) -> list[str]:
    """Pull-request mode needs the forge's API, a token for it, and an owner/name in the repository URL."""
    problems = []
    if not publish.token:
        problems.append(
            'publish.mode "pull-request" needs DIGEST_GIT_TOKEN in the environment: a token that may push to the '
            "repository and open pull requests"
        )
    if urlsplit(publish.api_url).scheme not in ("https", "http") or not urlsplit(publish.api_url).hostname:
        problems.append(f"publish.api_url must be an https:// address, not {publish.api_url!r}")
    if repository_slug(publish.repository or "") is None:
        problems.append("publish.repository must end in owner/name for the forge's API in pull-request mode")
    return problems


_SCP_LIKE = re.compile(r"^[^/@:\s]+@[^/:\s]+:(?P<path>.+)$")  # git@github.com:owner/name.git


def repository_slug(url: str) -> tuple[str, str] | None:
    """(owner, name) from the repository's URL, https, ssh or scp-like; None when it names none."""
    scp = _SCP_LIKE.match(url)
    path = scp.group("path") if scp and "://" not in url else urlsplit(url).path
    parts = [part for part in path.split("/") if part]
    if len(parts) < 2 or not parts[-1].removesuffix(".git"):
        return None
    return parts[-2], parts[-1].removesuffix(".git")


def load_settings(
    config_path: Path | None = None,
    data_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
    load_dotenv_file: bool = True,
) -> Settings:
    """Builds Settings from an optional TOML file and the environment; raises ConfigError with every problem."""
    if environ is None:
        if load_dotenv_file:
            from dotenv import load_dotenv

            load_dotenv(Path.cwd() / ".env", override=False)
        environ = os.environ
    problems: list[str] = []

    if config_path is None and environ.get("DIGEST_CONFIG"):
        config_path = Path(environ["DIGEST_CONFIG"])
    raw: dict[str, Any] = read_toml(config_path, problems) if config_path else {}

    top = TableReader({k: v for k, v in raw.items() if not isinstance(v, dict)}, "", problems)
    tables = {k: v for k, v in raw.items() if isinstance(v, dict)}

    data_dir_text = top.text("data_dir", None)
    if data_dir is None:
        data_dir = Path(environ.get("DIGEST_DATA_DIR") or data_dir_text or "./data")
    data_dir = data_dir.expanduser()
    database_url = environ.get("DIGEST_DATABASE_URL") or top.text("database_url", None)
    database_url = database_url or default_database_url(data_dir)

    feeds_dir = Path(top.text("feeds_dir", str(resources.feeds_dir())))
    templates_dir = Path(top.text("templates_dir", str(resources.templates_dir())))
    seed_list = Path(top.text("seed_list", str(resources.seed_list_path())))
    list_title = top.text("list_title", Settings.list_title)
    timezone = top.text("timezone", "UTC")
    log_format = top.choice("log_format", "text", ("text", "json"))
    log_level = top.choice("log_level", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"))
    top.finish()
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"timezone {timezone!r} is not a known IANA time zone (e.g. Europe/Berlin)")
        timezone = "UTC"

    a = TableReader(table(tables, "arxiv", problems), "arxiv.", problems)
    arxiv = ArxivSettings(
        contact=a.text("contact", ArxivSettings.contact),
        user_agent=a.text("user_agent", ArxivSettings.user_agent),
        min_interval_seconds=a.number("min_interval_seconds", ArxivSettings.min_interval_seconds),
        timeout_seconds=a.number("timeout_seconds", ArxivSettings.timeout_seconds),
        max_retries=a.integer("max_retries", ArxivSettings.max_retries),
        max_response_bytes=a.integer("max_response_bytes", ArxivSettings.max_response_bytes),
        poll_cron=a.text("poll_cron", ArxivSettings.poll_cron),
        retry_cron=a.text("retry_cron", ArxivSettings.retry_cron),
        poll_timezone=a.text("poll_timezone", ArxivSettings.poll_timezone),
        sources=a.strings("sources"),
        api_url=a.text("api_url", ArxivSettings.api_url),
    )
    a.finish()
    if arxiv.min_interval_seconds < 3.0 and "arxiv.org" in " ".join(arxiv.sources or ("arxiv.org",)):
        problems.append("arxiv.min_interval_seconds must be at least 3 for arxiv.org (arXiv's terms of use)")

    d = TableReader(table(tables, "discord", problems), "discord.", problems)
    emojis_raw = d._get("section_emojis", dict, None)
    section_emojis = dict(DEFAULT_SECTION_EMOJIS)
    if emojis_raw is not None:
        section_emojis = {str(k): str(v) for k, v in emojis_raw.items()}
    discord = DiscordSettings(
        token=environ.get("DISCORD_TOKEN") or None,
        guild_id=d.optional_id("guild_id"),
        channel_id=d.optional_id("channel_id"),
        maintainer_role_ids=d.ids("maintainer_role_ids"),
        maintainer_user_ids=d.ids("maintainer_user_ids"),
        section_emojis=section_emojis,
        api_base=d.text("api_base", DiscordSettings.api_base).rstrip("/"),
        gateway_url=d.text("gateway_url", DiscordSettings.gateway_url),
        post_cap_per_run=d.integer("post_cap_per_run", DiscordSettings.post_cap_per_run),
    )
    d.finish()
    if discord.enabled:
        if discord.channel_id is None:
            problems.append("discord.channel_id is required when DISCORD_TOKEN is set")
        if not discord.maintainer_role_ids and not discord.maintainer_user_ids:
            problems.append("discord: set maintainer_role_ids or maintainer_user_ids, or nobody can approve in Discord")

    w = TableReader(table(tables, "web", problems), "web.", problems)
    host = w.text("host", WebSettings.host)
    port = w.integer("port", WebSettings.port)
    web = WebSettings(
        host=host,
        port=port,
        base_url=w.text("base_url", f"http://{host}:{port}").rstrip("/"),
        approval_link_days=w.integer("approval_link_days", WebSettings.approval_link_days),
        feed_items=w.integer("feed_items", WebSettings.feed_items),
        trusted_proxies=w.strings("trusted_proxies"),
    )
    w.finish()
    if not 0 < web.port < 65536:
        problems.append(f"web.port must be between 1 and 65535, not {web.port}")
    for proxy in web.trusted_proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            problems.append(f'web.trusted_proxies: {proxy!r} is not an IP address or network (e.g. "10.0.0.0/8")')

    s = TableReader(table(tables, "smtp", problems), "smtp.", problems)
    smtp = SmtpSettings(
        host=s.text("host", None),
        port=s.integer("port", SmtpSettings.port),
        security=s.choice("security", "starttls", ("starttls", "tls", "none")),
        username=s.text("username", None),
        password=environ.get("SMTP_PASSWORD") or None,
        sender=s.text("sender", SmtpSettings.sender),
        recipients=s.strings("recipients"),
        timeout_seconds=s.number("timeout_seconds", SmtpSettings.timeout_seconds),
    )
    s.finish()
    if smtp.host and not smtp.recipients:
        problems.append("smtp.recipients is empty: the weekly digest email would go to nobody")
    if smtp.username and not smtp.password:
        problems.append("smtp.username is set but SMTP_PASSWORD is not in the environment")

    k = TableReader(table(tables, "weekly", problems), "weekly.", problems)
    out_dir = k.text("out_dir", None)
    weekly = WeeklySettings(
        cron=k.text("cron", WeeklySettings.cron),
        out_dir=Path(out_dir) if out_dir else None,
        send_quiet_week=k.flag("send_quiet_week", WeeklySettings.send_quiet_week),
        list_unsubscribe=k.text("list_unsubscribe", None),
        pending_top=k.integer("pending_top", WeeklySettings.pending_top),
        second_tier_top=k.integer("second_tier_top", WeeklySettings.second_tier_top),
        retry_base_minutes=k.integer("retry_base_minutes", WeeklySettings.retry_base_minutes),
    )
    k.finish()

    r = TableReader(table(tables, "relevance", problems), "relevance.", problems)
    relevance = RelevanceSettings(
        daily_budget=r.number("daily_budget", RelevanceSettings.daily_budget),
        papers_per_day=r.number("papers_per_day", RelevanceSettings.papers_per_day),
        second_tier_per_week=r.number("second_tier_per_week", RelevanceSettings.second_tier_per_week),
        calibration_window=r.integer("calibration_window", RelevanceSettings.calibration_window),
    )
    r.finish()
    problems += [
        f"relevance.{name} must be at least {low:g}, not {value!r}"
        for name, value, low in (
            ("daily_budget", relevance.daily_budget, 0.01),
            ("papers_per_day", relevance.papers_per_day, 1),
            ("second_tier_per_week", relevance.second_tier_per_week, 0),
            ("calibration_window", relevance.calibration_window, 100),
        )
        if value < low
    ]

    publish = _publish_settings(tables, environ, problems)

    for name, expression, default in (
        ("arxiv.poll_cron", arxiv.poll_cron, ArxivSettings.poll_cron),
        ("arxiv.retry_cron", arxiv.retry_cron, ArxivSettings.retry_cron),
        ("weekly.cron", weekly.cron, WeeklySettings.cron),
    ):
        # The built-in defaults are valid (tests/test_cli_speed.py parses them), so only expressions a user set are
        # parsed here: APScheduler's import is not paid at every command's start.
        problem = None if expression == default else cron_problem(name, expression)
        if problem:
            problems.append(problem)
    for key in tables:
        problems.append(f"unknown table [{key}]")

    secrets = Secrets(
        secret_key=environ.get("DIGEST_SECRET_KEY") or None,
        admin_token=environ.get("DIGEST_ADMIN_TOKEN") or None,
        feed_token=environ.get("DIGEST_FEED_TOKEN") or None,
        admin_tokens=environ.get("DIGEST_ADMIN_TOKENS") or None,
    )
    explicit_paths = {
        key: path
        for key, path in (("feeds_dir", feeds_dir), ("templates_dir", templates_dir), ("seed_list", seed_list))
        if isinstance(raw.get(key), str)
    }
    problems.extend(_value_problems(explicit_paths, arxiv, discord, web, smtp, weekly))
    if problems:
        raise ConfigError(problems)
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        config_path=config_path,
        feeds_dir=feeds_dir,
        templates_dir=templates_dir,
        seed_list=seed_list,
        list_title=list_title,
        timezone=timezone,
        log_format=log_format,
        log_level=log_level,
        arxiv=arxiv,
        discord=discord,
        web=web,
        smtp=smtp,
        weekly=weekly,
        relevance=relevance,
        publish=publish,
        secrets=secrets,
    )
