"""Discord's `/add`: the real discord.py client registers the command in the fake Discord, a member uses it over the
gateway, and the paper is fetched from a loopback arXiv API serving the real recorded answer, as `digest add` does."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from digest.config import Settings
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from digest.storage.models import APPROVED, Candidate, Decision, Entry
from tests.add_command import API_PATH, HEAT_BATH, recorded
from tests.arxiv_server import ArxivServer
from tests.conftest import make_settings
from tests.discord_bot import eventually, running, section_of
from tests.fake_discord import GUILD_ID, LISTED_MAINTAINER, MAINTAINER, STRANGER, FakeDiscord
from tests.review_add import UNISSUED

HEAT_BATH_LINK = "[Heat-bath random walks with Markov bases](https://arxiv.org/abs/1605.08386)"


@pytest_asyncio.fixture
async def arxiv() -> AsyncIterator[ArxivServer]:
    async with ArxivServer() as server:
        server.program(API_PATH, recorded(HEAT_BATH))
        yield server


@pytest.fixture
def bot_settings(tmp_path: Path, fake: FakeDiscord, arxiv: ArxivServer) -> Settings:
    config = fake.config_toml() + (
        f'[arxiv]\nsources = ["{arxiv.url("/rss/unused")}"]\napi_url = "{arxiv.url(API_PATH)}"\n'
        "min_interval_seconds = 0\nmax_retries = 0\n"
    )
    return make_settings(tmp_path / "data", config, {"DISCORD_TOKEN": "fake-token"})


@pytest.fixture
def db(bot_settings: Settings) -> Iterator[Database]:
    database = open_service_database(bot_settings)
    yield database
    database.dispose()


def state(database: Database, settings: Settings) -> tuple[Any, ...]:
    """What /add may change: candidates, decisions, entries and the list's Markdown."""
    with database.reading() as session:
        counts = tuple(session.scalar(select(func.count()).select_from(m)) for m in (Candidate, Decision, Entry))
    return (*counts, settings.list_markdown_path.read_bytes())


async def answer(fake: FakeDiscord, token: str) -> str:
    """The one message the member sees for this interaction."""
    await eventually(lambda: len(fake.answers(token)) >= 1, "the bot answered")
    (text,) = fake.answers(token)
    return text


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


def seeded_with(
    fake: FakeDiscord, arxiv: ArxivServer, tmp_path: Path, edit: Callable[[str], str]
) -> tuple[Path, Settings]:
    """Settings for the bot on a seed list whose Probing heading line is replaced by `edit(heading)`, with arXiv's API
    on the local server: the seed file and the settings."""
    from digest import resources

    seed = tmp_path / "seed.md"
    text, count = re.subn(r"(?m)^###.* Probing$", lambda m: edit(m[0]), resources.seed_list_path().read_text("utf-8"))
    assert count == 1
    seed.write_text(text, encoding="utf-8")
    config = f'seed_list = "{seed}"\n' + fake.config_toml() + f'[arxiv]\napi_url = "{arxiv.url(API_PATH)}"\n'
    return seed, make_settings(tmp_path / "data", config, {"DISCORD_TOKEN": "fake-token"})


@pytest.mark.asyncio
async def test_an_answer_naming_the_lists_sections_carries_no_bidi_override(
    fake: FakeDiscord, arxiv: ArxivServer, tmp_path: Path
) -> None:
    """A heading of the list holding U+202E (the maintainer's file, kept as written) went raw into /add's answer
    naming the list's sections, reversing the rest of the line in Discord; the answer blanks it, the file keeps it."""
    seed, settings = seeded_with(fake, arxiv, tmp_path, lambda heading: heading + "\u202e")
    database = open_service_database(settings)
    try:
        async with running(settings, database):
            await eventually(lambda: GUILD_ID in fake.commands, "commands registered")
            token = await fake.use_command(MAINTAINER, "add", {"paper": "1605.08386", "section": "Nowhere"})
            reply = await answer(fake, token)
            typed = {"paper": "1605.08386", "section": "prob"}
            token = await fake.use_command(MAINTAINER, "add", typed, focused="section")
            await eventually(lambda: bool(fake.answer_bodies(token)), "choices offered")
    finally:
        database.dispose()
    (choice,) = fake.answer_bodies(token)[0]["choices"]
    assert choice["name"].endswith("Probing ") and choice["value"].endswith("Probing\u202e")  # shown, and as written
    assert reply.startswith("no section named 'Nowhere' in the list (sections: ") and " Probing" in reply
    assert "\u202e" not in reply
    assert settings.list_markdown_path.read_bytes() == seed.read_bytes()


