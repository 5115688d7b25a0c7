"""Text from a feed reaching Discord: Discord's limits as Discord counts them, and markup a title cannot break."""

from __future__ import annotations

import re

import pytest

from digest.config import Settings
from digest.storage.db import Database
from tests.discord_bot import eventually, row, running
from tests.factories import insert_candidate, real_papers
from tests.fake_discord import MAINTAINER, FakeDiscord, utf16_units

UNESCAPED_MARKUP = re.compile(r"(?<!\\)(\\\\)*[*_~`|>\[\]()<#]|(?<!\\)(\\\\)*\\$")
BOLD_A = "\U0001d400"  # 𝐀, MATHEMATICAL BOLD CAPITAL A: one Python character, two UTF-16 code units


@pytest.mark.asyncio
async def test_a_paper_written_in_astral_characters_is_cut_to_discords_limits_in_utf16_and_posted(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """Discord counts an embed's limits in UTF-16 code units: a title, abstract and authors of emoji and mathematical
    letters fitted Python's len() yet Discord refused the message (400 Invalid Form Body), run after run."""
    word = BOLD_A * 7 + "🧠"
    paper = real_papers()[0]
    candidate_id = insert_candidate(
        db,
        {**paper, "title": " ".join([word] * 60), "abstract": " ".join([word] * 400)},
        authors=[" ".join([word] * 60) for _ in range(4)],
        matched=[word * 10 for _ in range(10)],
        suggested_section=" ".join([word] * 40),
    )
    async with running(bot_settings, db) as bot:
        report = await bot.post_pending()
    assert (report.posted, report.failed) == (1, 0)
    embed = fake.posted()[0]["embeds"][0]
    assert 200 < utf16_units(embed["title"]) <= 256 and embed["title"].endswith("…")
    assert embed["title"].startswith(word) and "\ud835" not in embed["title"]  # no half of a character
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Authors"].startswith(word) and utf16_units(fields["Authors"]) <= 1024
    assert embed["description"].startswith(word)
    assert row(db, candidate_id).discord_state == "posted"


@pytest.mark.asyncio
async def test_a_title_of_format_characters_and_variation_selectors_says_which_paper_it_is(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """A title of characters that draw nothing but are no white space nor the zero-width space (a soft hyphen, the
    invisible operators U+2061..U+2064, a variation selector, Unicode tag characters) went out as the embed's title:
    the maintainer saw a message with nothing to read or click."""
    papers = real_papers()[:3]
    titles = ["\u00ad\u2061\u2062 \u2063", "\ufe0f\u034f\ufe0e", "\U000e0041\U000e0042\U000e007f\u2064"]
    for i, (paper, title) in enumerate(zip(papers, titles, strict=True)):
        insert_candidate(db, {**paper, "title": title}, score=0.9 - i / 10)
    async with running(bot_settings, db) as bot:
        assert (await bot.post_pending()).posted == 3
    shown = [body["embeds"][0]["title"] for body in fake.posted()]
    assert shown == [f"Untitled paper, arXiv {paper['arxiv_id']}" for paper in papers]


@pytest.mark.asyncio
async def test_a_title_ending_in_a_backslash_or_an_unclosed_spoiler_or_bold_shows_as_written(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """A backslash at the end would escape what Discord puts after the title, an unclosed `||` or `**` would hide or
    embolden the rest: every markup character is escaped, so the maintainer reads the title as arXiv wrote it."""
    papers = real_papers()[:3]
    titles = ["Sparse features \\", "Spoilers ||ahead", "Bold **claims \\"]
    for i, (paper, title) in enumerate(zip(papers, titles, strict=True)):
        insert_candidate(db, {**paper, "title": title, "abstract": "A short abstract that ends \\"}, score=0.9 - i / 10)
    async with running(bot_settings, db) as bot:
        assert (await bot.post_pending()).posted == 3
    embeds = [body["embeds"][0] for body in fake.posted()]
    assert [embed["title"] for embed in embeds] == [
        "Sparse features \\\\",
        "Spoilers \\|\\|ahead",
        "Bold \\*\\*claims \\\\",
    ]
    assert all(re.sub(r"\\(.)", r"\1", embed["title"]) == title for embed, title in zip(embeds, titles, strict=True))
    assert all(UNESCAPED_MARKUP.search(embed["title"]) is None for embed in embeds)
    assert all(embed["description"].endswith("ends \\\\") for embed in embeds)


MENTION = re.compile(r"@(everyone|here)|<@[&!]?\d+>", re.IGNORECASE)  # what Discord renders as a mention


@pytest.mark.asyncio
async def test_a_hostile_title_and_authors_ping_nobody_and_link_nowhere_posted_and_decided(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """Guard, through the real client: a title of 300 characters holding @everyone, a role's and a member's mention
    (one split by a zero-width space) and a Markdown link to javascript:, and authors saying @here and linking
    elsewhere. Neither the message posted nor the one edited when ann rejects it mentions anyone or shows a link."""
    role, member = "<@&700000000000000005>", "<@800000000000000001>"
    title = f"@everyone {role} {member} [x](javascript:alert(1)) @every\u200bone " + "Steering " * 30
    authors = ["@here", "[Ann](https://evil.example)"]
    async with running(bot_settings, db) as bot:
        candidate_id = insert_candidate(db, {**real_papers()[0], "title": title}, authors=authors)
        assert (await bot.post_pending()).posted == 1
        mid = int(row(db, candidate_id).discord_message_id or 0)
        await fake.react(mid, MAINTAINER, "❌")
        await eventually(lambda: "Rejected by ann" in fake.shown(mid)["embeds"][0]["description"], "rejected")
    assert fake.posted()[0]["allowed_mentions"] == {"parse": []}
    for embed in (fake.posted()[0]["embeds"][0], fake.shown(mid)["embeds"][0]):
        assert utf16_units(embed["title"]) <= 256 and embed["title"].endswith("…")
        fields = {f["name"]: f["value"] for f in embed["fields"]}
        for shown in (embed["title"], fields["Authors"]):
            assert not MENTION.search(shown) and not UNESCAPED_MARKUP.search(shown), shown
        assert embed["url"] == f"https://arxiv.org/abs/{real_papers()[0]['arxiv_id']}"
