"""What maintainers and the operator are told when the bot cannot do what was asked: a reaction the Reviewer
refuses, a channel the bot cannot post in or see, a role the server does not have, a message it may not edit. The
real discord.py client against the fake Discord on 127.0.0.1 and a real SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from digest.config import Settings
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from tests.conftest import make_settings
from tests.fake_discord import BOT_ID, MAINTAINER, FakeDiscord
from tests.test_discord_bot import eventually, last_embed, posted_candidate, row, running


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    yield server
    await server.close()


@pytest.fixture
def bot_settings(tmp_path: Path, fake: FakeDiscord) -> Settings:
    return make_settings(tmp_path / "data", fake.config_toml(post_cap=3), {"DISCORD_TOKEN": "fake-token"})


@pytest.fixture
def db(bot_settings: Settings) -> Iterator[Database]:
    database = open_service_database(bot_settings)
    yield database
    database.dispose()


@pytest.mark.asyncio
@pytest.mark.parametrize("suggested", ["Sparse Autoencoders (old name)", None], ids=["renamed", "none"])
async def test_a_check_mark_that_cannot_approve_is_answered_on_the_message_and_left_out_of_the_legend(
    fake: FakeDiscord, db: Database, bot_settings: Settings, suggested: str | None
) -> None:
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0, suggested_section=suggested)
        footer = last_embed(fake, mid)["footer"]["text"]
        assert "✅" not in footer and "❌ reject" in footer and "🧩 Sparse Autoencoder" in footer
        assert fake.reactors(mid, "✅") == [] and fake.reactors(mid, "❌") == [BOT_ID]
        await fake.react(mid, MAINTAINER, "✅")
        await eventually(lambda: "Couldn't approve" in last_embed(fake, mid)["description"], "the refusal shown")
        assert "react with a section emoji" in last_embed(fake, mid)["description"].splitlines()[0]
        assert row(db, candidate_id).status == "pending"
        await fake.react(mid, MAINTAINER, "🧩")
        await eventually(lambda: "Approved by ann" in last_embed(fake, mid)["description"], "approved by emoji")
    assert "Couldn't" not in last_embed(fake, mid)["description"]
    assert all(body.get("allowed_mentions") == {"parse": []} for body in fake.messages[mid]["_edits"])
