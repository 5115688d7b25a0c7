"""The set-up of the Discord tests of a suggested heading taken out of the list: a candidate's message suggesting
Steering, the heading gone (the bot's ✅ taken off), and a maintainer's ✅ on it refused, after bob's ❌ or not; and a
message's decision line as a reader sees it."""

from __future__ import annotations

from pathlib import Path

from digest.cli import main
from digest.discord.bot import ReviewBot
from digest.storage.db import Database
from tests.discord_bot import eventually, last_embed, posted_candidate
from tests.fake_discord import LISTED_MAINTAINER, MAINTAINER, FakeDiscord
from tests.list_edits import imported, steering_heading


def approval(fake: FakeDiscord, mid: int) -> str:
    """The message's decision line, as a reader sees it (Discord Markdown's bold and escapes taken off)."""
    description: str = last_embed(fake, mid)["description"]
    return description.split("\n")[0].replace("\\", "").strip("*")


def exported_list(data_dir: Path, tmp_path: Path) -> Path:
    """The list as it is now, exported by the command: importing it puts a heading taken out since back."""
    original = tmp_path / "list-original.md"
    assert main(["--data-dir", str(data_dir), "list", "export", "-o", str(original)]) == 0
    return original


async def approve_refused_while_gone(
    fake: FakeDiscord, db: Database, bot: ReviewBot, data_dir: Path, tmp_path: Path, *, rejected_first: bool
) -> tuple[int, int]:
    """A candidate posted suggesting Steering, the heading taken out of the list and the bot's ✅ seen taken off, bob's
    ❌ shown when `rejected_first`, then ann's ✅ refused: its candidate id and its message id."""
    steering, steering_mid = await posted_candidate(fake, db, bot, 0, suggested_section="Steering")
    imported(data_dir, tmp_path, steering_heading(None))
    await eventually(lambda: not fake.reactors(steering_mid, "✅"), "the bot's ✅ taken off")
    if rejected_first:
        await fake.react(steering_mid, LISTED_MAINTAINER, "❌")
        await eventually(lambda: approval(fake, steering_mid) == "Rejected by bob", "the rejection shown")
    await fake.react(steering_mid, MAINTAINER, "✅")
    await eventually(lambda: "Couldn't approve" in last_embed(fake, steering_mid)["description"], "the refusal")
    return steering, steering_mid
