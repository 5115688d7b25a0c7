"""The second tier: papers scored just under the review threshold reach the maintainers only through the
maintainers' edition of the weekly digest ("Worth a look", with why they were flagged and a signed one-click approval
link); Discord, /review and the private candidates feed show only the first tier. Real SQLite, the web app on
loopback, aiosmtpd, the fake Discord.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from markupsafe import escape as html_escape

from digest.config.secretstore import ensure_secrets
from digest.discord import messages as discord_messages
from digest.relevance.why import Neighbour, Why
from digest.review.signing import verify_link
from digest.service.wiring import open_service_database
from digest.storage.models import Candidate
from digest.weekly.contents import load_digest
from digest.weekly.issue import IsoWeek
from digest.weekly.itemtext import single_line
from digest.weekly.rendering import markdown_text
from digest.weekly.store import send_week
from tests.conftest import make_settings
from tests.discord_bot import running
from tests.factories import insert_candidate, real_papers
from tests.fake_discord import FakeDiscord
from tests.hostile_text import UNESCAPED, assert_harmless_html
from tests.postgres_server import each_database, postgres_server, postgres_url  # noqa: F401  (fixtures)
from tests.second_tier import (
    APPROVE_LINE,
    FIRST,
    MAINTAINERS,
    SECOND,
    SECTION,
    WHY,
    between,
    email_parts,
    insert_tiers,
    printed_markdown,
    site,
    weekly_email,
    weekly_markdown,
)
from tests.smtp_server import Inbox, free_port, smtp_server
from tests.web_server import SECRETS_ENV, Site, sign_in
from tests.weekly_data import WEEK

__all__ = ["site"]  # the fixture: the web app with the weekly email at an SMTP port the test serves


@pytest.mark.asyncio
async def test_the_second_tier_is_worth_a_look_in_the_digest_and_its_link_approves_it(site: Site) -> None:
    first, second = insert_tiers(site)

    markdown = printed_markdown(site)
    worth = between(markdown, "## Worth a look", "## The week in numbers")
    assert f"[{markdown_text(SECOND['title'])}](https://arxiv.org/abs/{SECOND['arxiv_id']})" in worth
    assert FIRST["title"] not in worth  # the first tier waits for review in its own section
    assert FIRST["title"] in between(markdown, "## Waiting for review", "## Worth a look")
    assert "matched: sparse autoencoder, vision transformer" in worth
    assert "pushed up by: keyword rules +0.58; word log-odds +0.27" in worth
    assert f"suggested for *{SECTION}*" in worth
    markdown_link = re.search(rf"\[Approve into {SECTION}\]\((http://[^)]+)\)", worth)
    assert markdown_link is not None

    text, html = email_parts(weekly_email(site))
    worth_text = between(text, "== Worth a look ==", "== The week in numbers ==")
    assert SECOND["title"] in worth_text and FIRST["title"] not in worth_text
    for line in WHY.lines():
        assert line in " ".join(worth_text.split())  # a line past an email's width is wrapped
        assert str(html_escape(line)) in html
    approve = APPROVE_LINE.search(worth_text)
    assert approve is not None and approve.group(1) == SECTION
    link = approve.group(2)
    assert link == markdown_link.group(1)  # one link builder: the same signed link in both
    assert f'<a href="{html_escape(link)}"' in html and str(html_escape(SECOND["title"])) in html

    # The copy the weekly folder keeps lists the same papers, without the links: on disk a signed link would approve
    # for whoever reads the folder (a backup, a published archive) until it expires.
    kept = between(weekly_markdown(site), "## Worth a look", "## The week in numbers")
    assert f"[{markdown_text(SECOND['title'])}](https://arxiv.org/abs/{SECOND['arxiv_id']})" in kept
    assert "/approve/" not in kept and link.rsplit("/", 1)[1] not in kept
    assert "approval links are in the maintainers' email only" in kept

    # The readers' edition of the same week, to the readers only: neither tier, no link, no signed token.
    for part in (*email_parts(weekly_email(site, "readers")), weekly_markdown(site, "readers")):
        assert SECOND["title"] not in part and FIRST["title"] not in part and "Worth a look" not in part
        assert "/approve/" not in part and link.rsplit("/", 1)[1] not in part

    # The link opens the confirmation page (it shows why, and changes nothing); the button approves.
    address = urlsplit(link)
    async with site.client.get(f"{address.path}?{address.query}") as reply:
        assert reply.status == 200
        page = await reply.text()
    assert str(html_escape(SECOND["title"])) in page and f"Approve into {SECTION}" in page
    assert str(html_escape(WHY.lines()[-1])) in page
    assert site.status_of(second) == "pending"
    form_action = re.search(r'<form method="post" action="([^"]+)"', page)
    assert form_action is not None
    async with site.client.post(form_action.group(1).replace("&amp;", "&")) as reply:
        assert reply.status == 200, await reply.text()
    assert site.status_of(second) == "approved" and site.status_of(first) == "pending"
    # The audit log names the email, not the private feed, as the way the decision came.
    await sign_in(site)
    async with site.client.get("/history") as reply:
        assert "<td>email</td>" in await reply.text()
    async with site.client.get("/list.md") as reply:
        listed = between(await reply.text(), f"{SECTION}\n", "\n### ")
    assert SECOND["arxiv_id"] in listed and FIRST["arxiv_id"] not in listed


@pytest.mark.asyncio
async def test_only_the_first_tier_reaches_discord_the_review_page_and_the_candidates_feed(
    site: Site, fake: FakeDiscord
) -> None:
    first, second = insert_tiers(site)
    older = insert_candidate(site.database, real_papers()[3], score=1.2, first_seen_at=site.clock())  # no why

    async with running(site.settings, site.database) as bot:
        report = await bot.post_pending()
    assert (report.posted, report.waiting) == (2, 0)
    embeds = {embed["url"]: embed for body in fake.posted() for embed in body["embeds"]}
    assert set(embeds) == {
        f"https://arxiv.org/abs/{FIRST['arxiv_id']}",
        f"https://arxiv.org/abs/{real_papers()[3]['arxiv_id']}",
    }
    why_fields = {
        url: [field["value"] for field in embed["fields"] if field["name"] == "Why"] for url, embed in embeds.items()
    }
    assert (
        why_fields[f"https://arxiv.org/abs/{FIRST['arxiv_id']}"]
        == [  # its terms in the Matched field alone
            "\n".join(discord_messages.escape(line) for line in WHY.lines()[1:])
        ]
    )
    assert why_fields[f"https://arxiv.org/abs/{real_papers()[3]['arxiv_id']}"] == []  # an older row: nothing extra

    await sign_in(site)
    async with site.client.get("/review") as reply:
        review = await reply.text()
    assert str(html_escape(FIRST["title"])) in review and f"candidate-{older}" in review
    assert str(html_escape(SECOND["title"])) not in review and f"candidate-{second}" not in review
    card = between(review, f'id="candidate-{first}"', "</article>")
    assert all(str(html_escape(line)) in card for line in WHY.lines())
    older_card = between(review, f'id="candidate-{older}"', "</article>")  # no why: only the terms it marks
    assert '<ul class="meta why"><li>matched: sparse autoencoder, vision</li></ul>' in older_card

    async with site.client.get("/feeds/candidates.xml", params={"token": SECRETS_ENV["DIGEST_FEED_TOKEN"]}) as reply:
        feed = await reply.text()
    assert FIRST["arxiv_id"] in feed and SECOND["arxiv_id"] not in feed
    assert site.status_of(first) == site.status_of(second) == "pending"


@pytest.mark.asyncio
async def test_a_hostile_second_tier_title_is_inert_in_the_html_email_and_the_markdown(site: Site) -> None:
    hostile = "<script>alert(1)</script> ](javascript:alert(2)) *bold* <img src=x onerror=alert(3)> " + SECOND["title"]
    insert_tiers(site, second_title=hostile)

    _, html = email_parts(weekly_email(site))
    worth = between(html, "Worth a look</h2>", "The week in numbers</h2>")
    assert_harmless_html(html)
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; ](javascript:alert(2)) *bold* &lt;img src=x" in worth

    markdown = between(weekly_markdown(site), "## Worth a look", "## The week in numbers")
    assert not UNESCAPED.search(markdown), UNESCAPED.search(markdown)
    assert r"\<script\>alert(1)\</script\> \](javascript:alert(2)) \*bold\*" in markdown


def test_the_week_lists_its_own_second_tier_best_first_up_to_the_setting(
    tmp_path: Path,
    each_database: dict[str, str],  # noqa: F811
) -> None:
    """On SQLite and PostgreSQL alike (its server in a zone 14 hours from UTC): the week's bounds, the best first."""
    config = "[weekly]\nsecond_tier_top = 2\nsend_quiet_week = false\n"
    config += f'\n[smtp]\nhost = "127.0.0.1"\nport = {free_port()}\nsecurity = "none"\n'
    config += f'maintainer_recipients = ["{MAINTAINERS}"]\n'  # no readers: maintainers alone switch email on
    settings = make_settings(tmp_path / "data", config, each_database)  # no secrets: the web app would generate them
    database = open_service_database(settings)
    in_week, now = datetime(2026, 11, 24, 9, tzinfo=UTC), datetime(2026, 11, 30, 7, tzinfo=UTC)
    papers = real_papers()
    try:
        ids = [
            insert_candidate(
                database, papers[index], score=score, relevant=False, status=status, first_seen_at=seen, updated_at=seen
            )
            for index, score, seen, status in (
                (0, 0.71, in_week, "pending"),
                (1, 0.95, in_week, "pending"),
                (2, 0.83, in_week, "pending"),
                (3, 0.99, in_week - timedelta(days=7), "pending"),  # first seen the week before
                (4, 0.98, in_week, "rejected"),  # decided already
            )
        ]
        with database.reading() as session:
            digest = load_digest(session, settings, WEEK, now=now, edition="maintainers")
        assert [item.title for item in digest.second_tier] == [single_line(papers[i]["title"]) for i in (1, 2)]
        assert digest.quiet and digest.pending_count == 0  # nothing joined the list; nothing waits for review
        with database.reading() as session:
            earlier = load_digest(session, settings, WEEK.previous(), now=now, edition="maintainers")
        assert [item.title for item in earlier.second_tier] == [single_line(papers[3]["title"])]
        # Signed with the key the web app checks links with (here generated into the data folder).
        approve_url = digest.second_tier[0].approve_url
        assert approve_url is not None and approve_url.startswith(settings.web.base_url + "/approve/")
        token = urlsplit(approve_url).path.rsplit("/", 1)[1]
        link = verify_link(ensure_secrets(settings).secret_key.get_secret_value(), token, now)
        assert (link.candidate_id, link.action, link.section) == (ids[1], "approve", SECTION)
        assert link.expires_at == now + timedelta(days=settings.web.approval_link_days)

        # A week that is quiet but has papers worth a look is still sent: the email is their only way out.
        inbox = Inbox()
        with smtp_server(inbox, settings.smtp.port):
            assert send_week(settings, database, WEEK, now, edition="maintainers").status == "sent"
            assert (
                send_week(settings, database, IsoWeek(2026, 49), now, edition="maintainers").status == "quiet-skipped"
            )
        assert len(inbox.messages) == 1 and "Worth a look" in email_parts(inbox.messages[0])[0]
    finally:
        database.dispose()


