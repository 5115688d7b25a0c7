"""The review team changing over months: a maintainer whose role was taken away, or who left the server, and what
their reactions still mean. The real discord.py client against the fake Discord on 127.0.0.1 and a real SQLite file."""

from __future__ import annotations

import pytest

from digest.config import Settings
from digest.storage.db import Database
from tests.factories import real_papers
from tests.fake_discord import MAINTAINER, FakeDiscord
from tests.test_discord_bot import decision_count, last_embed, list_md, row, running
from tests.test_discord_recovery import approved_by_ann


@pytest.mark.asyncio
@pytest.mark.parametrize("gone", ["role taken away", "left the server"])
async def test_an_approval_by_a_maintainer_who_since_stepped_down_stands_after_a_restart(
    fake: FakeDiscord, db: Database, bot_settings: Settings, gone: str
) -> None:
    """Catching up read a former maintainer's ✅, still on the message, as taken back: a restart took every paper they
    had approved in the last two weeks out of the list."""
    paper = real_papers()[0]
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await approved_by_ann(fake, db, bot, 0)
    fake.leave(MAINTAINER, roles=None if gone == "left the server" else ())
    async with running(bot_settings, db):  # start() returns once caught up
        pass
    assert row(db, candidate_id).status == "approved"
    assert paper["arxiv_id"] in list_md(bot_settings)
    assert "Approved by ann" in last_embed(fake, mid)["description"]
    assert decision_count(db) == 1
