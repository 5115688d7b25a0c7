"""What the running service does outside the database besides the schedule: the Discord bot (it posts what waits)
and the publisher (it pushes). Each starts only when switched on, imported then; both stop when the database's lock
is lost (lock_watch) and start again when it is held again, and stop with the service."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from digest.config import Settings
from digest.review.reviewer import Reviewer
from digest.service import features
from digest.storage.db import Database

log = logging.getLogger("digest.service")  # the name its lines have always carried


class OutwardParts:
    def __init__(self) -> None:
        self.bot: Any = None
        self.publisher: Any = None

    async def start_bot(self, settings: Settings, database: Database, reviewer: Reviewer) -> None:
        if features.discord_is_off(settings):
            return
        from digest.discord.bot import ReviewBot  # imported when switched on (see features.WebServer.serve)

        self.bot = ReviewBot(settings, database, reviewer)
        await self.bot.start()  # the bot says "discord: on" itself once it is connected

    async def start_publisher(
        self, settings: Settings, database: Database, reviewer: Reviewer, clock: Callable[[], datetime]
    ) -> None:
        if features.publishing_is_off(settings):
            return
        from digest.publish.runner import PublishRunner  # imported when switched on (see features.WebServer.serve)

        self.publisher = PublishRunner(database, settings, clock)
        reviewer.add_listener(self.publisher.on_decision)
        await self.publisher.start()
        features.report_publishing(settings)

    async def pause(self, reviewer: Reviewer | None) -> None:
        """Stops the bot and the publisher, each deaf to the decisions meanwhile; both start again later."""
        if self.publisher is not None:
            if reviewer is not None:
                reviewer.remove_listener(self.publisher.on_decision)
            await self.publisher.stop()
            self.publisher = None
        if self.bot is not None:
            if reviewer is not None:
                reviewer.remove_listener(self.bot.on_decision)
            await self.bot.close()
            self.bot = None

    async def stop(self) -> None:
        """The service stops: the publisher and the bot with it."""
        if self.publisher is not None:
            await self.publisher.stop()
        if self.bot is not None:
            await self.bot.close()
            log.info("discord: logged out")
