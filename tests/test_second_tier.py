"""The second tier: papers scored just under the review threshold reach the maintainers only through the
maintainers' edition of the weekly digest ("Worth a look", with why they were flagged and a signed one-click approval
link); Discord, /review and the private candidates feed show only the first tier. Real SQLite, the web app on
loopback, aiosmtpd, the fake Discord.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from html import unescape as html_unescape
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import pytest_asyncio
from markupsafe import escape as html_escape

from digest.cli import main
from digest.config import Settings
from digest.config.secretstore import ensure_secrets
from digest.discord import messages as discord_messages
from digest.relevance.why import Neighbour, Why
from digest.review.signing import approval_signer, verify_link
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from digest.storage.models import Candidate
from digest.weekly.contents import load_digest, write_markdown
from digest.weekly.issue import Edition, IsoWeek, week_of
from digest.weekly.itemtext import single_line
from digest.weekly.rendering import markdown_text, render
from digest.weekly.store import send_week
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.fake_discord import FakeDiscord
from tests.smtp_server import Inbox, free_port, smtp_server
from tests.test_discord_bot import running
from tests.test_hostile_text import UNESCAPED, assert_harmless_html
from tests.web_server import SECRETS_ENV, Site, running_site, sign_in
from tests.weekly_data import WEEK

FIRST, SECOND = real_papers()[0], real_papers()[1]  # both about sparse autoencoders in vision models
SECTION = "Sparse Autoencoder"
WHY = Why(
    terms=("sparse autoencoder", "vision transformer"),
    parts=(("keyword rules", 0.58), ("word log-odds", 0.27), ("application penalty", -0.15)),
    nearest=(Neighbour("Sparse Autoencoders & <Vision> Models: a Survey", SECTION, 0.41),),
)
READERS, MAINTAINERS = "readers@example.org", "team@example.org"
APPROVE_LINE = re.compile(r"^ *Approve into (.+): (\S+)$", re.MULTILINE)


@pytest_asyncio.fixture
async def site(tmp_path: Path, fake: FakeDiscord) -> AsyncIterator[Site]:
    """The web app with Discord pointed at the fake and the weekly email at an SMTP port the test serves."""
    smtp = f'\n[smtp]\nhost = "127.0.0.1"\nport = {free_port()}\nsecurity = "none"\nrecipients = ["{READERS}"]\n'
    smtp += f'maintainer_recipients = ["{MAINTAINERS}"]\n'
    environ = {**SECRETS_ENV, "DISCORD_TOKEN": "fake-token"}
    async with running_site(make_settings(tmp_path / "data", fake.config_toml() + smtp, environ)) as running:
        yield running


def insert_tiers(site: Site, *, second_title: str | None = None) -> tuple[int, int]:
    """A first-tier candidate (above the threshold) and a second-tier one, both first seen now, both with a why."""
    now = site.clock()
    seen = {"first_seen_at": now, "updated_at": now, "why": WHY.to_json(), "suggested_section": SECTION}
    first = insert_candidate(site.database, FIRST, score=1.7, relevant=True, **seen)
    titled = {"title": second_title} if second_title else {}
    second = insert_candidate(site.database, SECOND, score=0.93, relevant=False, **seen, **titled)
    return first, second


def between(text: str, start: str, end: str) -> str:
    assert start in text, f"{start!r} missing"
    return text[text.index(start) : text.index(end, text.index(start))]


def email_parts(message: EmailMessage) -> tuple[str, str]:
    found = []
    for kind in ("plain", "html"):
        part = message.get_body((kind,))
        assert isinstance(part, EmailMessage)
        found.append(str(part.get_content()).replace("\r\n", "\n"))
    return found[0], found[1]


def weekly_email(site: Site, edition: Edition = "maintainers") -> EmailMessage:
    """The edition of the current week's digest as the SMTP server received it, sent to that edition's recipients."""
    inbox = Inbox()
    week = week_of(site.clock(), site.settings.tz)
    with smtp_server(inbox, site.settings.smtp.port):
        outcome = send_week(site.settings, site.database, week, site.clock(), edition=edition)
    assert outcome.status == "sent", outcome
    assert len(inbox.messages) == 1
    assert inbox.envelopes[0].rcpt_tos == [MAINTAINERS if edition == "maintainers" else READERS]
    return inbox.messages[0]


def weekly_markdown(site: Site, edition: Edition = "maintainers") -> str:
    """The edition's file as the weekly folder keeps it."""
    week = week_of(site.clock(), site.settings.tz)
    with site.database.reading() as session:
        digest = load_digest(session, site.settings, week, now=site.clock(), edition=edition)
    return write_markdown(digest, site.settings).read_text(encoding="utf-8")


