"""Two maintainers' ✅ on one candidate's message, and the first takes theirs back: the approval stands, now the
second's, and nothing in the list moves. The real discord.py client against the fake Discord on 127.0.0.1, a real
SQLite file, the list Markdown the Reviewer writes and `digest history`."""

from __future__ import annotations

import pytest

from digest.cli import main
from digest.config import Settings
from digest.discord.bot import ReviewBot
from digest.storage.db import Database
from tests.discord_bot import approved_by_ann, eventually, last_embed, list_md, row, running, section_of
from tests.factories import real_papers
from tests.fake_discord import MAINTAINER, FakeDiscord
from tests.fake_discord_state import MAINTAINER_ROLE_ID, FakeMember
from tests.list_edits import markdown, moved, reimport

CAT = FakeMember(800000000000000009, "cat", (MAINTAINER_ROLE_ID,))


def history(settings: Settings, capsys: pytest.CaptureFixture[str]) -> list[str]:
    capsys.readouterr()
    assert main(["--data-dir", str(settings.data_dir), "history"]) == 0
    return [
        line.split("  ", 2)[-1].split(": ", 1)[0].split(None, 2)[-1] for line in capsys.readouterr().out.splitlines()
    ]


async def moved_by_hand_with_cats_too(
    fake: FakeDiscord, db: Database, bot: ReviewBot, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> tuple[int, int, str]:
    """ann's ✅ approved the first paper, a maintainer moved its entry by hand into Steering, then cat put ✅ on the
    message too: the candidate, its message and the paper's arXiv ID."""
    arxiv_id = real_papers()[0]["arxiv_id"]
    candidate_id, mid = await approved_by_ann(fake, db, bot, 0)
    reimport(db, moved(arxiv_id, "Steering")(markdown(db, settings)))
    bot.reviewer.regenerate_markdown()
    assert arxiv_id in section_of(list_md(settings), "Steering")
    await fake.react(mid, CAT, "✅")
    await eventually(lambda: len(history(settings, capsys)) == 2, "cat's check mark recorded")
    return candidate_id, mid, arxiv_id


@pytest.mark.asyncio
async def test_the_second_check_mark_keeps_the_paper_where_a_maintainer_moved_it_when_the_first_is_taken_back(
    fake: FakeDiscord, db: Database, bot_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """ann approved with ✅, a maintainer moved the entry by hand into Steering, and cat put ✅ on the message too.
    When ann took hers back, the bot returned the paper to pending (its entry taken out of Steering) and approved it
    again as cat's, into its suggested section: the hand move was lost, list.md rewritten twice, and the history said
    ann had returned it to pending. Now cat's ✅ takes the approval over as it stands."""
    fake.members.append(CAT)
    async with running(bot_settings, db) as bot:
        candidate_id, mid, arxiv_id = await moved_by_hand_with_cats_too(fake, db, bot, bot_settings, capsys)
        before = list_md(bot_settings)
        await fake.unreact(mid, MAINTAINER, "✅")
        await eventually(lambda: "Approved by cat" in last_embed(fake, mid)["description"], "the message shows cat's")
        assert list_md(bot_settings) == before  # still in Steering, not taken out and written back
        assert not bot_settings.list_markdown_path.with_name("list.md.1").exists()
        assert (row(db, candidate_id).status, row(db, candidate_id).decided_by) == ("approved", "cat")
        assert history(bot_settings, capsys) == [
            "approved into Sparse Autoencoder by ann via discord",
            "approved into Steering by cat via discord (changed nothing)",
            "approved into Sparse Autoencoder by cat via discord",
        ]

        # cat taking hers back now returns the paper to pending, as the last maintainer's ✅ always did.
        await fake.unreact(mid, CAT, "✅")
        await eventually(lambda: arxiv_id not in list_md(bot_settings), "out of the list")
    assert row(db, candidate_id).status == "pending"
    assert history(bot_settings, capsys)[-1] == "back to pending by cat via discord"


@pytest.mark.asyncio
async def test_a_check_mark_taken_back_while_the_bot_was_away_leaves_the_approval_to_the_other_one(
    fake: FakeDiscord, db: Database, bot_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same, ann taking hers back while the bot was offline: catching up on start undid the approval and made it
    again as cat's, and the hand move into Steering was lost the same way."""
    fake.members.append(CAT)
    async with running(bot_settings, db) as bot:
        candidate_id, mid, arxiv_id = await moved_by_hand_with_cats_too(fake, db, bot, bot_settings, capsys)
    before = list_md(bot_settings)
    await fake.unreact(mid, MAINTAINER, "✅", online=False)

    async with running(bot_settings, db):
        await eventually(lambda: "Approved by cat" in last_embed(fake, mid)["description"], "the message shows cat's")
    assert list_md(bot_settings) == before and arxiv_id in section_of(before, "Steering")
    assert (row(db, candidate_id).status, row(db, candidate_id).decided_by) == ("approved", "cat")
    assert history(bot_settings, capsys)[2:] == ["approved into Sparse Autoencoder by cat via discord"]