@pytest.mark.asyncio
async def test_a_title_already_listed_is_named_with_its_formatting_inert(
    fake: FakeDiscord, arxiv: ArxivServer, tmp_path: Path
) -> None:
    """/add of a paper the list holds by its title (under its venue's link) named the arXiv title raw: its Markdown,
    a masked link and an @everyone came out live in Discord. The title is escaped as in the bot's candidate messages."""
    from tests.arxiv_server import Reply

    hostile = "**Heat-bath** [walks](https://evil.example) @everyone"
    xml = recorded(HEAT_BATH).body.replace(b"Heat-bath random walks with Markov bases", hostile.encode())
    arxiv.program(API_PATH, Reply(body=xml, content_type="application/atom+xml; charset=utf-8"))
    listed = r"- [\*\*Heat-bath\*\* \[walks\](https://evil.example) @everyone](https://openreview.net/forum?id=hb)"
    _, settings = seeded_with(fake, arxiv, tmp_path, lambda heading: f"{heading}\n\n{listed}\n")
    database = open_service_database(settings)
    try:
        async with running(settings, database):
            await eventually(lambda: GUILD_ID in fake.commands, "commands registered")
            options = {"paper": "1605.08386", "section": "Probing"}
            again = await answer(fake, await fake.use_command(MAINTAINER, "add", options))
    finally:
        database.dispose()
    assert again == (
        r"1605.08386 (\*\*Heat-bath\*\* \[walks\]\(https://evil.example\) @"
        "\u200beveryone) is already in the list by its title; nothing was added"
    )


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


@pytest.mark.asyncio
async def test_answers_and_choices_hold_discords_limits_in_its_units_and_no_choice_is_blank(
    fake: FakeDiscord, arxiv: ArxivServer, tmp_path: Path
) -> None:
    """Discord counts its limits in UTF-16 units: a heading of mathematical letters (two units each) made /add's
    answer naming the sections 1,900 characters but over 2,000 units, and a choice over 100 units; Discord refused
    both (the whole list of choices with the one) and the member saw nothing."""
    from tests.fake_discord import utf16_units
    from tests.fake_discord_commands import CHOICE_LIMIT, CONTENT_LIMIT

    wide = "\U0001d40f" * 180  # 𝐏, two units each; a heading is at most 200 characters
    more = "".join(
        f"\n\n### {wide} {index}\n\n+ [A paper](https://arxiv.org/abs/2401.0000{index})" for index in range(6)
    )
    seed, settings = seeded_with(fake, arxiv, tmp_path, lambda heading: f"{heading} {wide}{more}\n")
    database = open_service_database(settings)
    try:
        async with running(settings, database):
            await eventually(lambda: GUILD_ID in fake.commands, "commands registered")
            token = await fake.use_command(MAINTAINER, "add", {"paper": "1605.08386", "section": "Nowhere"})
            reply = await answer(fake, token)
            typed = {"paper": "1605.08386", "section": ""}
            token = await fake.use_command(MAINTAINER, "add", typed, focused="section")
            await eventually(lambda: bool(fake.answer_bodies(token)), "choices offered")
    finally:
        database.dispose()
    assert reply.startswith("no section named 'Nowhere' in the list (sections: ") and "Probing" in reply
    assert utf16_units(reply) <= CONTENT_LIMIT
    choices = fake.answer_bodies(token)[0]["choices"]
    names = [choice["name"] for choice in choices]
    assert any("Probing 𝐏" in name for name in names) and len(names) >= 8, names
    assert all(1 <= utf16_units(name.strip()) <= CHOICE_LIMIT for name in names), names
    assert settings.list_markdown_path.read_bytes() == seed.read_bytes()


