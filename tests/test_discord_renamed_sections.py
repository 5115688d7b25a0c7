"""A candidate's Discord message named its suggested section as the list had it when the message was posted or last
edited: a heading renamed or taken out since (`digest list import`, a publish's pull of the list) left pending
messages naming a section the list no longer has, and ✅'s hint wrong, until their next edit. Within a background
round the messages whose suggestion the change touched now show it as the list has it; the others are not edited."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from alembic import command

from digest.cli import main
from digest.config import Settings
from digest.service.wiring import open_service_database
from digest.storage.db import Database, alembic_config
from tests.fake_discord import FakeDiscord
from tests.test_discord_bot import eventually, last_embed, posted_candidate, row, running
from tests.test_list_cli import repeated_probing
from tests.test_suggested_sections_now import suggested_field


def imported(data_dir: Path, tmp_path: Path, edit: Callable[[str], str]) -> None:
    """The maintainers' path: the list exported, edited by hand, imported again."""
    exported = tmp_path / "list-edited.md"
    assert main(["--data-dir", str(data_dir), "list", "export", "-o", str(exported)]) == 0
    exported.write_text(edit(exported.read_text(encoding="utf-8")), encoding="utf-8")
    assert main(["--data-dir", str(data_dir), "list", "import", str(exported)]) == 0


def steering_heading(heading: str | None) -> Callable[[str], str]:
    """The list with its Steering heading renamed `heading` (None: taken out, its papers under the heading above)."""

    def edit(markdown: str) -> str:
        lines = markdown.split("\n")
        at = next(n for n, line in enumerate(lines) if line.startswith("### ") and "Steering" in line)
        lines[at : at + 1] = [] if heading is None else [f"### {heading}"]
        return "\n".join(lines)

    return edit


def edits(fake: FakeDiscord, mid: int) -> int:
    return len(fake.messages[mid].get("_edits", []))


@pytest.mark.asyncio
async def test_a_renamed_section_edits_the_pending_messages_that_suggest_it_and_no_other(
    fake: FakeDiscord, db: Database, bot_settings: Settings, data_dir: Path, tmp_path: Path
) -> None:
    assert data_dir == bot_settings.data_dir  # the command line works on the bot's database
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        steering, steering_mid = await posted_candidate(fake, db, bot, 0, suggested_section="Steering")
        _other, other_mid = await posted_candidate(fake, db, bot, 1)  # Sparse Autoencoder: no heading of it changes
        assert suggested_field(last_embed(fake, steering_mid)) == "Steering"
        untouched = edits(fake, other_mid)

        imported(data_dir, tmp_path, steering_heading("Activation Steering"))
        await eventually(lambda: suggested_field(last_embed(fake, steering_mid)) == "Activation Steering", "renamed")
        assert "✅ approve into Activation Steering · ❌ reject" in last_embed(fake, steering_mid)["footer"]["text"]

        imported(data_dir, tmp_path, steering_heading(None))
        gone = "Steering (no longer a section of the list)"
        await eventually(lambda: suggested_field(last_embed(fake, steering_mid)) == gone, "taken out")
        assert "✅" not in last_embed(fake, steering_mid)["footer"]["text"]
        settled = edits(fake, steering_mid)
        rounds = bot.sync_rounds
        await eventually(lambda: bot.sync_rounds >= rounds + 3, "three more background rounds")
        assert edits(fake, steering_mid) == settled  # shown once, not again each round
        assert edits(fake, other_mid) == untouched
        assert suggested_field(last_embed(fake, other_mid)) == "Sparse Autoencoder"
    assert row(db, steering).status == "pending"


@pytest.mark.asyncio
async def test_a_heading_repeated_while_the_bot_was_down_is_shown_at_its_next_start(
    fake: FakeDiscord, db: Database, bot_settings: Settings, data_dir: Path, tmp_path: Path
) -> None:
    async with running(bot_settings, db) as bot:
        _probing, probing_mid = await posted_candidate(fake, db, bot, 0, suggested_section="Probing")
        _other, other_mid = await posted_candidate(fake, db, bot, 1)
    assert "✅ approve into Probing ·" in last_embed(fake, probing_mid)["footer"]["text"]
    untouched = edits(fake, other_mid)

    imported(data_dir, tmp_path, lambda markdown: repeated_probing(markdown, "Probing", "2024"))
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        sharing = "Probing (2 sections have this name: Probing (Papers), Probing (2024))"
        await eventually(lambda: suggested_field(last_embed(fake, probing_mid)) == sharing, "the names shared")
        assert "✅" not in last_embed(fake, probing_mid)["footer"]["text"]
        rounds = bot.sync_rounds
        await eventually(lambda: bot.sync_rounds >= rounds + 3, "three more background rounds")
    assert edits(fake, other_mid) == untouched


@pytest.mark.asyncio
async def test_after_the_upgrade_only_messages_of_a_section_renamed_before_it_are_edited(
    fake: FakeDiscord, db: Database, bot_settings: Settings, data_dir: Path, tmp_path: Path
) -> None:
    """Messages posted by the release before have no record of what they show of their suggestion: they are taken to
    show it as the model named it, so the first start edits only those the list names otherwise now."""
    async with running(bot_settings, db) as bot:
        _steering, steering_mid = await posted_candidate(fake, db, bot, 0, suggested_section="Steering")
        _other, other_mid = await posted_candidate(fake, db, bot, 1)
    untouched = edits(fake, other_mid)
    imported(data_dir, tmp_path, steering_heading("Activation Steering"))
    command.downgrade(alembic_config(db.engine), "0024")  # the database as the release before left it
    upgraded = open_service_database(bot_settings)
    try:
        async with running(bot_settings, upgraded, sync_interval=0.05) as bot:
            await eventually(lambda: suggested_field(last_embed(fake, steering_mid)) == "Activation Steering", "shown")
            rounds = bot.sync_rounds
            await eventually(lambda: bot.sync_rounds >= rounds + 3, "three more background rounds")
    finally:
        upgraded.dispose()
    assert edits(fake, other_mid) == untouched
