"""Sections the list repeats ('Probing' in each year's block) are offered and recorded by their label
('Probing (2024)'): the places that read a recorded or suggested section must take the label as the section it names."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from digest.cli import main
from digest.config.secretstore import ensure_secrets
from digest.publish.publisher import PUBLISHED, Publisher
from digest.resources import seed_list_path
from digest.review.reviewer import Reviewer
from digest.review.signing import verify_link
from digest.service.wiring import open_service_database
from digest.storage.db import open_database
from digest.weekly.contents import load_digest
from digest.weekly.issue import IsoWeek
from tests.conftest import make_settings, seed_config, seeded_bot_settings
from tests.discord_bot import decision_count, eventually, last_embed, list_md, posted_candidate, row, running
from tests.factories import insert_candidate, real_papers
from tests.fake_discord import MAINTAINER, FakeDiscord
from tests.git_remote import make_remote, publish_config
from tests.list_edits import ANN, NOW, YEAR_BLOCKS, markdown, own_list, paper_dated, reimport, repeated_probing
from tests.postgres_server import each_database, on_each_database, postgres_server, postgres_url  # noqa: F401  (fixtures)

__all__ = ["own_list"]  # the fixture, shared with test_list_hand_edits


def publishing_off_then_on(tmp_path: Path, section: str, rename: tuple[str, str] | None = None) -> tuple[str, str]:
    """A paper approved into `section` of YEAR_BLOCKS while publishing was off, the heading `rename` renamed by hand
    in the list and its repository meanwhile, then publishing switched on: the repository's file after the first
    sync, and the list's."""
    remote = make_remote(tmp_path)
    remote.push_edit(remote.readme(), YEAR_BLOCKS, subject="Our own list")
    settings = make_settings(tmp_path / "data", seed_config(tmp_path, YEAR_BLOCKS) + publish_config(remote.url))
    database = open_service_database(settings)
    try:
        candidate_id = insert_candidate(database, paper_dated(4, "2024-06-20"))
        outcome = Reviewer(database, settings, clock=lambda: NOW).decide(candidate_id, "approve", ANN, section=section)
        assert outcome.message == f"approved into {section}"
        if rename is not None:
            reimport(database, markdown(database, settings).replace(*rename))
            remote.push_edit(*rename, subject="Rename a section")
        publisher = Publisher(database, settings, clock=lambda: NOW)
        publisher.remember_base()  # publishing switched on
        result = publisher.publish()
        assert result.outcome == PUBLISHED, result.message
        return remote.readme(), settings.list_markdown_path.read_text(encoding="utf-8")
    finally:
        database.dispose()


def test_an_approval_into_a_repeated_section_before_publishing_was_on_survives_the_first_sync(tmp_path: Path) -> None:
    """The first sync's base left out the entries approvals made by matching the decision's section to the section's
    name; a decision recorded as 'Probing (2024)' matched no 'Probing', so the approved entry was in the base, taken
    for the maintainers' own, and the first sync dropped it from the list without a word."""
    readme, listed = publishing_off_then_on(tmp_path, "Probing (2024)")
    assert "(Jun. 20, 2024)" in readme.split("## 2024")[1]
    assert "(Jun. 20, 2024)" in listed


