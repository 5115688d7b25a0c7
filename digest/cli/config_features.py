"""What is on and off in a configuration (Discord, email, publishing, the web, the database, secrets, the feeds polled,
the schedule), and how to switch each on: the second half of `digest config check`'s report. Reads the settings (and
the feeds folder's sources.toml) only."""

from __future__ import annotations

from dataclasses import dataclass

from digest.config.poll_schedule import poll_schedule
from digest.config.settings import Settings
from digest.sizes import counted


@dataclass
class Feature:
    name: str
    on: bool
    detail: str
    how: str = ""


def features_of(settings: Settings, database_note: str = "") -> list[Feature]:
    """What is on and off, for people setting the service up; `database_note` is said under the database's line."""
    from digest.storage.failures import shown_database_url

    database = shown_database_url(settings.database_url)
    polls = poll_schedule(settings)  # the announcement's own when the configured one asks arxiv.org too often
    return [
        discord_feature(settings),
        email_feature(settings),
        publish_feature(settings),
        web_feature(settings),
        Feature("database", True, database, database_note),
        Feature("data folder", True, str(settings.data_dir.resolve())),
        Feature("secrets", True, secrets_detail(settings)),
        Feature("feeds", True, feeds_detail(settings)),
        Feature(
            "schedule",
            True,
            f"polls arXiv at {polls.poll_cron!r} ({polls.timezone}),"
            f" weekly digest at {settings.weekly.cron!r} ({settings.timezone})",
        ),
    ]


def discord_feature(settings: Settings) -> Feature:
    discord = settings.discord
    if discord.enabled:
        roles, users = len(discord.maintainer_role_ids), len(discord.maintainer_user_ids)
        who = f"{counted(roles, 'maintainer role')}, {counted(users, 'user')}"
        return Feature("discord", True, f"candidates go to channel {discord.channel_id}; {who}")
    return Feature(
        "discord",
        False,
        "maintainers review in the web page and the private feed only",
        "set DISCORD_TOKEN in the environment and [discord] channel_id and maintainer_role_ids or maintainer_user_ids",
    )


def email_feature(settings: Settings) -> Feature:
    smtp = settings.smtp
    if smtp.enabled:
        who = f"readers' edition to {counted(len(smtp.recipients), 'recipient')}"
        who += f", maintainers' edition to {len(smtp.maintainer_recipients)}"
        return Feature("email", True, f"via {smtp.host}:{smtp.port} ({smtp.security}); {who}")
    return Feature(
        "email",
        False,
        f"the weekly digest is only written to {settings.weekly_dir}",
        "set [smtp] host and recipients (and SMTP_PASSWORD in the environment if the server needs a login)",
    )


def publish_feature(settings: Settings) -> Feature:
    """Publishing to the list's git repository: where it commits, and with which credential (never its value)."""
    from digest.config.publish import is_local_path

    publish = settings.publish
    if not publish.enabled or publish.repository is None:
        return Feature(
            "publish",
            False,
            f"approvals change the list here only ({settings.list_markdown_path}, the pages and feeds)",
            "set [publish] repository in the config (and DIGEST_GIT_TOKEN or DIGEST_GIT_SSH_KEY in the environment)",
        )
    repository = publish.repository
    where = f"{publish.path} of {repository} to branch {publish.branch} ({publish.mode} mode)"
    over_https = repository.startswith(("https://", "http://"))
    if publish.token and (over_https or publish.mode == "pull-request"):  # the forge's API takes it in any mode
        return Feature("publish", True, f"{where}; token from DIGEST_GIT_TOKEN")
    if publish.token and not publish.ssh_key:
        unsent = "DIGEST_GIT_TOKEN goes with an https:// address alone: set publish.repository to it, or give"
        return Feature("publish", True, where, f"{unsent} DIGEST_GIT_SSH_KEY for ssh")
    if publish.ssh_key and not over_https:
        return Feature("publish", True, f"{where}; ssh key {publish.ssh_key} from DIGEST_GIT_SSH_KEY")
    if publish.ssh_key:
        unsent = "DIGEST_GIT_SSH_KEY goes with an ssh address alone: set publish.repository to it, or give"
        return Feature("publish", True, where, f"{unsent} DIGEST_GIT_TOKEN for https")
    local = is_local_path(repository) or repository.startswith("file://")
    how = (
        ""
        if local
        else "no DIGEST_GIT_TOKEN or DIGEST_GIT_SSH_KEY set: git uses what your own git setup offers "
        "(a credential helper, an ssh agent), and a push it cannot authenticate fails"
    )
    return Feature("publish", True, where, how)


def web_feature(settings: Settings) -> Feature:
    web = settings.web
    local = web.host in ("127.0.0.1", "localhost", "::1")
    return Feature(
        "web",
        True,
        f"listening on {web.host}:{web.port}; links in feeds and emails use {web.base_url}",
        'only this machine can connect: set [web] host = "0.0.0.0" and base_url to serve others' if local else "",
    )


def feeds_detail(settings: Settings) -> str:
    """What the polls read and the keyword rules they keep papers by: a list of one's own sees here whether they are
    its own or still the bundled list's."""
    from digest.arxiv.poll_sources import sources_spoken_for
    from digest.config.feeds import SOURCES_FILE

    sources = sources_spoken_for(settings)  # none when the file cannot be read: a problem said below
    named = "[arxiv] sources" if settings.arxiv.sources else str(settings.feeds_dir / SOURCES_FILE)
    shown = ", ".join(sources[:4]) + (f" and {len(sources) - 4} more" if len(sources) > 4 else "")
    polled = f"{counted(len(sources), 'source')} from {named}" + (f": {shown}" if sources else "")
    return f"polls {polled}; keyword rules in {settings.feeds_dir / 'rules.toml'}"


def secrets_detail(settings: Settings) -> str:
    """How many secrets come from the environment, where the others are kept, and who has a named admin token."""
    from digest.config.admin_tokens import parse_admin_tokens

    stored = settings.data_dir / "secrets.json"
    chosen = (settings.secrets.secret_key, settings.secrets.admin_token, settings.secrets.feed_token)
    from_environment = [secret for secret in chosen if secret]
    detail = f"{len(from_environment)} of 3 from the environment"
    if len(from_environment) < len(chosen):  # with all three set, nothing is generated nor read from the file
        detail += f"; the others are generated once and kept in {stored}"
    if settings.secrets.admin_tokens:  # already checked when the settings were read
        named = parse_admin_tokens(settings.secrets.admin_tokens.get_secret_value())
        names = ", ".join(token.name for token in named)
        detail += f"; named admin tokens for {names}"
    return detail
