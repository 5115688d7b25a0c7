"""Discord's `/add`: the real discord.py client registers the command in the fake Discord, a member uses it over the
gateway, and the paper is fetched from a loopback arXiv API serving the real recorded answer, as `digest add` does:
who may add, what is refused, and what is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from digest.config import Settings
from digest.storage.db import Database
from digest.storage.models import APPROVED, Candidate, Decision
from tests.add_command import API_PATH, HEAT_BATH, recorded
from tests.arxiv_server import ArxivServer
from tests.discord_add_setup import HEAT_BATH_LINK, answer, arxiv_api, bot_database, settings_for_the_bot, state  # noqa: F401  (fixtures)
from tests.discord_bot import eventually, running, section_of
from tests.fake_discord import GUILD_ID, LISTED_MAINTAINER, MAINTAINER, STRANGER, FakeDiscord
from tests.review_add import UNISSUED


@pytest.mark.asyncio
async def test_the_command_is_registered_in_the_review_server_with_a_section_field(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    async with running(bot_settings, db):
        await eventually(lambda: GUILD_ID in fake.commands, "commands registered")
        (command,) = fake.commands[GUILD_ID]
        assert command["name"] == "add"
        options = {option["name"]: option for option in command["options"]}
        assert options["paper"]["required"] is True and options["section"]["autocomplete"] is True
        assert not options["section"].get("required")
        # Typing into the section field offers the list's sections.
        token = await fake.use_command(MAINTAINER, "add", {"paper": "1605.08386", "section": "prob"}, focused="section")
        await eventually(lambda: bool(fake.answer_bodies(token)), "choices offered")
    choices = fake.answer_bodies(token)[0]["choices"]
    assert [choice["value"] for choice in choices] == ["Probing"]


@pytest.mark.asyncio
async def test_a_maintainer_adds_a_paper_into_the_chosen_section(
    fake: FakeDiscord, db: Database, bot_settings: Settings, arxiv: ArxivServer
) -> None:
    async with running(bot_settings, db):
        await eventually(lambda: GUILD_ID in fake.commands, "commands registered")
        token = await fake.use_command(
            MAINTAINER, "add", {"paper": "https://arxiv.org/abs/1605.08386v1", "section": "Probing"}
        )
        text = await answer(fake, token)
        first, *_ = fake.answer_bodies(token)
        assert first["type"] == 5 and first["flags"] == 64  # "thinking", seen by the maintainer alone
        assert fake.answer_bodies(token)[-1]["flags"] == 64
        # The paper already in the list: said so, arXiv not asked again, nothing written.
        before = state(db, bot_settings)
        asked = len(arxiv.requests)
        again = await answer(fake, await fake.use_command(LISTED_MAINTAINER, "add", {"paper": "arXiv:1605.08386"}))
        assert len(arxiv.requests) == asked and state(db, bot_settings) == before
    assert text.startswith("1605.08386: approved into Probing (candidate ") and "new candidate" in text
    assert again == "1605.08386 is already in the list (Probing); nothing was added"
    assert HEAT_BATH_LINK in section_of(bot_settings.list_markdown_path.read_text(encoding="utf-8"), "Probing")
    with db.reading() as session:
        candidate = session.scalars(select(Candidate).where(Candidate.arxiv_id == "1605.08386")).one()
        decisions = [(d.action, d.actor, d.actor_id, d.channel, d.section) for d in session.scalars(select(Decision))]
        assert candidate.status == APPROVED and candidate.decided_section == "Probing"
    assert decisions == [("approve", "ann", str(MAINTAINER.id), "discord", "Probing")]


@pytest.mark.asyncio
async def test_a_non_maintainer_is_refused_and_nothing_changes(
    fake: FakeDiscord, db: Database, bot_settings: Settings, arxiv: ArxivServer
) -> None:
    before = state(db, bot_settings)
    async with running(bot_settings, db):
        await eventually(lambda: GUILD_ID in fake.commands, "commands registered")
        token = await fake.use_command(STRANGER, "add", {"paper": "1605.08386", "section": "Probing"})
        text = await answer(fake, token)
    assert text.startswith("Only the list's maintainers can add papers")
    assert fake.answer_bodies(token)[0]["flags"] == 64 and fake.answer_bodies(token)[0]["type"] == 4
    assert arxiv.requests == [] and state(db, bot_settings) == before


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("garbage", "quoted"),
    [
        ("not a paper", "'not a paper'"),
        ("https://example.org/abs/1605.08386", "'https://example.org/abs/1605.08386'"),
        ("1605.083", "'1605.083'"),
        ("x" * 5000, "'" + "x" * 40 + "…'"),
        ("@everyone", "'@\u200beveryone'"),
        ("<@123> hi", "'\\<@\u200b123\\> hi'"),
        ("**x**", "'\\*\\*x\\*\\*'"),
    ],
)
async def test_garbage_gets_one_line_and_nothing_changes(
    fake: FakeDiscord, db: Database, bot_settings: Settings, arxiv: ArxivServer, garbage: str, quoted: str
) -> None:
    """The answer did not say what it refused, where the web's 400s do: it quotes it, cut short as they do, through
    Discord's escaping, so that a mention cannot ping nor markup format."""
    before = state(db, bot_settings)
    async with running(bot_settings, db):
        await eventually(lambda: GUILD_ID in fake.commands, "commands registered")
        text = await answer(fake, await fake.use_command(MAINTAINER, "add", {"paper": garbage}))
    assert text.startswith(f"{quoted} is not an arXiv ID or URL: give one like 2501.01234") and "\n" not in text
    assert arxiv.requests == [] and state(db, bot_settings) == before