def test_a_long_hostile_why_stays_inert_and_within_discords_limits() -> None:
    """Why lines quote list titles and feed terms: escaped, pinging nobody, and cut so the embed fits Discord."""
    hostile = "@everyone [x](https://evil.example) **bold** " * 20
    why = Why(
        terms=tuple(hostile.split()[:8]), parts=(("rules", 0.5),), nearest=(Neighbour(hostile, "Steering", 0.3),) * 5
    )
    record = real_papers()[0]
    candidate = Candidate(
        id=7,
        arxiv_id=record["arxiv_id"],
        title=record["title"],
        abstract=" ".join([record["abstract"]] * 6),
        authors=[f"Author {n}" for n in range(40)],
        matched=["sparse autoencoder"],
        score=0.97,
        suggested_section=SECTION,
        status="pending",
        why=why.to_json(),
    )
    embed = discord_messages.candidate_embed(candidate, {})
    value = next(field["value"] for field in embed["fields"] if field["name"] == "Why")
    assert len(value) <= discord_messages.FIELD_LIMIT and discord_messages.embed_length(embed) <= 6000
    assert value.count("\n") == len(why.lines()) - 2 and value.endswith("…")  # its terms: the Matched field's
    matched = next(field["value"] for field in embed["fields"] if field["name"] == "Matched")
    for shown in (value, matched):
        assert "@everyone" not in shown and "](https://evil" not in shown and "**" not in shown


