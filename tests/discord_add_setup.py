"""The set-up `/add`'s tests share: a loopback arXiv API serving the real recorded answer, the bot's settings and
database, what /add may change, the one answer a member sees, settings on a seed list with an edited heading, the
bot running once /add is registered, and the section choices /add offers."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from digest.config import Settings
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from digest.storage.models import Candidate, Decision, Entry
from tests.add_command import API_PATH, HEAT_BATH, recorded
from tests.arxiv_server import ArxivServer
from tests.conftest import make_settings
from tests.discord_bot import eventually, running
from tests.fake_discord import GUILD_ID, MAINTAINER, FakeDiscord

HEAT_BATH_LINK = "[Heat-bath random walks with Markov bases](https://arxiv.org/abs/1605.08386)"


@pytest_asyncio.fixture(name="arxiv")
async def arxiv_api() -> AsyncIterator[ArxivServer]:
    async with ArxivServer() as server:
        server.program(API_PATH, recorded(HEAT_BATH))
        yield server


@pytest.fixture(name="bot_settings")
def settings_for_the_bot(tmp_path: Path, fake: FakeDiscord, arxiv: ArxivServer) -> Settings:
    config = fake.config_toml() + (
        f'[arxiv]\nsources = ["{arxiv.url("/rss/unused")}"]\napi_url = "{arxiv.url(API_PATH)}"\n'
        "min_interval_seconds = 0\nmax_retries = 0\n"
    )
    return make_settings(tmp_path / "data", config, {"DISCORD_TOKEN": "fake-token"})


@pytest.fixture(name="db")
def bot_database(bot_settings: Settings) -> Iterator[Database]:
    database = open_service_database(bot_settings)
    yield database
    database.dispose()


def state(database: Database, settings: Settings) -> tuple[Any, ...]:
    """What /add may change: candidates, decisions, entries and the list's Markdown."""
    with database.reading() as session:
        counts = tuple(session.scalar(select(func.count()).select_from(m)) for m in (Candidate, Decision, Entry))
    return (*counts, settings.list_markdown_path.read_bytes())


# /add's answer comes after "thinking…" (at once), once the paper is fetched (the arXiv client gives up after its
# timeout_seconds, 30 s by default) and scored by the relevance model, which the first add after a decision builds
# again: about 2 s of CPU, 13 s or more of the clock at the suite's load (~12 on two cores). A maintainer shown
# "thinking…" waits that minute; Discord keeps the interaction open for 15.
ADD_ANSWER_SECONDS = 60.0


async def answer(fake: FakeDiscord, token: str) -> str:
    """The one message the member sees for this interaction."""
    await eventually(lambda: len(fake.answers(token)) >= 1, "the bot answered", within=ADD_ANSWER_SECONDS)
    (text,) = fake.answers(token)
    return text


def seeded_with(
    fake: FakeDiscord, arxiv: ArxivServer, tmp_path: Path, edit: Callable[[str], str]
) -> tuple[Path, Settings]:
    """Settings for the bot on a seed list whose Probing heading line is replaced by `edit(heading)`, with arXiv's API
    on the local server: the seed file and the settings."""
    from digest import resources

    seed = tmp_path / "seed.md"
    text, count = re.subn(r"(?m)^###.* Probing$", lambda m: edit(m[0]), resources.seed_list_path().read_text("utf-8"))
    assert count == 1
    seed.write_text(text, encoding="utf-8")
    config = f'seed_list = "{seed}"\n' + fake.config_toml() + f'[arxiv]\napi_url = "{arxiv.url(API_PATH)}"\n'
    return seed, make_settings(tmp_path / "data", config, {"DISCORD_TOKEN": "fake-token"})


@asynccontextmanager
async def add_registered(fake: FakeDiscord, settings: Settings) -> AsyncIterator[Database]:
    """The bot running on the settings' database once its commands are registered in the guild; disposed of after."""
    database = open_service_database(settings)
    try:
        async with running(settings, database):
            await eventually(lambda: GUILD_ID in fake.commands, "commands registered")
            yield database
    finally:
        database.dispose()


async def offered(fake: FakeDiscord, typed: dict[str, str]) -> list[dict[str, Any]]:
    """The section choices /add offers the maintainer who typed `typed` into its section option."""
    token = await fake.use_command(MAINTAINER, "add", typed, focused="section")
    await eventually(lambda: bool(fake.answer_bodies(token)), "choices offered")
    return list(fake.answer_bodies(token)[0]["choices"])


async def sections_named(fake: FakeDiscord) -> str:
    """/add's answer to the maintainer who named a section the list has not: it names the list's sections."""
    return await answer(fake, await fake.use_command(MAINTAINER, "add", {"paper": "1605.08386", "section": "Nowhere"}))
