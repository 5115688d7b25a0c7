"""The review bot end to end: the real discord.py client against the fake Discord on 127.0.0.1, a real SQLite file,
and the list Markdown the Reviewer writes."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import select

from digest.config import Settings
from digest.discord.bot import ReviewBot
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from digest.storage.models import Candidate, Decision
from tests.conftest import make_settings
from tests.discord_bot import (
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
from tests.factories import insert_candidate, real_papers
from tests.fake_discord import BOT_ID, LISTED_MAINTAINER, MAINTAINER, STRANGER, FakeDiscord, FakeMember


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
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
        await fake.react(mid, MAINTAINER, "✅")
        await eventually(lambda: "Approved by" in last_embed(fake, mid)["description"], "message edited")
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
        _candidate_id, mid = await posted_candidate(fake, db, bot, 2)
        await fake.react(mid, MAINTAINER, "✅")
        await eventually(lambda: "Approved" in last_embed(fake, mid)["description"], "approved")
        assert paper["arxiv_id"] in list_md(bot_settings)
        await fake.unreact(mid, STRANGER, "✅")  # not the deciding reaction
        await fake.unreact(mid, MAINTAINER, "✅")
        await eventually(lambda: last_embed(fake, mid)["color"] == 0x5865F2, "message shows pending")
    assert paper["arxiv_id"] not in list_md(bot_settings)
    assert "Approved" not in last_embed(fake, mid)["description"]
    with db.reading() as session:
        actions = session.scalars(select(Decision.action).order_by(Decision.id)).all()
    assert actions == ["approve", "revert"]


@pytest.mark.asyncio
async def test_a_reaction_made_while_the_bot_was_down_is_applied_on_restart(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    paper = real_papers()[3]
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 3)
    await fake.react(mid, STRANGER, "❌", online=False)
    await fake.react(mid, MAINTAINER, "🧩", online=False)
    assert row(db, candidate_id).status == "pending"
    async with running(bot_settings, db):
        await eventually(lambda: "Approved by ann" in last_embed(fake, mid)["description"], "message edited")
    assert row(db, candidate_id).decided_section == "Sparse Autoencoder"
    assert f"https://arxiv.org/abs/{paper['arxiv_id']}" in section_of(list_md(bot_settings), "Sparse Autoencoder")


@pytest.mark.asyncio
async def test_a_decision_made_elsewhere_edits_the_message(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    async with running(bot_settings, db, sync_interval=0.1) as bot:
        first, first_mid = await posted_candidate(fake, db, bot, 0)
        second, second_mid = await posted_candidate(fake, db, bot, 1)
        # The web page, in this process: the Reviewer's listener edits at once.
        await bot.reviewer.decide_async(first, "reject", Actor("web-ann", None, "web"))
        assert "Rejected by web-ann" in last_embed(fake, first_mid)["description"]
        # The CLI, another process: only the database changes; the bot notices on its next check.
        Reviewer(db, bot_settings).decide(second, "approve", Actor("cli-bob", None, "cli"), "Steering")
        await eventually(lambda: "Approved by cli-bob into Steering" in last_embed(fake, second_mid)["description"],
                         "CLI decision shown")  # fmt: skip
        # The bot records what the message shows right after Discord accepted the edit.
        await eventually(lambda: row(db, second).discord_shown_status == "approved", "shown status recorded")
    assert row(db, second).discord_shown_status == "approved"


@pytest.mark.asyncio
async def test_hostile_title_pings_nobody_and_breaks_no_markdown(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    hostile = "@everyone **Steering** LVLMs [via](https://evil.example) Sparse Autoencoder <script>x</script> ]]>"
    async with running(bot_settings, db) as bot:
        _candidate_id, mid = await posted_candidate(fake, db, bot, 4, title=hostile)
        await fake.react(mid, MAINTAINER, "✅")
        await eventually(lambda: "Approved" in last_embed(fake, mid)["description"], "approved")
    body = fake.posted()[0]
    assert body["allowed_mentions"] == {"parse": []}
    title = body["embeds"][0]["title"]
    assert "@everyone" not in title and "\\*\\*Steering\\*\\*" in title and "\\[via\\]\\(https" in title
    assert "\\<script\\>" in title
    markdown = list_md(bot_settings)
    assert "<script>" not in markdown and "[via](https://evil.example)" not in markdown


@pytest.mark.asyncio
async def test_authors_and_a_section_of_invisible_characters_only_still_reach_discord(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """An author or a suggested section made only of characters that draw nothing (a zero-width space, the ideographic
    space, the Braille blank) became an empty embed field, which Discord refuses (400): the candidate never reached
    the channel, run after run. Such a field now says what an empty one says."""
    blanks = [
        {"authors": ["\u200b"], "suggested_section": "\u3000"},
        {"authors": ["\u3000", "\u2800"], "suggested_section": "\u2800\u200b"},
        {"authors": ["Ann Lee", "\u200b \u2800"], "suggested_section": " \u200b"},
    ]
    ids = [insert_candidate(db, real_papers()[i], score=0.9 - i / 10, **blank) for i, blank in enumerate(blanks)]
    async with running(bot_settings, db) as bot:
        report = await bot.post_pending()
    assert (report.posted, report.failed) == (3, 0)
    shown = [{f["name"]: f["value"] for f in body["embeds"][0]["fields"]} for body in fake.posted()]
    assert [(fields["Authors"], fields["Suggested section"]) for fields in shown] == [
        ("unknown", "—"),
        ("unknown", "—"),
        ("Ann Lee", "—"),
    ]
    assert all(row(db, i).discord_state == "posted" for i in ids)


@pytest.mark.asyncio
async def test_a_title_of_invisible_characters_only_posts_a_title_that_says_which_paper_it_is(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """A title made only of characters that draw nothing went out as the embed's title: members saw a message with
    no title to read or click, not knowing which paper to decide on."""
    paper = real_papers()[0]
    insert_candidate(db, {**paper, "title": "\u200b\u3000\u2800"})
    async with running(bot_settings, db) as bot:
        assert (await bot.post_pending()).posted == 1
    assert fake.posted()[0]["embeds"][0]["title"] == f"Untitled paper, arXiv {paper['arxiv_id']}"


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
async def test_posting_through_429_and_500_loses_no_candidate(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    ids = [insert_candidate(db, paper, score=0.9 - i / 10) for i, paper in enumerate(real_papers()[:2])]
    async with running(bot_settings, db) as bot:
        fake.fail_next(2, 429, retry_after=0.05)
        fake.fail_next(1, 500)
        report = await bot.post_pending()
    assert report.posted == 2 and report.failed == 0
    statuses = [(r.method, r.path.rsplit("/", 1)[-1]) for r in fake.received if r.method == "POST"]
    assert statuses.count(("POST", "messages")) >= 4  # two answered 429, one 500, then accepted
    assert [b["embeds"][0]["footer"]["text"].split(" ·")[0] for b in fake.posted()] == [
        f"Candidate {ids[0]}",
        f"Candidate {ids[1]}",
    ]
    assert all(row(db, i).discord_state == "posted" for i in ids)


@pytest.mark.asyncio
async def test_a_refused_post_stays_unposted_until_the_next_run(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    candidate_id = insert_candidate(db, real_papers()[0])
    async with running(bot_settings, db) as bot:
        fake.fail_next(1, 503)  # not retried by discord.py
        assert (await bot.post_pending()).failed == 1
        # still to be posted ("sending" after a 5xx: the next run looks in the channel before sending it again)
        assert row(db, candidate_id).discord_state in ("unposted", "sending") and fake.posted() == []
        assert (await bot.post_pending()).posted == 1
    assert row(db, candidate_id).discord_state == "posted" and len(fake.posted()) == 1


@pytest.mark.asyncio
async def test_posts_best_first_up_to_the_cap_and_says_how_many_wait(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    scores = [0.2, 0.9, 0.5, 0.7, 0.4]
    ids = [insert_candidate(db, p, score=s) for p, s in zip(real_papers(), scores, strict=False)]
    async with running(bot_settings, db) as bot:
        report = await bot.post_pending()
    assert (report.posted, report.waiting) == (3, 2)
    footers = [b["embeds"][0]["footer"]["text"].split(" ·")[0] for b in fake.posted() if b.get("embeds")]
    assert footers == [f"Candidate {ids[1]}", f"Candidate {ids[3]}", f"Candidate {ids[2]}"]
    notice = fake.posted()[-1]
    assert notice["content"] == f"2 more candidates wait on the review page: {bot_settings.web.base_url}/review"
    assert notice["allowed_mentions"] == {"parse": []}


@pytest.mark.asyncio
async def test_a_deleted_message_means_repost_not_reject(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
        await fake.delete_message(mid)
        await eventually(lambda: row(db, candidate_id).discord_state == "repost", "marked for repost")
        assert row(db, candidate_id).status == "pending"
        assert (await bot.post_pending()).posted == 1
    assert row(db, candidate_id).discord_state == "posted" and message_id(db, candidate_id) != mid


@pytest.mark.asyncio
async def test_without_a_token_the_bot_is_off_and_says_so(
    tmp_path: Path, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tmp_path / "data", fake.config_toml())
    database = open_service_database(settings)
    try:
        bot = ReviewBot(settings, database, Reviewer(database, settings))
        with caplog.at_level(logging.INFO, logger="digest.discord"):
            await bot.start()
            await bot.close()
    finally:
        database.dispose()
    assert [r.getMessage() for r in caplog.records] == ["discord: off (DISCORD_TOKEN is not set)"]
    assert fake.received == [] and not bot.ready


@pytest.mark.asyncio
async def test_a_revert_made_elsewhere_is_not_undone_by_the_old_reaction_on_restart(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    paper = real_papers()[2]
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 2)
        await fake.react(mid, MAINTAINER, "✅")
        await eventually(lambda: row(db, candidate_id).status == "approved", "approved")
    # While the bot is down a maintainer takes the approval back on the command line; the ✅ stays on the message.
    Reviewer(db, bot_settings).decide(candidate_id, "revert", Actor("cli-bob", None, "cli"))
    async with running(bot_settings, db):  # start() returns once the bot has caught up
        assert row(db, candidate_id).status == "pending"
    assert paper["arxiv_id"] not in list_md(bot_settings)
    with db.reading() as session:
        actions = session.scalars(select(Decision.action).order_by(Decision.id)).all()
    assert actions == ["approve", "revert"]


@pytest.mark.asyncio
async def test_a_stranger_adding_and_removing_the_check_mark_does_not_revert_a_maintainers_approval(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    paper = real_papers()[0]
    async with running(bot_settings, db) as bot:
        first, first_mid = await posted_candidate(fake, db, bot, 0)
        second, second_mid = await posted_candidate(fake, db, bot, 1)
        await fake.react(first_mid, MAINTAINER, "✅")
        await eventually(lambda: row(db, first).status == "approved", "approved by the maintainer")
        await fake.react(first_mid, STRANGER, "✅")
        await fake.unreact(first_mid, STRANGER, "✅")
        # Reactions are handled in arrival order: once this one is applied, the stranger's were handled too.
        await fake.react(second_mid, MAINTAINER, "❌")
        await eventually(lambda: row(db, second).status == "rejected", "second rejected")
    assert row(db, first).status == "approved"
    assert "Approved by ann" in last_embed(fake, first_mid)["description"]
    assert f"https://arxiv.org/abs/{paper['arxiv_id']}" in section_of(list_md(bot_settings), "Sparse Autoencoder")
    with db.reading() as session:
        audit = session.execute(select(Decision.candidate_id, Decision.action).order_by(Decision.id)).all()
    assert [tuple(entry) for entry in audit] == [(first, "approve"), (second, "reject")]


@pytest.mark.asyncio
async def test_the_bots_own_reactions_never_decide_even_when_it_holds_the_maintainer_role(
    tmp_path: Path,
) -> None:
    from tests.fake_discord import MAINTAINER_ROLE_ID

    fake = FakeDiscord(bot_roles=(MAINTAINER_ROLE_ID,))
    await fake.start()
    settings = make_settings(tmp_path / "data", fake.config_toml(), {"DISCORD_TOKEN": "fake-token"})
    database = open_service_database(settings)
    try:
        async with running(settings, database) as bot:
            # Posting adds the bot's ✅ and ❌; Discord tells the bot about both, with its maintainer role.
            first, first_mid = await posted_candidate(fake, database, bot, 0)
            second, second_mid = await posted_candidate(fake, database, bot, 1)
            await fake.react(second_mid, MAINTAINER, "❌")
            await eventually(lambda: row(database, second).status == "rejected", "second rejected")
            assert row(database, first).status == "pending"
        # While the bot is away its ❌ goes and a stranger's ✅ joins its ✅: on restart only the bot's own
        # reaction could approve, and it must not.
        fake.reactions[(first_mid, "❌")].remove(BOT_ID)
        await fake.react(first_mid, STRANGER, "✅", online=False)
        async with running(settings, database):  # start() returns once the bot has caught up
            assert row(database, first).status == "pending"
        assert "Approved" not in last_embed(fake, first_mid)["description"]
        with database.reading() as session:
            assert session.scalars(select(Decision.candidate_id)).all() == [second]
    finally:
        database.dispose()
        await fake.close()


def demote(fake: FakeDiscord, member: FakeMember) -> FakeMember:
    """A server admin takes the maintainer role away (a maintainer who stepped down): the member stays."""
    demoted = FakeMember(member.id, member.name, ())
    fake.members = [demoted if m.id == member.id else m for m in fake.members]
    return demoted


@pytest.mark.asyncio
async def test_a_former_maintainers_approvals_stand_after_a_restart(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """A maintainer who steps down loses the role; their ✅ stays on the messages. At the bot's next start every
    approval they made in Discord in the last 14 days was taken back out of the list (their reaction no longer
    counted as a maintainer's, so it read as taken back). A reaction still on the message is never taken back."""
    paper = real_papers()[2]
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 2)
        await fake.react(mid, MAINTAINER, "✅")
        await eventually(lambda: row(db, candidate_id).status == "approved", "approved")
    demote(fake, MAINTAINER)
    async with running(bot_settings, db):  # start() returns once the bot has caught up
        assert row(db, candidate_id).status == "approved"
    assert paper["arxiv_id"] in list_md(bot_settings)
    with db.reading() as session:
        assert session.scalars(select(Decision.action)).all() == ["approve"]


