"""A candidate's Discord message named its suggested section as the list had it when the message was posted or last
edited: a heading renamed or taken out since (`digest list import`, a publish's pull of the list) left pending
messages naming a section the list no longer has, and ✅'s hint wrong, until their next edit. Within a background
round the messages whose suggestion the change touched now show it as the list has it, the bot's ✅ under them only
while ✅ approves into a section; the others only when their legend offers a section emoji otherwise, once."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from alembic import command

from digest.cli import main
from digest.config import Settings
from digest.service.wiring import open_service_database
from digest.storage.db import Database, alembic_config
from tests.discord_bot import (
    decision_count,
    edits,
    eventually,
    last_embed,
    list_md,
    posted_candidate,
    row,
    running,
    section_of,
)
from tests.fake_discord import BOT_ID, MAINTAINER, STRANGER, FakeDiscord
from tests.gone_heading import approve_refused_while_gone, exported_list
from tests.list_edits import activation_headings, imported, repeated_probing, steering_heading
from tests.suggested_sections import suggested_field


def reaction_calls(fake: FakeDiscord, mid: int) -> int:
    """The bot's requests adding or taking off a reaction of its own on the message."""
    return sum(len(fake.requests(method, f"/messages/{mid}/reactions/")) for method in ("PUT", "DELETE"))