@pytest.mark.asyncio
@pytest.mark.parametrize("invisible", ["\u200e\u200f", "\u200b\u2060", "\u202e\u200d"])
async def test_a_heading_of_invisible_characters_is_offered_by_a_name_a_member_can_read(
    fake: FakeDiscord, arxiv: ArxivServer, tmp_path: Path, invisible: str
) -> None:
    """A heading of bidi marks or zero-width characters only made a choice whose name was blank (bidi marks became
    spaces): Discord refused the whole list of choices (the member saw none), or offered one that showed nothing.
    It is offered as 'a section whose heading shows nothing', and choosing it adds the paper there."""
    from digest.text import is_blank

    odd = f"\n\n### {invisible}\n\n+ [A paper](https://arxiv.org/abs/2401.00001)\n"
    _, settings = seeded_with(fake, arxiv, tmp_path, lambda heading: f"{heading}{odd}")
    database = open_service_database(settings)
    try:
        async with running(settings, database):
            await eventually(lambda: GUILD_ID in fake.commands, "commands registered")
            typed = {"paper": "1605.08386", "section": ""}
            token = await fake.use_command(MAINTAINER, "add", typed, focused="section")
            await eventually(lambda: bool(fake.answer_bodies(token)), "choices offered")
            choices = fake.answer_bodies(token)[0]["choices"]
            names = {choice["name"]: choice["value"] for choice in choices}
            assert "Probing" in names and not any(is_blank(name) for name in names), names
            (value,) = [v for name, v in names.items() if name == "a section whose heading shows nothing"]
            # Typing what the choice shows finds it (it was matched against the heading's invisible characters).
            typed = {"paper": "1605.08386", "section": "shows noth"}
            token = await fake.use_command(MAINTAINER, "add", typed, focused="section")
            await eventually(lambda: bool(fake.answer_bodies(token)), "choices offered")
            assert [c["value"] for c in fake.answer_bodies(token)[0]["choices"]] == [value]
            options = {"paper": "1605.08386", "section": value}
            reply = await answer(fake, await fake.use_command(MAINTAINER, "add", options))
            again = await answer(fake, await fake.use_command(MAINTAINER, "add", {"paper": "1605.08386"}))
    finally:
        database.dispose()
    assert HEAT_BATH_LINK in settings.list_markdown_path.read_text(encoding="utf-8")
    # The answers name that section so too (they read 'approved into   (candidate 1 ...' and 'in the list ( )').
    nothing = "a section whose heading shows nothing"
    assert reply.startswith(f"1605.08386: approved into {nothing} (candidate "), reply
    assert again == f"1605.08386 is already in the list ({nothing}); nothing was added", again


@pytest.mark.asyncio
@pytest.mark.parametrize("long", ["\U0001d40f" * 60, "p" * 150])
async def test_a_section_whose_heading_is_over_a_choices_limit_can_be_chosen(
    fake: FakeDiscord, arxiv: ArxivServer, tmp_path: Path, long: str
) -> None:
    """A choice's value is at most 100 units, and a heading may be 200 characters: the value of a longer one was its
    first 100 units, which named no section, so choosing it got 'no section named ...' and the paper was not added."""
    _, settings = seeded_with(fake, arxiv, tmp_path, lambda heading: f"{heading} {long}")
    database = open_service_database(settings)
    try:
        async with running(settings, database):
            await eventually(lambda: GUILD_ID in fake.commands, "commands registered")
            typed = {"paper": "1605.08386", "section": "prob"}
            token = await fake.use_command(MAINTAINER, "add", typed, focused="section")
            await eventually(lambda: bool(fake.answer_bodies(token)), "choices offered")
            (choice,) = fake.answer_bodies(token)[0]["choices"]
            options = {"paper": "1605.08386", "section": choice["value"]}
            reply = await answer(fake, await fake.use_command(MAINTAINER, "add", options))
    finally:
        database.dispose()
    assert reply.startswith("1605.08386: approved into "), reply
    assert HEAT_BATH_LINK in section_of(settings.list_markdown_path.read_text(encoding="utf-8"), long)
