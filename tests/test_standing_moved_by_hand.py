"""Whose decision stands, told after a maintainer moved the approved paper by hand (the list edited and imported, no
heading renamed): the review page's card and the Discord message name the section the list holds it in now, and the
answers saying "already approved into ..." named the section the decision recorded, next to them. Each channel a
maintainer meets it in now names where the list holds the paper (where_now.decided_where_now); the decision's own
record is kept as made."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from digest.awesome import store as liststore
from digest.cli import main
from digest.config import Settings
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor, Outcome
from digest.review.signing import ApprovalLink, sign_link
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from tests.conftest import make_settings
from tests.discord_bot import (
    eventually,
    last_embed,
    list_md,
    posted_candidate,
    row,
    running,
    section_of,
)
from tests.factories import insert_candidate, real_papers
from tests.fake_discord import LISTED_MAINTAINER, MAINTAINER, FakeDiscord
from tests.list_edits import imported, moved
from tests.postgres_server import each_database, on_each_database, postgres_server, postgres_url  # noqa: F401  (fixtures)
from tests.web_pages import card, post, review
from tests.web_server import SECRETS_ENV, Site, sign_in

ANN = Actor("ann", "1001", "discord")


def moved_on_site(site: Site, arxiv_id: str, heading: str) -> None:
    """The site's list with the paper's entry moved by hand under `heading`, imported."""
    edited = moved(arxiv_id, heading)(site.settings.list_markdown_path.read_text(encoding="utf-8"))
    with site.database.transaction() as session:
        liststore.import_markdown(session, edited.encode("utf-8"), source="list.md")


def test_the_command_line_says_where_the_list_holds_a_paper_moved_by_hand(
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    on_each_database: dict[str, str],  # noqa: F811
) -> None:
    """ann approved two papers into Steering in Discord; a maintainer moved both to Probing by hand. bob's `digest
    reject` and `digest approve --section Steering` answered "it was approved into Steering by ann", where the list,
    the card and ann's message said Probing (and the approval did move the paper back). Expected: Probing, on each
    database (the list's import and bob's commands name the service's: DIGEST_DATABASE_URL on PostgreSQL)."""
    settings = make_settings(data_dir, environ=on_each_database)
    database = open_service_database(settings)
    try:
        first, second = (insert_candidate(database, paper) for paper in real_papers()[:2])
        reviewer = Reviewer(database, settings)
        for candidate_id in (first, second):
            reviewer.decide(candidate_id, "approve", ANN, "Steering")
    finally:
        database.dispose()
    one, two = (paper["arxiv_id"] for paper in real_papers()[:2])
    imported(data_dir, tmp_path, lambda text: moved(two, "Probing")(moved(one, "Probing")(text)))
    capsys.readouterr()
    assert main(["--data-dir", str(data_dir), "reject", str(first)]) == 0
    assert main(["--data-dir", str(data_dir), "approve", str(second), "--section", "Steering"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"candidate {first} ({one}): rejected; it was approved into Probing by ann via discord")
    assert out[1].startswith(
        f"candidate {second} ({two}): moved from Probing (where a maintainer had moved it by hand after its approval "
        "into Steering by ann via discord"
    )


@pytest.mark.asyncio
async def test_an_approval_link_of_a_paper_moved_by_hand_since_names_where_the_list_holds_it(site: Site) -> None:
    """An approval link opened after the paper was approved into Steering and moved by hand to Probing: the page said
    "already approved into Steering", where the review page's card says Probing. Expected: Probing."""
    paper = real_papers()[0]
    candidate_id = insert_candidate(site.database, paper)
    link = ApprovalLink(candidate_id, "approve", None, site.clock() + timedelta(days=3), paper["arxiv_id"])
    site.reviewer.decide(candidate_id, "approve", Actor(name="ada", id=None, channel="cli"), "Steering")
    moved_on_site(site, paper["arxiv_id"], "Probing")
    async with site.client.get("/approve/" + sign_link(SECRETS_ENV["DIGEST_SECRET_KEY"], link)) as reply:
        page = await reply.text()
    assert reply.status == 200
    assert "already approved into Probing by ada" in page, page
    assert row(site.database, candidate_id).decided_section == "Steering"  # the decision's record is as it was


@pytest.mark.asyncio
async def test_the_review_pages_notice_names_where_the_list_holds_a_paper_moved_by_hand(site: Site) -> None:
    """A review page opened before ann approved a paper into Steering, which a maintainer then moved by hand to
    Probing: its Reject answered "Not done: ... already approved into Steering" above the card saying Probing."""
    paper = real_papers()[7]
    candidate_id = insert_candidate(site.database, paper)
    _, csrf = await sign_in(site)
    site.reviewer.decide(candidate_id, "approve", ANN, "Steering")
    moved_on_site(site, paper["arxiv_id"], "Probing")
    page = await post(site, {"candidate_id": str(candidate_id), "action": "reject", "csrf": csrf})
    assert "Not done:" in page and "already approved into Probing by ann via discord" in page, page
    assert "approved into Probing by ann" in card(await review(site, status="approved"), candidate_id)


@pytest.mark.asyncio
async def test_a_reaction_refused_names_where_the_list_holds_a_paper_moved_by_hand(
    fake: FakeDiscord, db: Database, bot_settings: Settings, data_dir: Path, tmp_path: Path
) -> None:
    """bob approved a paper into Steering with `digest approve`, a maintainer moved it by hand to Probing, and ann's ❌
    on its message was refused with "it was already approved into Steering by bob", under the message's own
    "Approved by bob into Probing". Expected: Probing in both."""
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0, suggested_section="Steering")
        Reviewer(db, bot_settings).decide(candidate_id, "approve", Actor("bob", None, "cli"), "Steering")
        imported(data_dir, tmp_path, moved(row(db, candidate_id).arxiv_id, "Probing"))
        await fake.react(mid, MAINTAINER, "❌")
        await eventually(lambda: "Couldn't reject" in last_embed(fake, mid)["description"], "told why")
    description = last_embed(fake, mid)["description"]
    assert "already approved into Probing by bob via cli" in description, description
    assert row(db, candidate_id).status == "approved"


@pytest.mark.asyncio
async def test_a_second_maintainers_tick_leaves_a_paper_moved_by_hand_where_it_is(
    fake: FakeDiscord, db: Database, bot_settings: Settings, data_dir: Path, tmp_path: Path
) -> None:
    """Discord shares the approval's path: ann's ✅ approved a paper into Steering, a maintainer moved it by hand to
    Probing, and bob's ✅ (agreeing) moved it back to Steering. Expected: it stays in Probing."""
    decided: list[Outcome] = []

    async def heard(outcome: Outcome) -> None:  # told once the decision and the list file it rewrites are done
        decided.append(outcome)

    async with running(bot_settings, db) as bot:
        bot.reviewer.add_listener(heard)
        candidate_id, mid = await posted_candidate(fake, db, bot, 0, suggested_section="Steering")
        await fake.react(mid, MAINTAINER, "✅")
        await eventually(lambda: len(decided) == 1, "ann's approval")
        arxiv_id = row(db, candidate_id).arxiv_id
        imported(data_dir, tmp_path, moved(arxiv_id, "Probing"))
        await fake.react(mid, LISTED_MAINTAINER, "✅")
        await eventually(lambda: len(decided) == 2, "bob's approval")
    listed = list_md(bot_settings)
    assert arxiv_id in section_of(listed, "Probing") and arxiv_id not in section_of(listed, "Steering")
