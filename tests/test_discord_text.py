"""Text from a feed reaching Discord: Discord's limits as Discord counts them, and markup a title cannot break."""

from __future__ import annotations

import pytest

from digest.config import Settings
from digest.storage.db import Database
from tests.factories import insert_candidate, real_papers
from tests.fake_discord import FakeDiscord, utf16_units
from tests.test_discord_bot import row, running

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
