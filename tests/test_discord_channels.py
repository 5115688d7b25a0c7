"""The review bot over months, with decisions made in several places: reactions of members who were not maintainers
then, a config whose section emojis change, a reaction against a decision made on the web or the CLI, a post whose
process was killed before it was recorded, and what each restart says. The real discord.py client against the fake
Discord on 127.0.0.1 and a real SQLite file."""

from __future__ import annotations

import logging

import pytest

from digest.config import Settings
from digest.storage.db import Database
from tests.fake_discord import GUILD_ID, MAINTAINER, FakeDiscord
from tests.factories import real_papers
from tests.test_discord_bot import decision_count, eventually, last_embed, list_md, posted_candidate, row, running


@pytest.mark.asyncio
async def test_an_add_made_before_the_upgrade_is_logged_about_once_not_at_every_restart(
    fake: FakeDiscord, db: Database, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """An /add approval recorded before schema 0015 (it cannot be told from a reaction) is kept at each catching up,
    and each restart in the following 14 days logged the same "decided before the upgrade" line again for it."""
    from alembic import command

    from digest.storage.db import alembic_config

    paper = real_papers()[0]
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
        await eventually(lambda: GUILD_ID in fake.commands, "commands registered")
        token = await fake.use_command(MAINTAINER, "add", {"paper": paper["arxiv_id"], "section": "Probing"})
        await eventually(lambda: len(fake.answers(token)) >= 1, "the bot answered")
        await eventually(lambda: "Approved by ann into Probing" in last_embed(fake, mid)["description"], "shown")
    command.downgrade(alembic_config(db.engine), "0014")
    command.upgrade(alembic_config(db.engine), "head")
    with caplog.at_level(logging.INFO, logger="digest.discord"):
        for _restart in range(3):
            async with running(bot_settings, db):
                pass
    said = [r.getMessage() for r in caplog.records if "decided before the upgrade" in r.getMessage()]
    assert len(said) == 1, said
    assert (row(db, candidate_id).status, row(db, candidate_id).decided_section) == ("approved", "Probing")
    assert paper["arxiv_id"] in list_md(bot_settings) and decision_count(db) == 1