def printed_markdown(site: Site) -> str:
    """The maintainers' edition as `digest weekly --edition maintainers --dry-run` prints it."""
    week = week_of(site.clock(), site.settings.tz)
    with site.database.reading() as session:
        digest = load_digest(session, site.settings, week, now=site.clock(), edition="maintainers")
    return render(digest, site.settings.templates_dir, "digest.md.j2")


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
        assert line in worth_text
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
    assert why_fields[f"https://arxiv.org/abs/{FIRST['arxiv_id']}"] == [
        "\n".join(discord_messages.escape(line) for line in WHY.lines())
    ]
    assert why_fields[f"https://arxiv.org/abs/{real_papers()[3]['arxiv_id']}"] == []  # an older row: nothing extra

    await sign_in(site)
    async with site.client.get("/review") as reply:
        review = await reply.text()
    assert str(html_escape(FIRST["title"])) in review and f"candidate-{older}" in review
    assert str(html_escape(SECOND["title"])) not in review and f"candidate-{second}" not in review
    card = between(review, f'id="candidate-{first}"', "</article>")
    assert all(str(html_escape(line)) in card for line in WHY.lines())
    assert 'class="meta why"' not in between(review, f'id="candidate-{older}"', "</article>")

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


def test_the_week_lists_its_own_second_tier_best_first_up_to_the_setting(tmp_path: Path) -> None:
    config = "[weekly]\nsecond_tier_top = 2\nsend_quiet_week = false\n"
    config += f'\n[smtp]\nhost = "127.0.0.1"\nport = {free_port()}\nsecurity = "none"\n'
    config += f'maintainer_recipients = ["{MAINTAINERS}"]\n'  # no readers: maintainers alone switch email on
    settings = make_settings(tmp_path / "data", config)  # no secrets in the environment: the web app would generate
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
    assert value.count("\n") == len(why.lines()) - 1 and value.endswith("…")
    assert "@everyone" not in value and "](https://evil" not in value and "**" not in value