@pytest.mark.asyncio
async def test_an_unknown_section_is_one_line_naming_the_sections(
    fake: FakeDiscord, db: Database, bot_settings: Settings, arxiv: ArxivServer
) -> None:
    before = state(db, bot_settings)
    async with running(bot_settings, db):
        await eventually(lambda: GUILD_ID in fake.commands, "commands registered")
        token = await fake.use_command(MAINTAINER, "add", {"paper": "1605.08386", "section": "Astrology"})
        text = await answer(fake, token)
    assert text.startswith("no section named 'Astrology' in the list (sections: ") and "\n" not in text
    assert arxiv.requests == [] and state(db, bot_settings) == before


@pytest.mark.asyncio
async def test_a_slow_arxiv_does_not_hold_up_the_bot(
    fake: FakeDiscord, db: Database, bot_settings: Settings, arxiv: ArxivServer
) -> None:
    from dataclasses import replace

    arxiv.program(API_PATH, replace(recorded(HEAT_BATH), delay_seconds=1.5))
    async with running(bot_settings, db):
        await eventually(lambda: GUILD_ID in fake.commands, "commands registered")
        slow = await fake.use_command(MAINTAINER, "add", {"paper": "1605.08386", "section": "Probing"})
        await eventually(lambda: bool(fake.answer_bodies(slow)), "thinking")
        # While the paper is being fetched, the bot answers someone else at once.
        quick = await fake.use_command(STRANGER, "add", {"paper": "1605.08386"})
        await eventually(lambda: bool(fake.answers(quick)), "the refusal")
        assert fake.answers(slow) == []  # still fetching
        assert (await answer(fake, slow)).startswith("1605.08386: approved into Probing")


@pytest.mark.asyncio
@pytest.mark.parametrize(("paper", "said"), UNISSUED)
async def test_an_id_arxiv_cannot_have_issued_is_named_so(
    fake: FakeDiscord, db: Database, bot_settings: Settings, arxiv: ArxivServer, paper: str, said: str
) -> None:
    """Was: "That is not an arXiv ID or URL", as for any text, where `digest add` names what is wrong."""
    before = state(db, bot_settings)
    async with running(bot_settings, db):
        await eventually(lambda: GUILD_ID in fake.commands, "commands registered")
        text = await answer(fake, await fake.use_command(MAINTAINER, "add", {"paper": paper}))
    assert said in text and "\n" not in text and "not an arXiv ID or URL" not in text, text
    assert arxiv.requests == [] and state(db, bot_settings) == before
