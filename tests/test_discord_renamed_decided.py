"""An approved candidate's Discord message ("Approved by ann into Steering") kept the section name its decision
recorded after the heading was renamed, where the review page, `digest candidates` and the history say where the list
holds the paper now. Within a background round the messages naming a renamed section now say it as the list does; no
other message is edited, and the approved messages are read again only when the list's headings change."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from digest.cli import main
from digest.config import Settings
from digest.discord import decided
from digest.discord.bot import ReviewBot
from digest.review.queries import section_now
from digest.review.rules import SuggestedSection
from digest.service.wiring import open_service_database
from digest.storage.db import Database, alembic_config
from tests.discord_bot import edits, eventually, posted_candidate, rounds, row, running
from tests.fake_discord import BOT_ID, MAINTAINER, FakeDiscord
from tests.gone_heading import approval, approve_refused_while_gone, exported_list
from tests.list_edits import imported, moved, steering_heading


def review_page_section(db: Database, candidate_id: int) -> str | None:
    """The section the review page's card names for the decided candidate (review_page.section_now)."""
    with db.reading() as session:
        return section_now(session, row(db, candidate_id))


async def two_approved(fake: FakeDiscord, db: Database, bot: ReviewBot) -> tuple[int, int, int, int]:
    """Two candidates posted and approved by ann with ✅, one into Steering, the other into Sparse Autoencoder (no
    heading of which changes), both shown approved, then two more background rounds: (steering, its message, other,
    its message)."""
    steering, steering_mid = await posted_candidate(fake, db, bot, 0, suggested_section="Steering")
    other, other_mid = await posted_candidate(fake, db, bot, 1)
    for mid in (steering_mid, other_mid):
        await fake.react(mid, MAINTAINER, "✅")
    await eventually(lambda: approval(fake, steering_mid) == "Approved by ann into Steering", "approved")
    await eventually(lambda: approval(fake, other_mid) == "Approved by ann into Sparse Autoencoder", "approved")
    await rounds(bot, 2)
    return steering, steering_mid, other, other_mid


@pytest.mark.asyncio
async def test_a_renamed_heading_edits_the_approved_messages_naming_it_and_no_other(
    fake: FakeDiscord, db: Database, bot_settings: Settings, data_dir: Path, tmp_path: Path
) -> None:
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        steering, steering_mid, other, other_mid = await two_approved(fake, db, bot)
        untouched = edits(fake, other_mid)

        imported(data_dir, tmp_path, steering_heading("Activation Steering"))
        renamed = "Approved by ann into Activation Steering"
        await eventually(lambda: approval(fake, steering_mid) == renamed, "the renamed section shown")
        assert review_page_section(db, steering) == "Activation Steering"  # the review page's words
        settled = edits(fake, steering_mid)
        await rounds(bot, 3)
        assert edits(fake, steering_mid) == settled  # shown once, not again each round
        assert edits(fake, other_mid) == untouched
        assert approval(fake, other_mid) == "Approved by ann into Sparse Autoencoder"
    kept = row(db, steering)
    assert (kept.status, kept.decided_section) == ("approved", "Steering")  # the decision's record is as it was
    assert row(db, other).decided_section == "Sparse Autoencoder"