@pytest.mark.asyncio
async def test_a_section_emoji_configured_with_a_repeated_sections_label_approves_into_that_section(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    """The bot named a section emoji's section by the list's bare heading name: an emoji configured as the list offers
    the section ('Probing (2024)', what the choose-one error asks for) approved nothing, the paper left pending."""
    emojis = '[discord.section_emojis]\n"Probing (2024)" = "🔍"\n'
    settings = seeded_bot_settings(tmp_path, fake, YEAR_BLOCKS, emojis)
    db = open_service_database(settings)
    try:
        async with running(settings, db) as bot:
            candidate_id, mid = await posted_candidate(fake, db, bot, 4, published=datetime(2024, 6, 20, tzinfo=UTC))
            await fake.react(mid, MAINTAINER, "🔍")
            approved = "Approved by ann into Probing \\(2024\\)"  # Markdown escaped
            await eventually(lambda: approved in last_embed(fake, mid)["description"], "approved into its block")
        async with running(settings, db):  # caught up: the 🔍 is the decision already made
            pass
        assert row(db, candidate_id).status == "approved" and decision_count(db) == 1
        assert "(Jun. 20, 2024)" in list_md(settings).split("## 2024")[1]
    finally:
        db.dispose()


def test_the_maintainers_digest_offers_no_approval_link_into_a_name_the_list_repeats(tmp_path: Path) -> None:
    """'Worth a look' signed a one-click approval into the suggested section whenever a section had that name: a
    suggestion of 'Probing', where each year's block has one, got a link the confirmation refused ('the list has 2
    sections named 'Probing': name one of ...'); no link into the name is offered now (one into each section having it
    is, labelled), and a suggestion naming one section ('Steering') keeps its link."""
    config = seed_config(tmp_path, YEAR_BLOCKS) + '\n[smtp]\nhost = "127.0.0.1"\nport = 2525\nsecurity = "none"\n'
    config += 'maintainer_recipients = ["team@example.org"]\n'
    settings = make_settings(tmp_path / "data", config)
    database = open_service_database(settings)
    in_week, now = datetime(2026, 11, 24, 9, tzinfo=UTC), datetime(2026, 11, 30, 7, tzinfo=UTC)
    try:
        for index, section in ((0, "Probing"), (1, "Steering")):
            seen = {"first_seen_at": in_week, "updated_at": in_week, "relevant": False, "score": 0.9 - index / 10}
            insert_candidate(database, real_papers()[index], suggested_section=section, **seen)
        with database.reading() as session:
            digest = load_digest(session, settings, IsoWeek(2026, 48), now=now, edition="maintainers")
        links = {item.suggested_section: item.approve_url for item in digest.second_tier}
        shared = "Probing (2 sections have this name: Probing (2025), Probing (2024))"  # as Discord names it
        assert set(links) == {shared, "Steering"}
        assert links[shared] is None  # none into the name: one into each section having it, as the feed offers
        each = next(item.approve_each for item in digest.second_tier if item.suggested_section == shared)
        assert [section for section, _ in each] == ["Probing (2025)", "Probing (2024)"]
        token = str(links["Steering"]).split("?")[0].rsplit("/", 1)[1]
        link = verify_link(ensure_secrets(settings).secret_key.get_secret_value(), token, now)
        outcome = Reviewer(database, settings, clock=lambda: now).decide(
            link.candidate_id, "approve", ANN, link.section
        )
        assert outcome.message == "approved into Steering"
    finally:
        database.dispose()


def test_approving_a_paper_moved_by_hand_into_a_repeated_section_keeps_the_maintainers_lines(own_list: Any) -> None:
    """A paper approved into Steering that a maintainer moved by hand into the 2024 block's Probing (and annotated),
    then approved into 'Probing (2024)' to record the move: its hand-written entry was taken out and a new one
    written in its place, the maintainer's note lost without a word (a section the list does not repeat kept it)."""
    settings, database = own_list(YEAR_BLOCKS)
    reviewer = Reviewer(database, settings, clock=lambda: NOW)
    candidate_id = insert_candidate(database, paper_dated(4, "2024-06-20"))
    reviewer.decide(candidate_id, "approve", ANN, section="Steering")
    text = markdown(database, settings)
    line = next(line for line in text.splitlines() if "(Jun. 20, 2024)" in line)
    hand = line + " **[code](https://github.com/example/curves)** (a maintainer's note)"
    moved = text.replace(line + "\n", "").replace("### Probing\n\n+ [Gamma", f"### Probing\n\n{hand}\n+ [Gamma")
    assert moved.count("(Jun. 20, 2024)") == 1 and moved.split("## 2024")[1].count("(Jun. 20, 2024)") == 1
    reimport(database, moved)
    outcome = reviewer.decide(candidate_id, "approve", ANN, section="Probing (2024)")
    assert outcome.status == "approved"
    after = markdown(database, settings)
    assert hand in after and after.count("(Jun. 20, 2024)") == 1


def test_an_approval_into_a_section_renamed_since_survives_the_first_sync(tmp_path: Path) -> None:
    """As for a repeated section: a paper approved into 'Steering' while publishing was off, the heading renamed
    'Steering vectors' by hand since (or its markup left out of its name by an upgrade), was dropped by the first
    sync; the decision's section is read as an approval reads a name now."""
    readme, _ = publishing_off_then_on(tmp_path, "Steering", ("### Steering\n", "### Steering vectors\n"))
    assert "### Steering vectors" in readme and "(Jun. 20, 2024)" in readme.split("## 2024")[0]


def test_a_repeated_heading_whose_label_is_long_is_approved_into_alike_on_either_database(
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    on_each_database: dict[str, str],  # noqa: F811
) -> None:
    """A heading of 160 characters repeated under a block of its own ('Papers from the year before, ...'): its label,
    name and heading, is 218 characters, and a decision records it as the section. PostgreSQL refused the approval
    ('value too long for type character varying(200)') where SQLite made it; the label is now cut to 200 characters,
    and the label written whole still names that section."""
    assert main(["--data-dir", str(data_dir), "list", "export", "-o", str(tmp_path / "before.md")]) == 0
    name = "Probing " + "and more probing " * 9  # 160 characters with the heading's emoji
    parent = "Papers from the year before, kept apart for reference"
    edited = tmp_path / "edited.md"
    edited.write_text(repeated_probing(seed_list_path().read_text(encoding="utf-8"), name, parent), encoding="utf-8")
    assert main(["--data-dir", str(data_dir), "list", "import", str(edited)]) == 0
    url = on_each_database.get("DIGEST_DATABASE_URL") or f"sqlite:///{data_dir / 'digest.sqlite3'}"
    database = open_database(url)
    try:
        paper = real_papers()[1]
        candidate_id = insert_candidate(database, paper)
    finally:
        database.dispose()
    whole = f"{name.strip()} ({parent})"
    assert len(whole) > 200
    capsys.readouterr()
    assert main(["--data-dir", str(data_dir), "approve", str(candidate_id), "--section", whole]) == 0, (
        capsys.readouterr().err
    )
    said = capsys.readouterr().out.strip()
    label = said.split(" approved into ", 1)[1]
    assert len(label) <= 200 and label.endswith(f"… ({parent})") and label.startswith("Probing and more probing")
    assert main(["--data-dir", str(data_dir), "list", "export"]) == 0
    listed = capsys.readouterr().out
    assert listed.index(str(paper["arxiv_id"])) > listed.index(f"## {parent}")
    assert main(["--data-dir", str(data_dir), "approve", str(candidate_id), "--section", label]) == 0
    assert f"already approved into {label}" in capsys.readouterr().out
