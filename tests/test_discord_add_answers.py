"""What Discord's `/add` shows a member, over the real discord.py client and the fake Discord: answers and section
choices with a title's or heading's formatting made inert and Discord's limits held, on lists with odd headings."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.add_command import API_PATH, HEAT_BATH, recorded
from tests.arxiv_server import ArxivServer
from tests.discord_add_setup import (  # noqa: F401  (fixtures)
    HEAT_BATH_LINK,
    add_registered,
    answer,
    arxiv_api,
    offered,
    sections_named,
    seeded_with,
)
from tests.discord_bot import section_of
from tests.fake_discord import MAINTAINER, FakeDiscord


@pytest.mark.asyncio
async def test_an_answer_naming_the_lists_sections_carries_no_bidi_override(
    fake: FakeDiscord, arxiv: ArxivServer, tmp_path: Path
) -> None:
    """A heading of the list holding U+202E (the maintainer's file, kept as written) went raw into /add's answer
    naming the list's sections, reversing the rest of the line in Discord; the answer blanks it, the file keeps it."""
    seed, settings = seeded_with(fake, arxiv, tmp_path, lambda heading: heading + "\u202e")
    async with add_registered(fake, settings):
        reply = await sections_named(fake)
        (choice,) = await offered(fake, {"paper": "1605.08386", "section": "prob"})
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
    async with add_registered(fake, settings):
        options = {"paper": "1605.08386", "section": "Probing"}
        again = await answer(fake, await fake.use_command(MAINTAINER, "add", options))
    assert again == (
        r"1605.08386 (\*\*Heat-bath\*\* \[walks\]\(https://evil.example\) @"
        "\u200beveryone) is already in the list by its title; nothing was added"
    )


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
    async with add_registered(fake, settings):
        reply = await sections_named(fake)
        choices = await offered(fake, {"paper": "1605.08386", "section": ""})
    assert reply.startswith("no section named 'Nowhere' in the list (sections: ") and "Probing" in reply
    assert utf16_units(reply) <= CONTENT_LIMIT
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
    async with add_registered(fake, settings):
        choices = await offered(fake, {"paper": "1605.08386", "section": ""})
        names = {choice["name"]: choice["value"] for choice in choices}
        assert "Probing" in names and not any(is_blank(name) for name in names), names
        (value,) = [v for name, v in names.items() if name == "a section whose heading shows nothing"]
        # Typing what the choice shows finds it (it was matched against the heading's invisible characters).
        assert [c["value"] for c in await offered(fake, {"paper": "1605.08386", "section": "shows noth"})] == [value]
        options = {"paper": "1605.08386", "section": value}
        reply = await answer(fake, await fake.use_command(MAINTAINER, "add", options))
        again = await answer(fake, await fake.use_command(MAINTAINER, "add", {"paper": "1605.08386"}))
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
    async with add_registered(fake, settings):
        (choice,) = await offered(fake, {"paper": "1605.08386", "section": "prob"})
        options = {"paper": "1605.08386", "section": choice["value"]}
        reply = await answer(fake, await fake.use_command(MAINTAINER, "add", options))
    assert reply.startswith("1605.08386: approved into "), reply
    assert HEAT_BATH_LINK in section_of(settings.list_markdown_path.read_text(encoding="utf-8"), long)