@pytest.mark.asyncio
async def test_a_former_maintainer_taking_their_reaction_back_changes_nothing(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """Taking the deciding reaction back returns the paper to pending (README), but only a maintainer's reaction
    counts: one whose role was taken away could still send their approvals back to pending, live or while the bot was
    away, where any other reaction of theirs changes nothing."""
    paper = real_papers()[2]
    async with running(bot_settings, db) as bot:
        first, first_mid = await posted_candidate(fake, db, bot, 2)
        second, second_mid = await posted_candidate(fake, db, bot, 1)
        third, third_mid = await posted_candidate(fake, db, bot, 0)
        await fake.react(first_mid, MAINTAINER, "✅")
        await fake.react(second_mid, MAINTAINER, "❌")
        await eventually(lambda: row(db, second).status == "rejected", "both decided")
        former = demote(fake, MAINTAINER)
        await fake.unreact(first_mid, former, "✅")
        await fake.react(third_mid, LISTED_MAINTAINER, "❌")  # handled in arrival order: after the removal
        await eventually(lambda: row(db, third).status == "rejected", "third rejected")
        assert row(db, first).status == "approved"
    fake.reactions[(second_mid, "❌")].remove(MAINTAINER.id)  # taken back while the bot is away
    async with running(bot_settings, db):
        assert row(db, second).status == "rejected"
    assert row(db, first).status == "approved" and paper["arxiv_id"] in list_md(bot_settings)
    with db.reading() as session:
        assert "revert" not in session.scalars(select(Decision.action)).all()


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
    assert f'digest approve {candidate_id} --section "Steering"' in note


@pytest.mark.asyncio
async def test_catching_up_reads_the_messages_in_bulk_not_one_request_each(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """At each start the bot fetched every message of the last fortnight's candidates alone: one request each, slow
    and into Discord's rate limits with hundreds. It reads them from the channel's history, and the reactions made
    while it was away still decide, each on its own paper."""
    async with running(bot_settings, db) as bot:
        ids = [insert_candidate(db, real_papers()[index]) for index in range(3)]
        await bot.post_pending()
    mids = [message_id(db, candidate_id) for candidate_id in ids]
    await fake.react(mids[0], MAINTAINER, "✅", online=False)
    await fake.react(mids[2], MAINTAINER, "❌", online=False)
    before = len(fake.received)
    async with running(bot_settings, db):
        await eventually(lambda: row(db, ids[2]).status == "rejected", "the reaction made while away applied")
    assert [row(db, candidate_id).status for candidate_id in ids] == ["approved", "pending", "rejected"]
    fetched_alone = [
        r.path for r in fake.received[before:] if r.method == "GET" and r.path.endswith(tuple(map(str, mids)))
    ]
    assert fetched_alone == []
    assert fake.requests("GET", "/messages")