def test_the_command_line_lists_what_waits_for_review_and_the_second_tier_only_when_asked(
    settings: Settings, database: Database, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest candidates` is the shell's review list: like /review and Discord it leaves out the pending papers just
    under the threshold (a day's review would otherwise carry the week's forty); `--second-tier` shows them, marked."""
    first = insert_candidate(database, FIRST, score=1.7, relevant=True, suggested_section=SECTION)
    second = insert_candidate(database, SECOND, score=0.93, relevant=False, suggested_section=SECTION)
    digest = ["--data-dir", str(data_dir), "candidates"]

    assert main([*digest, "--status", "pending"]) == 0
    shown = capsys.readouterr().out
    assert FIRST["arxiv_id"] in shown and SECOND["arxiv_id"] not in shown
    footer = "and 1 pending in the second tier, for the weekly digest (--second-tier lists them)"
    assert shown.splitlines()[-1] == footer

    assert main([*digest, "--second-tier"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert "(second tier)" in lines[str(second)] and "(second tier)" not in lines[str(first)]

    assert main([*digest, "--status", "pending", "--json"]) == 0
    assert [row["id"] for row in json.loads(capsys.readouterr().out)] == [first]
    assert main(["--data-dir", str(settings.data_dir), "approve", str(second)]) == 0  # from its weekly link, say
    capsys.readouterr()
    assert main([*digest, "--status", "approved", "--json"]) == 0  # decided: listed whatever its tier
    assert [(row["id"], row["tier"]) for row in json.loads(capsys.readouterr().out)] == [(second, "second")]


@pytest.mark.asyncio
async def test_a_poll_forgets_the_second_tier_of_weeks_long_past_and_keeps_what_anyone_touched(tmp_path: Path) -> None:
    """After two years, second-tier papers nobody looked at were two thirds of the candidates table. A poll forgets
    those first seen over 8 weeks ago; recent ones, and any a maintainer, Discord or a reader touched, stay."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select

    from digest.arxiv.candidates import SECOND_TIER_KEPT
    from digest.arxiv.poll_pass import run_poll
    from digest.review.reviewer import Reviewer
    from digest.review.rules import Actor
    from digest.service.wiring import open_service_database
    from digest.storage.models import Candidate
    from tests.arxiv_server import ArxivServer, FakeClock
    from tests.test_service import one_feed_config

    now = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)
    old, recent = now - SECOND_TIER_KEPT - timedelta(days=1), now - SECOND_TIER_KEPT + timedelta(days=1)
    papers = real_papers()
    async with ArxivServer() as arxiv:
        settings = make_settings(tmp_path / "data", one_feed_config(arxiv))
        database = open_service_database(settings)
        try:
            second = {"relevant": False, "score": 0.3}
            forgotten = insert_candidate(database, papers[0], first_seen_at=old, **second)
            kept = {
                "recent": insert_candidate(database, papers[1], first_seen_at=recent, **second),
                "posted": insert_candidate(database, papers[2], first_seen_at=old, discord_state="posted", **second),
                "reader": insert_candidate(database, papers[3], first_seen_at=old, reader_note="a good one", **second),
                "undone": insert_candidate(database, papers[4], first_seen_at=old, **second),
                "first tier": insert_candidate(database, papers[5], first_seen_at=old),
            }
            reviewer = Reviewer(database, settings)
            reviewer.decide(kept["undone"], "approve", Actor("ann", None, "cli"), "Steering")
            reviewer.decide(kept["undone"], "revert", Actor("ann", None, "cli"))
            await run_poll(settings, database, clock=FakeClock(now))
            with database.reading() as session:
                left = set(session.scalars(select(Candidate.id)))
        finally:
            database.dispose()
    assert forgotten not in left
    assert set(kept.values()) <= left


@pytest.mark.asyncio
@pytest.mark.parametrize("new_version", ["withdrawn", "off topic"])
async def test_a_pending_paper_a_new_version_puts_below_both_tiers_is_in_no_tier(
    settings: Settings, database: Database, data_dir: Path, capsys: pytest.CaptureFixture[str], new_version: str
) -> None:
    """Monday a paper waits for review; Tuesday arXiv announces v2, withdrawn (or now about something else, scored
    under both thresholds). It left the review queue but, kept as "not relevant", it counted as the second tier: the
    maintainers' weekly digest listed it under "Worth a look" with score 0.00 and a one-click approve link, and
    `digest candidates --second-tier` listed it. A paper below both tiers is in neither: it waits for no one."""
    from digest.arxiv.poll_pass import run_poll
    from tests.arxiv_server import ArxivServer, FakeClock, Reply
    from tests.feedbuild import build_rss
    from tests.test_arxiv_quirks import WITHDRAWN
    from tests.test_poller import MONDAY, RELEVANT, UNRELATED, records

    paper = RELEVANT[0]
    if new_version == "withdrawn":
        text = {"abstract": WITHDRAWN}
    else:
        unrelated = records(UNRELATED[0])[0]
        text = {"title": unrelated["title"], "abstract": unrelated["abstract"]}
    v2 = records(paper, version=2, announce_type="replace", **text)
    async with ArxivServer() as server:
        url = server.program(
            "/rss/cs.CV",
            Reply(body=build_rss("cs.CV", records(paper), MONDAY)),
            Reply(body=build_rss("cs.CV", v2, date(2026, 4, 28))),
        )
        await run_poll(settings, database, sources=[url], clock=FakeClock())
        second = await run_poll(settings, database, sources=[url], clock=FakeClock())
    assert second.sources[0].updated == 1
    digest = ["--data-dir", str(data_dir)]

    assert main([*digest, "weekly", "--week", "2026-W18", "--edition", "maintainers", "--dry-run"]) == 0
    weekly = capsys.readouterr().out
    assert "## Worth a look" not in weekly and paper not in weekly, weekly
    assert main([*digest, "candidates", "--second-tier"]) == 0
    listed = capsys.readouterr().out
    assert paper not in listed, listed
    assert main([*digest, "candidates"]) == 0
    assert "in the second tier" not in capsys.readouterr().out


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
async def test_an_expired_email_link_for_a_paper_worth_a_look_says_how_to_approve_it_still(site: Site) -> None:
    """A maintainer opened a "Worth a look" approval link from a three-week-old email: the page said "This link has
    expired. Take a fresh one from the candidates feed or use the review page", and a second-tier paper is on
    neither (only the email lists it), so the advice led nowhere. Expected: the page names the command that still
    approves it, and sends nobody to the feed; nothing is changed."""
    _, second = insert_tiers(site)
    text, _ = email_parts(weekly_email(site))
    approve = APPROVE_LINE.search(between(text, "== Worth a look ==", "== The week in numbers =="))
    assert approve is not None
    address = urlsplit(approve.group(2))
    site.clock.advance(timedelta(days=site.settings.web.approval_link_days + 1))
    async with site.client.get(f"{address.path}?{address.query}") as reply:
        status, page = reply.status, await reply.text()
    assert status == 403 and "Link refused: expired" in page, page
    command = f"digest approve {SECOND['arxiv_id']} --section &#34;{SECTION}&#34;"
    assert command in page or f"digest approve {SECOND['arxiv_id']} --section &quot;{SECTION}&quot;" in page, page
    assert "candidates feed" not in page, page
    assert site.status_of(second) == "pending"


@pytest.mark.asyncio
async def test_the_maintainers_email_says_until_when_its_approval_links_work(site: Site) -> None:
    """The "Worth a look" links expire (web.approval_link_days after the email was made), and nothing in the email
    said so: a maintainer reading an older digest learnt it only from the refusal page. The email says when they
    stop working; the copy kept on disk, which has no links, says nothing of it."""
    insert_tiers(site)
    until = site.clock() + timedelta(days=site.settings.web.approval_link_days)
    text, html = email_parts(weekly_email(site))
    line = f"The approval links below work until {until:%Y-%m-%d %H:%M} UTC."
    assert line in between(text, "== Worth a look ==", "== The week in numbers =="), text
    assert line in between(html, "Worth a look</h2>", "The week in numbers</h2>"), html
    assert "work until" not in weekly_markdown(site)


@pytest.mark.asyncio
async def test_an_email_link_whose_section_is_gone_says_how_to_approve_a_paper_worth_a_look(site: Site) -> None:
    """A maintainer renamed the heading a "Worth a look" paper was suggested for, then opened its link from the weekly
    email: the page said the list has no such section now and to 'Approve it into a section of the list on the review
    page', which does not show a second-tier paper (only the email lists it), so the advice led nowhere. Expected: the
    page names the command that approves it into a section of the list; no button, nothing changed."""
    from tests.test_web import rename_headings

    _, second = insert_tiers(site)
    text, _ = email_parts(weekly_email(site))
    approve = APPROVE_LINE.search(between(text, "== Worth a look ==", "== The week in numbers =="))
    assert approve is not None
    rename_headings(site, {SECTION: "Dictionary Learning"})
    address = urlsplit(approve.group(2))
    async with site.client.get(f"{address.path}?{address.query}") as reply:
        status, page = reply.status, html_unescape(await reply.text())
    assert status == 200 and f"the list has no section “{SECTION}” now" in page, page
    assert '<form method="post"' not in page
    assert f"digest approve {SECOND['arxiv_id']} --section NAME" in page, page
    assert 'on <a href="/review">the review page</a>' not in page, page
    assert site.status_of(second) == "pending"


@pytest.mark.asyncio
async def test_a_paper_worth_a_look_the_email_has_no_link_for_says_how_to_approve_it(site: Site) -> None:
    """A paper worth a look suggested for no section of the list (none, or a heading taken out since it was found)
    gets no one-click link, as an approval into it would fail: the email listed it with nothing to act on, and the
    review page does not show it, so the maintainer had no way from the email to approve it. Expected: both parts
    name the command that approves it into a section of the list."""
    now = site.clock()
    for record, section in ((FIRST, None), (SECOND, "Dictionary Learning")):
        seen = {"first_seen_at": now, "updated_at": now, "why": WHY.to_json(), "suggested_section": section}
        insert_candidate(site.database, record, score=0.93, relevant=False, **seen)
    text, html = email_parts(weekly_email(site))
    worth_text = between(text, "== Worth a look ==", "== The week in numbers ==")
    worth_html = between(html, "Worth a look</h2>", "The week in numbers</h2>")
    assert "/approve/" not in worth_text + worth_html
    for record in (FIRST, SECOND):
        command = f"digest approve {record['arxiv_id']} --section NAME"
        assert command in worth_text, worth_text
        assert command in worth_html, worth_html
    assert "work until" not in worth_text  # no link, no expiry to speak of


@pytest.mark.asyncio
async def test_a_paper_worth_a_look_suggested_for_a_renamed_section_gets_its_link_into_the_new_name(site: Site) -> None:
    """A maintainer renamed the heading a paper worth a look was suggested for ("Sparse Autoencoder" to "Sparse
    Autoencoder Features") before the week's email: the email gave it no approval link, as if the list had no such
    section, though an approval into the old name goes into the renamed heading (as a feed link's does). Expected:
    the link, named by the heading as the list has it now, approves into it."""
    from tests.test_web import rename_headings

    _, second = insert_tiers(site)
    renamed = f"{SECTION} Features"
    rename_headings(site, {SECTION: renamed})
    text, _ = email_parts(weekly_email(site))
    approve = APPROVE_LINE.search(between(text, "== Worth a look ==", "== The week in numbers =="))
    assert approve is not None, text
    assert approve.group(1) == renamed
    address = urlsplit(approve.group(2))
    async with site.client.post(f"{address.path}?{address.query}") as reply:
        assert reply.status == 200, await reply.text()
    assert site.status_of(second) == "approved"
    async with site.client.get("/list.md") as reply:
        assert SECOND["arxiv_id"] in between(await reply.text(), f"{renamed}\n", "\n### ")


@pytest.mark.asyncio
async def test_an_email_link_to_a_paper_worth_a_look_forgotten_since_says_how_to_add_it(site: Site) -> None:
    """Approval links made to last 90 days ([web] approval_link_days), a paper worth a look left alone: the poll
    forgets such a paper 8 weeks after it was found, and its link, still valid, opened a page saying 'This candidate
    is no longer in the database.' with a way back to the review page, where it never was. Expected: the page says
    the paper is no longer a candidate and names the command that adds it still; nothing is changed."""
    from digest.arxiv.candidates import SECOND_TIER_KEPT, forget_old_second_tier

    insert_tiers(site)
    web = site.settings.web.model_copy(update={"approval_link_days": 90})
    inbox = Inbox()
    with smtp_server(inbox, site.settings.smtp.port):
        week = week_of(site.clock(), site.settings.tz)
        settings = site.settings.model_copy(update={"web": web})
        assert send_week(settings, site.database, week, site.clock(), edition="maintainers").status == "sent"
    text, _ = email_parts(inbox.messages[0])
    approve = APPROVE_LINE.search(between(text, "== Worth a look ==", "== The week in numbers =="))
    assert approve is not None
    site.clock.advance(SECOND_TIER_KEPT + timedelta(days=7))
    with site.database.transaction() as session:
        assert forget_old_second_tier(session, site.clock()) == 1
    address = urlsplit(approve.group(2))
    async with site.client.get(f"{address.path}?{address.query}") as reply:
        status, page = reply.status, html_unescape(await reply.text())
    assert status == 404, page
    assert f'digest add {SECOND["arxiv_id"]} --section "{SECTION}"' in page, page
    assert "no longer in the database" not in page


@pytest.mark.asyncio
async def test_a_paper_worth_a_look_a_maintainer_put_in_the_list_by_hand_is_said_so_and_its_link_records_it(
    site: Site,
) -> None:
    """A maintainer wrote a paper worth a look into the list's Steering section by hand during the week: the email
    still offered 'Approve into Sparse Autoencoder' (its suggestion), and the link's page could only refuse ('the
    paper is in the list already'), nothing in the email having said so. Expected: as the review page does, the
    email says where the list holds it, and its link approves it into that section, recording the decision."""
    from digest.awesome import store as liststore

    _, second = insert_tiers(site)
    with site.database.transaction() as session:
        markdown = liststore.render_markdown(session, site.settings.templates_dir)
        line = f"+ [{SECOND['title']}](https://arxiv.org/abs/{SECOND['arxiv_id']}) (Apr. 11, 2025)\n\n"
        at = markdown.index("\n+ ", next(m.start() for m in re.finditer(r"^#+ .*Steering", markdown, re.M))) + 1
        liststore.import_markdown(session, (markdown[:at] + line + markdown[at:]).encode(), source="edited")
    text, html = email_parts(weekly_email(site))
    worth = between(text, "== Worth a look ==", "== The week in numbers ==")
    assert "already in the list (Steering)" in worth, worth
    approve = APPROVE_LINE.search(worth)
    assert approve is not None and approve.group(1) == "Steering", worth
    assert "already in the list (Steering)" in between(html, "Worth a look</h2>", "The week in numbers</h2>")
    address = urlsplit(approve.group(2))
    async with site.client.post(f"{address.path}?{address.query}") as reply:
        assert reply.status == 200, await reply.text()
    assert site.status_of(second) == "approved"
    async with site.client.get("/list.md") as reply:
        assert (await reply.text()).count(f"arxiv.org/abs/{SECOND['arxiv_id']}") == 1


@pytest.mark.asyncio
async def test_the_maintainers_email_names_a_waiting_papers_suggestion_as_the_list_names_it_now(site: Site) -> None:
    """A heading renamed ("Sparse Autoencoder" to "Sparse Autoencoder Features") after a paper suggested for it began
    waiting for review: the maintainers' email said 'suggested for Sparse Autoencoder', a section the list no longer
    names so, where the review page offers the renamed heading. Expected: the email names it as the list does now."""
    from tests.test_web import rename_headings

    insert_tiers(site)
    renamed = f"{SECTION} Features"
    rename_headings(site, {SECTION: renamed})
    text, html = email_parts(weekly_email(site))
    waiting = between(text, "== Waiting for review ==", "== Worth a look ==")
    assert f"{FIRST['title']} (score 1.70, suggested for {renamed})" in waiting, waiting
    assert f"suggested for {renamed})" in between(html, "Waiting for review</h2>", "Worth a look</h2>")


@pytest.mark.asyncio
async def test_an_email_link_made_before_the_key_changed_says_how_to_approve_a_paper_worth_a_look(site: Site) -> None:
    """DIGEST_SECRET_KEY changed after the weekly email went out (README: that ends every link sent): a maintainer
    opening last week's "Worth a look" link was told to "take a fresh one from the candidates feed or use the review
    page", neither of which shows a second-tier paper, so the advice led nowhere. Expected: the page says where such
    a paper is still listed and decided (`digest candidates --second-tier`, `digest approve`); nothing is changed."""
    _, second = insert_tiers(site)
    expires = site.clock() + timedelta(days=site.settings.web.approval_link_days)
    sign = approval_signer(
        site.settings.web.base_url, "the-key-before-it-changed", second, SECOND["arxiv_id"], expires, emailed=True
    )
    address = urlsplit(sign("approve", SECTION))
    async with site.client.get(f"{address.path}?{address.query}") as reply:
        status, page = reply.status, await reply.text()
    assert status == 403 and "Link refused: forged" in page, page
    assert "candidates feed" not in page, page
    assert "digest candidates --second-tier" in page and "digest approve" in page, page
    assert site.status_of(second) == "pending"


@pytest.mark.asyncio
async def test_an_email_link_whose_section_left_the_list_says_how_to_approve_a_paper_worth_a_look(site: Site) -> None:
    """A maintainer renamed the heading a "Worth a look" link approves into (Sparse Autoencoder to Dictionary
    Learning) after the weekly email went out: the link's page said to approve the paper into a section of the list
    on the review page, which shows no second-tier paper, so the advice led nowhere. Expected: the page names the
    command that approves it into a section; no button, nothing changed."""
    from tests.test_web import rename_headings

    _, second = insert_tiers(site)
    text, _ = email_parts(weekly_email(site))
    approve = APPROVE_LINE.search(between(text, "== Worth a look ==", "== The week in numbers =="))
    assert approve is not None
    address = urlsplit(approve.group(2))
    rename_headings(site, {SECTION: "Dictionary Learning"})
    async with site.client.get(f"{address.path}?{address.query}") as reply:
        status, page = reply.status, await reply.text()
    assert status == 200 and f"the list has no section “{SECTION}” now" in page, page
    assert 'on <a href="/review">the review page</a>' not in page, page
    assert f"digest approve {SECOND['arxiv_id']} --section NAME" in page, page
    assert '<form method="post"' not in page and site.status_of(second) == "pending"
