"""The running service with the bot on (the real bot against the fake Discord) says at start, in one warning, which of
the list's sections no reaction of [discord.section_emojis] files a paper into (all of them, for an empty table)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from digest.service.process import Service
from tests.conftest import make_settings
from tests.fake_discord import FakeDiscord


async def start_warnings(fake: FakeDiscord, data: Path, caplog: pytest.LogCaptureFixture, table: str) -> list[str]:
    """The warnings of the service's start with the [discord.section_emojis] table `table` ("" for the default)."""
    settings = make_settings(data, fake.config_toml(extra=table), {"DISCORD_TOKEN": "fake-token"})
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="digest.service"):
        service = Service(settings)
        await service.start(schedule=False, serve_web=False)
        await service.stop()
    return [record.getMessage() for record in caplog.records if "discord.section_emojis" in record.getMessage()]


@pytest.mark.asyncio
async def test_the_start_names_the_sections_no_reaction_files_into(
    fake: FakeDiscord, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The bundled list's Blog section had no section emoji by default: no Discord reaction could file a paper into it,
    and nothing said so. The default now gives Blog its own (📝); a table of one's own that leaves sections out is
    named at start."""
    assert await start_warnings(fake, tmp_path / "data", caplog, "") == []
    table = '[discord.section_emojis]\n"Surveys" = "📚"\n"Sparse Autoencoder" = "🧩"\n"Tool" = "🛠️"\n'
    assert await start_warnings(fake, tmp_path / "data", caplog, table) == [
        "discord: discord.section_emojis gives no reaction to the list's sections Blog, Input-level Attribution, "
        "Probing, Beyond or Logit Lens, Causal Tracing, Steering, Representation, Neuron Analysis, Attention: no "
        'Discord reaction files a paper into them; add one line each under [discord.section_emojis], e.g. "Blog" = '
        '"<an emoji no other section has>"'
    ]


@pytest.mark.asyncio
async def test_the_start_says_an_empty_table_files_into_no_section(
    fake: FakeDiscord, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An empty [discord.section_emojis] (every line taken out to start a table of one's own) is read as no section
    reactions at all: the messages offered only ✅ and ❌, and the start said nothing. It now says so in one line, and
    how to have the default back."""
    assert await start_warnings(fake, tmp_path / "data", caplog, "[discord.section_emojis]\n") == [
        "discord: discord.section_emojis is an empty table: no Discord reaction files a paper into any section (only "
        "✅ into the suggested one); remove the table for the default emojis, or add one line per section"
    ]
