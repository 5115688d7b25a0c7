"""The review bot end to end: the real discord.py client against the fake Discord on 127.0.0.1, a real SQLite file,
and the list Markdown the Reviewer writes. Here a candidate's message and the reactions that decide it; posting is
in test_discord_bot_posting.py, what the bot catches up on at a start in test_discord_bot_catching_up.py."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from digest.config import Settings
from digest.config.invocation import same_invocation
from digest.storage.db import Database
from digest.storage.models import Candidate, Decision
from tests.discord_bot import (
    approved_by_ann,
    decision_count,
    eventually,
    last_embed,
    list_md,
    message_id,
    posted_candidate,
    row,
    running,
    section_of,
)
from tests.factories import decision_actions, insert_candidate, real_papers
from tests.fake_discord import BOT_ID, LISTED_MAINTAINER, MAINTAINER, STRANGER, FakeDiscord


@pytest.mark.asyncio
async def test_candidate_is_posted_with_its_embed_and_the_bots_reactions(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    paper = real_papers()[0]
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
    body = fake.posted()[0]
    assert body["allowed_mentions"] == {"parse": []}
    embed = body["embeds"][0]
    assert embed["url"] == f"https://arxiv.org/abs/{paper['arxiv_id']}"
    assert embed["title"] == paper["title"]
    assert embed["footer"]["text"].startswith(f"Candidate {candidate_id} · ✅ approve into Sparse Autoencoder")
    assert {f["name"] for f in embed["fields"]} >= {"Authors", "Links", "Matched", "Score", "Suggested section"}
    assert fake.reactors(mid, "✅") == [BOT_ID] and fake.reactors(mid, "❌") == [BOT_ID]
    stored = row(db, candidate_id)
    assert stored.discord_state == "posted" and stored.discord_shown_status == "pending"


@pytest.mark.asyncio
async def test_maintainer_check_mark_puts_the_paper_in_the_suggested_section(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    paper = real_papers()[0]
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await approved_by_ann(fake, db, bot, 0)
    assert row(db, candidate_id).status == "approved"
    assert f"https://arxiv.org/abs/{paper['arxiv_id']}" in section_of(list_md(bot_settings), "Sparse Autoencoder")
    embed = last_embed(fake, mid)
    assert embed["description"].startswith("**Approved by ann into Sparse Autoencoder**")
    assert embed["color"] == 0x57F287
    assert fake.requests("PATCH")[-1].body["allowed_mentions"] == {"parse": []}
    with db.reading() as session:
        audit = [(d.action, d.actor, d.actor_id, d.channel) for d in session.scalars(select(Decision))]
    assert audit == [("approve", "ann", str(MAINTAINER.id), "discord")]


@pytest.mark.asyncio
async def test_a_section_emoji_approves_into_that_section(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    paper = real_papers()[1]
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 1)
        await fake.react(mid, LISTED_MAINTAINER, "🕹️")  # a maintainer by user id, without the role
        await eventually(lambda: row(db, candidate_id).status == "approved", "approved")
        await eventually(lambda: "into Steering" in last_embed(fake, mid)["description"], "message edited")
    markdown = list_md(bot_settings)
    assert f"https://arxiv.org/abs/{paper['arxiv_id']}" in section_of(markdown, "Steering")
    assert f"https://arxiv.org/abs/{paper['arxiv_id']}" not in section_of(markdown, "Sparse Autoencoder")


@pytest.mark.asyncio
async def test_cross_rejects_and_the_paper_never_comes_back(
    fake: FakeDiscord, db: Database, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    from digest.arxiv import candidates
    from digest.arxiv.parse import parse_feed
    from digest.relevance.scoring import Judgement
    from tests.conftest import DATA_DIR
    from tests.factories import SEEN_AT

    feed = (DATA_DIR / "arxiv/api/api_new_cat-cs.LG-OR-cs.AI_2026-04-30_20entries.xml").read_bytes()

    def poll() -> int:
        papers = parse_feed(feed, "test").papers[:1]
        judged = [Judgement(True, 0.8, "Probing", ["Probing"], ["probing"]) for _ in papers]
        with db.transaction() as session:
            keys = candidates.list_keys(session)
            counts = candidates.store_papers(session, papers, judged, source="test", now=SEEN_AT, keys=keys)
        return counts.new_candidates

    assert poll() == 1
    async with running(bot_settings, db) as bot:
        caplog.set_level(logging.INFO, logger="digest.discord")
        assert (await bot.post_pending()).posted == 1
        assert "discord: posted 1 candidate, 0 wait on the review page" in caplog.text  # not '1 candidate(s)'
        with db.reading() as session:
            candidate_id = session.scalars(select(Candidate.id)).one()
        mid = message_id(db, candidate_id)
        await fake.react(mid, MAINTAINER, "❌")
        await eventually(lambda: "Rejected by ann" in last_embed(fake, mid)["description"], "message edited")
        assert last_embed(fake, mid)["color"] == 0xED4245
        assert poll() == 0  # the next poll sees the same paper again
        assert (await bot.post_pending()).posted == 0
    assert row(db, candidate_id).status == "rejected"
    assert len(fake.posted()) == 1
    assert row(db, candidate_id).arxiv_id not in list_md(bot_settings)


@pytest.mark.asyncio
async def test_reactions_of_others_and_of_the_bot_change_nothing(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    async with running(bot_settings, db) as bot:
        first, first_mid = await posted_candidate(fake, db, bot, 0)
        second, second_mid = await posted_candidate(fake, db, bot, 1)
        edits_before = len(fake.requests("PATCH"))
        await fake.react(first_mid, STRANGER, "✅")
        await fake.react(first_mid, STRANGER, "🧩")
        # Reactions are handled in arrival order: once this one is applied, the stranger's were handled too.
        await fake.react(second_mid, MAINTAINER, "❌")
        await eventually(lambda: "Rejected" in last_embed(fake, second_mid)["description"], "second rejected")
    assert row(db, first).status == "pending"
    assert [p.path for p in fake.requests("PATCH")[edits_before:]] == [
        f"/api/v10/channels/{fake.messages[second_mid]['channel_id']}/messages/{second_mid}"
    ]
    with db.reading() as session:
        assert session.scalars(select(Decision.candidate_id)).all() == [second]


@pytest.mark.asyncio
async def test_removing_the_deciding_reaction_returns_to_pending(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    paper = real_papers()[2]
    async with running(bot_settings, db) as bot:
        _candidate_id, mid = await approved_by_ann(fake, db, bot, 2)
        assert paper["arxiv_id"] in list_md(bot_settings)
        await fake.unreact(mid, STRANGER, "✅")  # not the deciding reaction
        await fake.unreact(mid, MAINTAINER, "✅")
        await eventually(lambda: last_embed(fake, mid)["color"] == 0x5865F2, "message shows pending")
    assert paper["arxiv_id"] not in list_md(bot_settings)
    assert "Approved" not in last_embed(fake, mid)["description"]
    assert decision_actions(db) == ["approve", "revert"]


@pytest.mark.asyncio
async def test_hostile_title_pings_nobody_and_breaks_no_markdown(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    hostile = "@everyone **Steering** LVLMs [via](https://evil.example) Sparse Autoencoder <script>x</script> ]]>"
    async with running(bot_settings, db) as bot:
        await approved_by_ann(fake, db, bot, 4, title=hostile)
    body = fake.posted()[0]
    assert body["allowed_mentions"] == {"parse": []}
    title = body["embeds"][0]["title"]
    assert "@everyone" not in title and "\\*\\*Steering\\*\\*" in title and "\\[via\\]\\(https" in title
    assert "\\<script\\>" in title
    markdown = list_md(bot_settings)
    assert "<script>" not in markdown and "[via](https://evil.example)" not in markdown


@pytest.mark.asyncio
async def test_approving_twice_adds_the_paper_once(fake: FakeDiscord, db: Database, bot_settings: Settings) -> None:
    paper = real_papers()[4]
    async with running(bot_settings, db) as bot:
        _candidate_id, mid = await posted_candidate(fake, db, bot, 4)
        await fake.react(mid, MAINTAINER, "✅")
        await fake.react(mid, LISTED_MAINTAINER, "✅")
        await eventually(lambda: len(fake.requests("PATCH")) >= 1, "edited")
        await eventually(lambda: decision_count(db) == 2, "both handled")
    entries = [
        line for line in list_md(bot_settings).splitlines() if line.startswith("+ ") and paper["arxiv_id"] in line
    ]
    assert len(entries) == 1
    with db.reading() as session:
        applied = session.scalars(select(Decision.applied).order_by(Decision.id)).all()
    assert applied == [True, False]


@pytest.mark.asyncio
async def test_a_section_emoji_on_a_paper_listed_by_hand_meanwhile_adds_no_second_copy(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """A maintainer put the paper into the list by hand after the poll found it: the candidate's message does not show
    that, so a section's emoji added a second entry of it there unasked and said nothing. It is refused as on /review,
    and the message says where the paper is and how to add it there too on purpose."""
    listed = "2411.16198"  # in the bundled list, under Input-level Attribution
    before = list_md(bot_settings)
    async with running(bot_settings, db) as bot:
        candidate_id = insert_candidate(db, {**real_papers()[1], "arxiv_id": listed, "title": "A title of its own"})
        await bot.post_pending()
        mid = message_id(db, candidate_id)
        await fake.react(mid, MAINTAINER, "🕹️")
        await eventually(lambda: "already in the list" in last_embed(fake, mid)["description"], "refusal shown")
    assert row(db, candidate_id).status == "pending"
    assert list_md(bot_settings).count(f"https://arxiv.org/abs/{listed}") == before.count(
        f"https://arxiv.org/abs/{listed}"
    )
    note = last_embed(fake, mid)["description"].replace("\\", "")  # as Discord shows it, Markdown escapes read
    assert note.startswith("⚠️ Couldn't approve: 2411.16198 is already in the list (Input-level Attribution)")
    assert f'{same_invocation(bot_settings)} approve {candidate_id} --section "Steering"' in note, note