@pytest.mark.asyncio
async def test_a_second_tier_title_that_draws_nothing_still_names_and_links_the_paper_in_the_email(site: Site) -> None:
    """A title of a Braille blank and a Hangul filler passes arXiv's cleaning (they are no white space): the email's
    "Worth a look" linked the paper by that title alone, a link the maintainer could neither read nor click. It reads
    'Untitled paper, arXiv <id>', as in Discord."""
    insert_tiers(site, second_title="\u2800\u3164")

    text, html = email_parts(weekly_email(site))
    worth = between(html, "Worth a look</h2>", "The week in numbers</h2>")
    untitled = f"Untitled paper, arXiv {SECOND['arxiv_id']}"
    assert f'<a href="https://arxiv.org/abs/{SECOND["arxiv_id"]}" ' in worth
    assert f'text-decoration:none;">{untitled}</a>' in worth, worth
    assert f"1. {untitled} (score 0.93" in between(text, "== Worth a look ==", "== The week in numbers ==")


@pytest.mark.asyncio
async def test_the_maintainers_email_says_until_when_its_approval_links_work(site: Site) -> None:
    """The "Worth a look" links expire (web.approval_link_days after the email was made), and nothing in the email
    said so: a maintainer reading an older digest learnt it only from the refusal page. The email says when they
    stop working; the copy kept on disk, which has no links, says nothing of it."""
    insert_tiers(site)
    until = site.clock() + timedelta(days=site.settings.web.approval_link_days)
    text, html = email_parts(weekly_email(site))
    line = f"The approval links below work until {until:%Y-%m-%d %H:%M} UTC."
    assert line in " ".join(between(text, "== Worth a look ==", "== The week in numbers ==").split()), text
    assert line in between(html, "Worth a look</h2>", "The week in numbers</h2>"), html
    assert "work until" not in weekly_markdown(site)


@pytest.mark.asyncio
async def test_the_maintainers_email_names_a_waiting_papers_suggestion_as_the_list_names_it_now(site: Site) -> None:
    """A heading renamed ("Sparse Autoencoder" to "Sparse Autoencoder Features") after a paper suggested for it began
    waiting for review: the maintainers' email said 'suggested for Sparse Autoencoder', a section the list no longer
    names so, where the review page offers the renamed heading. Expected: the email names it as the list does now."""
    from tests.web_pages import rename_headings

    insert_tiers(site)
    renamed = f"{SECTION} Features"
    rename_headings(site, {SECTION: renamed})
    text, html = email_parts(weekly_email(site))
    waiting = between(text, "== Waiting for review ==", "== Worth a look ==")
    assert f"{FIRST['title']} (score 1.70, suggested for {renamed})" in " ".join(waiting.split()), waiting
    assert f"suggested for {renamed})" in between(html, "Waiting for review</h2>", "Worth a look</h2>")
