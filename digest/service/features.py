"""The running service's features that can be off (the web server, the Discord bot, publishing, the weekly email): the
web server, and the one line each says in the log, on or off, and for one that is off what switches it on."""

from __future__ import annotations

import logging
import time
from typing import Any

from digest import health
from digest.config import Settings
from digest.review.reviewer import Reviewer
from digest.sizes import counted
from digest.storage.db import Database
from digest.web.listening import bind_web_address, close_all

log = logging.getLogger("digest.service")


class WebServer:
    """The service's web server. Its address is bound first, before the start writes anything (a port another process
    holds stops it with the data folder as it was: listening.bind_web_address); it serves once the parts it shows are
    up."""

    def __init__(self, settings: Settings) -> None:
        self.sockets = bind_web_address(settings.web.host, settings.web.port)
        self.runner: Any = None

    async def serve(self, settings: Settings, database: Database, reviewer: Reviewer, started: float) -> None:
        """Serves on the bound address and says where, and how long since `started` (time.monotonic()) it took.
        `settings`: the service's, with the secrets it read (or generated) at start: without them the pages read the
        secrets file again, and the log said where the secrets are twice."""
        # The web server, the bot, publishing and the weekly mail are imported when switched on or due: a
        # service without them keeps their libraries out of its memory (bench/bench_service.py).
        from digest.web import app as web

        app = web.create_web_app(settings, database, reviewer)
        self.runner = await web.serve(app, settings.web.host, settings.web.port, self.sockets)
        log.info(
            "web: serving the list on %s/ (review at /review, public feed at /feeds/list.xml) in %.1f s",
            settings.web.base_url,
            time.monotonic() - started,
        )
        for warning in (settings.web.cleartext_warning, settings.web.unreachable_links):
            if warning:
                log.warning("web: %s", warning)

    async def close(self) -> None:
        """Stops listening at once; a request in flight gets the service's grace (web.app.REQUEST_GRACE_SECONDS)."""
        if self.runner is not None:
            await self.runner.cleanup()
        close_all(self.sockets)  # a start that stopped before serving still held the address


def discord_is_off(settings: Settings) -> bool:
    """Whether the bot is off; when it is, the log and /healthz say so (the bot says "discord: on" itself)."""
    if settings.discord.enabled:
        return False
    log.info(
        "discord: off (to switch it on set DISCORD_TOKEN in the environment, and [discord] channel_id "
        "and maintainer_role_ids or maintainer_user_ids in the config)"
    )
    health.report("discord", True, "off: DISCORD_TOKEN is not set")
    return True


def report_section_reactions(settings: Settings, database: Database) -> None:
    """With the bot on, one warning naming the list's sections no [discord.section_emojis] reaction files into (an
    empty table: all of them)."""
    from digest.awesome.labelled import labelled_sections
    from digest.awesome.sectionnames import unnamed_sections
    from digest.config.section_emojis import no_reactions_warning, without_reaction_warning

    if not settings.discord.enabled:
        return
    if not settings.discord.section_emojis:
        log.warning("discord: %s", no_reactions_warning())
        return
    with database.reading() as session:
        labelled = [(section.name, section.slug, label) for section, label in labelled_sections(session)]
    sections = [(name, slug) for name, slug, _ in labelled]
    unreached = unnamed_sections(settings.discord.section_emojis, sections, [label for *_, label in labelled])
    if unreached:
        log.warning("discord: %s", without_reaction_warning(unreached))


def publishing_is_off(settings: Settings) -> bool:
    """Whether publishing is off; when it is, the log says so."""
    if settings.publish.enabled:
        return False
    log.info("publish: off (set [publish] repository to commit approvals to the list's git repository)")
    return True


def report_publishing(settings: Settings) -> None:
    """The line for publishing once it started: where it commits, and how."""
    publish = settings.publish
    log.info(
        "publish: on, %s of %s to branch %s (%s mode)",
        publish.path,
        publish.repository,
        publish.branch,
        publish.mode,
    )


def report_email(settings: Settings) -> None:
    """The weekly email's line: on, with its editions' recipients, or off (the Markdown digest is written anyway)."""
    smtp = settings.smtp
    if smtp.enabled:
        log.info(
            "email: on, the weekly digest's readers' edition to %s, maintainers' edition to %d%s",
            counted(len(smtp.recipients), "recipient"),
            len(smtp.maintainer_recipients),
            "" if smtp.maintainer_recipients else " (set [smtp] maintainer_recipients; it is only written)",
        )
    else:
        log.info("email: off (set [smtp] host and recipients to switch it on); the Markdown digest is still written")