@pytest.mark.asyncio
async def test_a_renamed_section_edits_the_pending_messages_that_suggest_it_and_the_others_legend_once(
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
        renamed = "🕹️ Activation Steering · "
        await eventually(lambda: renamed in last_embed(fake, other_mid)["footer"]["text"], "the other's legend")

        imported(data_dir, tmp_path, steering_heading(None))
        gone = "Steering (not a section of the list)"
        await eventually(lambda: suggested_field(last_embed(fake, steering_mid)) == gone, "taken out")
        assert "✅" not in last_embed(fake, steering_mid)["footer"]["text"]
        settled = edits(fake, steering_mid)
        rounds = bot.sync_rounds
        await eventually(lambda: bot.sync_rounds >= rounds + 3, "three more background rounds")
        assert edits(fake, steering_mid) == settled  # shown once, not again each round
        assert edits(fake, other_mid) == untouched + 2  # its legend's 🕹️, renamed then gone: once each
        assert suggested_field(last_embed(fake, other_mid)) == "Sparse Autoencoder"
        assert "🕹️" not in last_embed(fake, other_mid)["footer"]["text"]
    assert row(db, steering).status == "pending"


@pytest.mark.asyncio
async def test_a_heading_repeated_while_the_bot_was_down_is_shown_at_its_next_start(
    fake: FakeDiscord, db: Database, bot_settings: Settings, data_dir: Path, tmp_path: Path
) -> None:
    async with running(bot_settings, db) as bot:
        _probing, probing_mid = await posted_candidate(fake, db, bot, 0, suggested_section="Probing")
        _other, other_mid = await posted_candidate(fake, db, bot, 1)
    assert "✅ approve into Probing ·" in last_embed(fake, probing_mid)["footer"]["text"]
    assert fake.reactors(probing_mid, "✅") == [BOT_ID]
    untouched, unreacted = edits(fake, other_mid), reaction_calls(fake, other_mid)

    imported(data_dir, tmp_path, lambda markdown: repeated_probing(markdown, "Probing", "2024"))
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        sharing = "Probing (2 sections have this name: Probing (Papers), Probing (2024))"
        await eventually(lambda: suggested_field(last_embed(fake, probing_mid)) == sharing, "the names shared")
        assert "✅" not in last_embed(fake, probing_mid)["footer"]["text"]
        await eventually(lambda: not fake.reactors(probing_mid, "✅"), "the bot's ✅ taken off")
        rounds = bot.sync_rounds
        await eventually(lambda: bot.sync_rounds >= rounds + 3, "three more background rounds")
    assert fake.reactors(probing_mid, "❌") == [BOT_ID] and not fake.reactors(probing_mid, "✅")
    assert edits(fake, other_mid) == untouched + 1  # its legend's 🔍, which approves into no one section now
    assert "🔍" not in last_embed(fake, other_mid)["footer"]["text"] and reaction_calls(fake, other_mid) == unreacted


@pytest.mark.asyncio
async def test_after_the_upgrade_only_messages_showing_a_section_renamed_before_it_are_edited(
    fake: FakeDiscord, db: Database, bot_settings: Settings, data_dir: Path, tmp_path: Path
) -> None:
    """Messages posted by the release before have no record of what they show of their suggestion or legend: they are
    taken to show them as the model and the config named them, so the first start edits only those the list names
    otherwise now (here each one's legend offers 🕹️ Steering), once."""
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
    assert edits(fake, other_mid) == untouched + 1
    assert "🕹️ Activation Steering · " in last_embed(fake, other_mid)["footer"]["text"]


@pytest.mark.asyncio
async def test_the_bots_approve_reaction_follows_whether_approving_as_suggested_can_land(
    fake: FakeDiscord, db: Database, bot_settings: Settings, data_dir: Path, tmp_path: Path
) -> None:
    """A suggestion no longer meaning one section kept the bot's ✅ under a message saying ✅ approves nowhere, and one
    meaning a section again had no ✅ until a repost: the bot's own ✅ now follows the message, and no one else's."""
    original = tmp_path / "list-original.md"
    assert main(["--data-dir", str(data_dir), "list", "export", "-o", str(original)]) == 0
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        steering, steering_mid = await posted_candidate(fake, db, bot, 0, suggested_section="Steering")
        _other, other_mid = await posted_candidate(fake, db, bot, 1)
        await fake.react(steering_mid, STRANGER, "✅")  # no maintainer's: it decides nothing, and it is not the bot's
        assert set(fake.reactors(steering_mid, "✅")) == {BOT_ID, STRANGER.id}
        untouched = reaction_calls(fake, other_mid)

        imported(data_dir, tmp_path, steering_heading(None))
        await eventually(lambda: BOT_ID not in fake.reactors(steering_mid, "✅"), "the bot's ✅ taken off")
        assert "✅" not in last_embed(fake, steering_mid)["footer"]["text"]
        assert fake.reactors(steering_mid, "✅") == [STRANGER.id] and fake.reactors(steering_mid, "❌") == [BOT_ID]
        await fake.react(steering_mid, MAINTAINER, "✅")  # added by hand all the same: refused, saying why
        await eventually(lambda: "Couldn't approve" in last_embed(fake, steering_mid)["description"], "the refusal")
        assert "no section named 'Steering'" in last_embed(fake, steering_mid)["description"].replace("\\", "")
        await fake.unreact(steering_mid, MAINTAINER, "✅")  # caught up on: the message's reactions read again
        await eventually(lambda: bool(fake.requests("GET", f"/messages/{steering_mid}/reactions/")), "read again")

        assert main(["--data-dir", str(data_dir), "list", "import", str(original)]) == 0  # the heading put back
        await eventually(lambda: BOT_ID in fake.reactors(steering_mid, "✅"), "the bot's ✅ added back")
        assert "✅ approve into Steering · ❌ reject" in last_embed(fake, steering_mid)["footer"]["text"]
        assert set(fake.reactors(steering_mid, "✅")) == {BOT_ID, STRANGER.id}
        settled = reaction_calls(fake, steering_mid)
        rounds = bot.sync_rounds
        await eventually(lambda: bot.sync_rounds >= rounds + 3, "three more background rounds")
        assert reaction_calls(fake, steering_mid) == settled  # added once, not again each round
        assert reaction_calls(fake, other_mid) == untouched  # its suggestion did not change: not a call for it
        assert fake.reactors(other_mid, "✅") == [BOT_ID] and fake.reactors(other_mid, "❌") == [BOT_ID]
    assert row(db, steering).status == "pending"


@pytest.mark.asyncio
async def test_the_bots_approve_reaction_discord_failed_to_take_off_is_taken_off_at_a_later_round(
    fake: FakeDiscord, db: Database, bot_settings: Settings, data_dir: Path, tmp_path: Path
) -> None:
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        _steering, steering_mid = await posted_candidate(fake, db, bot, 0, suggested_section="Steering")
        fake.refuse("DELETE", f"/messages/{steering_mid}/reactions/", 503, 0, "Service Unavailable", times=1)
        imported(data_dir, tmp_path, steering_heading(None))
        await eventually(lambda: not fake.reactors(steering_mid, "✅"), "the bot's ✅ taken off after all")
        assert len(fake.requests("DELETE", f"/messages/{steering_mid}/reactions/")) == 2
        assert "✅" not in last_embed(fake, steering_mid)["footer"]["text"]


@pytest.mark.asyncio
async def test_a_maintainers_approve_refused_while_the_heading_was_gone_lands_once_it_is_back(
    fake: FakeDiscord, db: Database, bot_settings: Settings, data_dir: Path, tmp_path: Path
) -> None:
    """A maintainer's ✅ refused for want of the section stayed unapplied once the heading came back, until a restart
    replayed it: the round that offers ✅ again now reads the message's reactions as a restart does."""
    original = exported_list(data_dir, tmp_path)
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        steering, steering_mid = await approve_refused_while_gone(
            fake, db, bot, data_dir, tmp_path, rejected_first=False
        )
        assert row(db, steering).status == "pending"

        assert main(["--data-dir", str(data_dir), "list", "import", str(original)]) == 0  # the heading put back
        await eventually(lambda: row(db, steering).status == "approved", "the maintainer's ✅ applied")
        approved = "Approved by ann into Steering"
        await eventually(lambda: approved in last_embed(fake, steering_mid)["description"], "the approval shown")
        assert "Couldn't approve" not in last_embed(fake, steering_mid)["description"]
        assert set(fake.reactors(steering_mid, "✅")) == {BOT_ID, MAINTAINER.id}
    decided = row(db, steering)
    assert (decided.decided_by, decided.decided_section) == ("ann", "Steering")
    assert decided.title in section_of(list_md(bot_settings), "Steering")
    decisions = decision_count(db)
    async with running(bot_settings, db) as bot:  # a restart finds nothing more to do: both paths agree
        pass
    assert decision_count(db) == decisions and row(db, steering).status == "approved"


@pytest.mark.asyncio
async def test_the_bots_approve_reaction_discord_failed_to_take_off_a_decided_message_is_taken_off_later(
    fake: FakeDiscord,
    db: Database,
    bot_settings: Settings,
    data_dir: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Only pending messages were tried again: a decided one kept the bot's ✅ for good under a log saying 'trying
    again'. The removal itself is now tried again after the back-off, whatever the candidate's status."""
    async with running(bot_settings, db) as bot:
        steering, steering_mid = await posted_candidate(fake, db, bot, 0, suggested_section="Steering")
    imported(data_dir, tmp_path, steering_heading(None))  # while the bot is down: its next start edits the message
    assert main(["--data-dir", str(data_dir), "reject", str(steering)]) == 0
    fake.refuse("DELETE", f"/messages/{steering_mid}/reactions/", 503, 0, "Service Unavailable", times=1)
    caplog.set_level(logging.INFO, logger="digest.discord")
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        await eventually(lambda: "Rejected by" in last_embed(fake, steering_mid)["description"], "the rejection shown")
        await eventually(lambda: not fake.reactors(steering_mid, "✅"), "the bot's ✅ taken off after all")
        rounds = bot.sync_rounds
        await eventually(lambda: bot.sync_rounds >= rounds + 3, "three more background rounds")
    said = f"could not take the bot's ✅ off candidate {steering}'s message, which no longer offers it (trying again in"
    assert said in caplog.text
    assert len(fake.requests("DELETE", f"/messages/{steering_mid}/reactions/")) == 2
    assert fake.reactors(steering_mid, "❌") == [BOT_ID] and row(db, steering).status == "rejected"


@pytest.mark.asyncio
async def test_a_heading_back_while_discord_fails_to_take_the_bots_approve_off_is_shown(
    fake: FakeDiscord, db: Database, bot_settings: Settings, data_dir: Path, tmp_path: Path
) -> None:
    """The message went on saying the section was gone once it was back, while Discord failed to take the ✅ off: what
    it shows is recorded with the edit, the ✅ alone tried again, and not once ✅ approves again."""
    original = tmp_path / "list-original.md"
    assert main(["--data-dir", str(data_dir), "list", "export", "-o", str(original)]) == 0
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        _steering, steering_mid = await posted_candidate(fake, db, bot, 0, suggested_section="Steering")
        fake.refuse("DELETE", f"/messages/{steering_mid}/reactions/", 503, 0, "Service Unavailable")
        imported(data_dir, tmp_path, steering_heading(None))
        await eventually(lambda: len(fake.requests("DELETE", f"/messages/{steering_mid}/reactions/")) >= 2, "tried")
        assert main(["--data-dir", str(data_dir), "list", "import", str(original)]) == 0
        await eventually(lambda: suggested_field(last_embed(fake, steering_mid)) == "Steering", "the heading shown")
        assert "✅ approve into Steering · ❌ reject" in last_embed(fake, steering_mid)["footer"]["text"]
        tried = len(fake.requests("DELETE", f"/messages/{steering_mid}/reactions/"))
        rounds = bot.sync_rounds
        await eventually(lambda: bot.sync_rounds >= rounds + 5, "five more background rounds")
        assert len(fake.requests("DELETE", f"/messages/{steering_mid}/reactions/")) == tried
        assert fake.reactors(steering_mid, "✅") == [BOT_ID]


@pytest.mark.asyncio
async def test_the_legend_offers_each_section_emoji_by_the_lists_name_now_and_none_for_a_section_gone(
    fake: FakeDiscord, db: Database, bot_settings: Settings, data_dir: Path, tmp_path: Path
) -> None:
    """Once a maintainer renamed "Steering" and "Causal Tracing" by hand, the legend still offered "🕹️ Steering" (which
    approves into "Activation Steering") and "🧪 Causal Tracing", whose reaction approves nothing (refused on the
    message): each emoji is offered by the list's name now, and one whose section the list lacks is not offered."""
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        _steering, steering_mid = await posted_candidate(fake, db, bot, 0, suggested_section="Steering")
        assert "🕹️ Steering · " in last_embed(fake, steering_mid)["footer"]["text"]
        imported(data_dir, tmp_path, activation_headings)
        await eventually(lambda: suggested_field(last_embed(fake, steering_mid)) == "Activation Steering", "renamed")
        _other, other_mid = await posted_candidate(fake, db, bot, 1)
        for mid in (steering_mid, other_mid):
            legend = last_embed(fake, mid)["footer"]["text"]
            assert "🕹️ Activation Steering · " in legend and "🔍 Probing · " in legend
            assert "🧪" not in legend and "Causal Tracing" not in legend


@pytest.mark.asyncio
async def test_a_pending_message_the_rename_did_not_edit_offers_its_emojis_by_the_lists_names_now(
    fake: FakeDiscord, db: Database, bot_settings: Settings, data_dir: Path, tmp_path: Path
) -> None:
    """After "Steering" and "Causal Tracing" were renamed by `digest list import`, a pending message suggesting neither
    (not edited for its suggestion) still offered "🕹️ Steering" and "🧪 Causal Tracing", whose reaction was refused on
    it. Its legend follows the list, in one edit, not one each round."""
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        _other, mid = await posted_candidate(fake, db, bot, 1)  # Sparse Autoencoder: no heading of it changes
        assert "🕹️ Steering · " in last_embed(fake, mid)["footer"]["text"]
        before = edits(fake, mid)
        imported(data_dir, tmp_path, activation_headings)
        await eventually(lambda: "🕹️ Activation Steering · " in last_embed(fake, mid)["footer"]["text"], "the legend")
        rounds = bot.sync_rounds
        await eventually(lambda: bot.sync_rounds >= rounds + 3, "three more background rounds")
    legend = last_embed(fake, mid)["footer"]["text"]
    assert "🧪" not in legend and "Causal Tracing" not in legend and "🔍 Probing · " in legend
    assert suggested_field(last_embed(fake, mid)) == "Sparse Autoencoder" and edits(fake, mid) == before + 1