@pytest.mark.asyncio
async def test_after_the_upgrade_messages_approved_before_are_edited_a_bounded_few_a_round(
    fake: FakeDiscord,
    db: Database,
    bot_settings: Settings,
    data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Messages shown approved by the release before have no record of the section they name: they are taken to name
    the one the decision recorded, so the first start edits only those the list names otherwise now, one a round
    here, each once."""
    async with running(bot_settings, db) as bot:
        posted = [await posted_candidate(fake, db, bot, n, suggested_section="Steering") for n in range(3)]
        other, other_mid = await posted_candidate(fake, db, bot, 3)
        for _candidate, mid in [*posted, (other, other_mid)]:
            await fake.react(mid, MAINTAINER, "✅")
        await eventually(lambda: all(row(db, c).discord_shown_status == "approved" for c, _ in posted), "shown")
        await eventually(lambda: row(db, other).discord_shown_status == "approved", "shown")
    assert row(db, other).decided_section != "Steering"
    untouched = edits(fake, other_mid)
    imported(data_dir, tmp_path, steering_heading("Activation Steering"))
    command.downgrade(alembic_config(db.engine), "0025")  # the database as the release before left it
    monkeypatch.setattr(decided, "ROWS_PER_ROUND", 1)
    monkeypatch.setattr(decided, "EDITS_PER_ROUND", 1)
    upgraded = open_service_database(bot_settings)
    try:
        before = {mid: edits(fake, mid) for _candidate, mid in posted}
        async with running(bot_settings, upgraded, sync_interval=0.05) as bot:
            renamed = "Approved by ann into Activation Steering"
            await eventually(lambda: all(approval(fake, mid) == renamed for _c, mid in posted), "all shown")
            await rounds(bot, 3)
    finally:
        upgraded.dispose()
    assert all(edits(fake, mid) == before[mid] + 1 for _candidate, mid in posted)
    assert edits(fake, other_mid) == untouched


@pytest.mark.asyncio
async def test_an_approved_message_discord_failed_to_edit_for_a_rename_is_edited_later(
    fake: FakeDiscord, db: Database, bot_settings: Settings, data_dir: Path, tmp_path: Path
) -> None:
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        _steering, steering_mid = await posted_candidate(fake, db, bot, 0, suggested_section="Steering")
        await fake.react(steering_mid, MAINTAINER, "✅")
        await eventually(lambda: approval(fake, steering_mid) == "Approved by ann into Steering", "approved")
        tried = len(fake.requests("PATCH", f"/messages/{steering_mid}"))
        fake.refuse("PATCH", f"/messages/{steering_mid}", 503, 0, "Service Unavailable", times=2)
        imported(data_dir, tmp_path, steering_heading("Activation Steering"))
        renamed = "Approved by ann into Activation Steering"
        await eventually(lambda: approval(fake, steering_mid) == renamed, "shown after Discord failed it")
        await rounds(bot, 3)
    assert len(fake.requests("PATCH", f"/messages/{steering_mid}")) == tried + 3


@pytest.mark.asyncio
async def test_a_paper_moved_by_hand_edits_its_approved_message_to_name_where_the_list_holds_it(
    fake: FakeDiscord, db: Database, bot_settings: Settings, data_dir: Path, tmp_path: Path
) -> None:
    """A paper moved by hand into another section (no heading renamed) kept its message naming the section it was
    approved into; it now names where the list holds it, as `digest candidates` does, and no other is edited."""
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        steering, steering_mid, _other, other_mid = await two_approved(fake, db, bot)
        untouched = edits(fake, other_mid)

        imported(data_dir, tmp_path, moved(row(db, steering).arxiv_id, "Probing"))
        await eventually(lambda: approval(fake, steering_mid) == "Approved by ann into Probing", "the move shown")
        settled = edits(fake, steering_mid)
        await rounds(bot, 3)
        assert edits(fake, steering_mid) == settled  # shown once, not again each round
        assert edits(fake, other_mid) == untouched
    assert row(db, steering).decided_section == "Steering"  # the decision's record is as it was


@pytest.mark.asyncio
async def test_an_approve_refused_on_a_rejected_message_lands_once_its_heading_is_back(
    fake: FakeDiscord, db: Database, bot_settings: Settings, data_dir: Path, tmp_path: Path
) -> None:
    """A maintainer's ✅ refused on a decided message while its suggested heading was gone (the bot's ✅ taken off) was
    picked up only at a restart once the heading came back; it is now within a round, as on a pending message."""
    original = exported_list(data_dir, tmp_path)
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        steering, steering_mid = await approve_refused_while_gone(
            fake, db, bot, data_dir, tmp_path, rejected_first=True
        )
        assert row(db, steering).status == "rejected"

        assert main(["--data-dir", str(data_dir), "list", "import", str(original)]) == 0  # the heading put back
        await eventually(lambda: row(db, steering).status == "approved", "the maintainer's ✅ applied")
        await eventually(lambda: approval(fake, steering_mid) == "Approved by ann into Steering", "the approval shown")
        assert BOT_ID in fake.reactors(steering_mid, "✅")


async def refused_while_the_heading_is_gone(
    fake: FakeDiscord, db: Database, settings: Settings, data_dir: Path, tmp_path: Path
) -> tuple[int, int, Path]:
    """A message rejected by bob while its suggested heading is out of the list (the bot's ✅ taken off), then ann's ✅
    on it refused: its candidate, its message and the list as it was, to import to put the heading back."""
    original = exported_list(data_dir, tmp_path)
    async with running(settings, db, sync_interval=0.05) as bot:
        steering, steering_mid = await approve_refused_while_gone(
            fake, db, bot, data_dir, tmp_path, rejected_first=True
        )
    assert row(db, steering).status == "rejected"
    return steering, steering_mid, original


async def lands_once_the_heading_is_back(
    fake: FakeDiscord, db: Database, settings: Settings, data_dir: Path, candidate: tuple[int, int, Path]
) -> None:
    steering, steering_mid, original = candidate
    async with running(settings, db, sync_interval=0.05):
        assert main(["--data-dir", str(data_dir), "list", "import", str(original)]) == 0  # the heading put back
        await eventually(lambda: row(db, steering).status == "approved", "the maintainer's ✅ applied")
        await eventually(lambda: approval(fake, steering_mid) == "Approved by ann into Steering", "the approval shown")
    assert BOT_ID in fake.reactors(steering_mid, "✅")


@pytest.mark.asyncio
async def test_a_refused_approve_lands_whatever_the_wording_the_message_showed_its_gone_heading_in(
    fake: FakeDiscord,
    db: Database,
    bot_settings: Settings,
    data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Whether a decided message offered no ✅ was told from the two texts `SuggestedSection.shown` gives a gone or
    shared name: a message showing it in another version's words was taken to offer ✅, never edited when the heading
    came back, and ann's refused ✅ never landed. The bot now goes by what it recorded when it last edited the
    message."""
    candidate = await refused_while_the_heading_is_gone(fake, db, bot_settings, data_dir, tmp_path)

    def reworded(self: SuggestedSection) -> str:  # a later version's words for a name that approves into no section
        return self.label or f"{self.suggested} (not in the list now)"

    monkeypatch.setattr(SuggestedSection, "shown", reworded)
    await lands_once_the_heading_is_back(fake, db, bot_settings, data_dir, candidate)


@pytest.mark.asyncio
async def test_after_the_upgrade_a_refused_approve_on_a_message_offering_none_lands_once_its_heading_is_back(
    fake: FakeDiscord, db: Database, bot_settings: Settings, data_dir: Path, tmp_path: Path
) -> None:
    """Messages shown by the release before have no record of whether they offer ✅: the upgrade tells it from what
    they show, in that release's words."""
    candidate = await refused_while_the_heading_is_gone(fake, db, bot_settings, data_dir, tmp_path)
    command.downgrade(alembic_config(db.engine), "0026")  # the database as the release before left it
    with db.transaction() as session:  # in its words: it said "no longer" of a suggestion the list did not have
        said = "replace(discord_shown_suggestion, '(not a section of the list)', '(no longer a section of the list)')"
        session.execute(text(f"UPDATE candidates SET discord_shown_suggestion = {said}"))
    upgraded = open_service_database(bot_settings)
    try:
        await lands_once_the_heading_is_back(fake, upgraded, bot_settings, data_dir, candidate)
    finally:
        upgraded.dispose()
