"""The second tier's test set-up: two candidates just above and just under the review threshold with a why, the web
app with Discord at the fake and the weekly email at an SMTP port the test serves, and what each edition of the week
says (the email received, the kept file, the printed Markdown)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.message import EmailMessage
from pathlib import Path

import pytest_asyncio

from digest.relevance.why import Neighbour, Why
from digest.weekly.contents import load_digest, write_markdown
from digest.weekly.issue import Edition, week_of
from digest.weekly.rendering import render
from digest.weekly.store import send_week
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.fake_discord import FakeDiscord
from tests.smtp_server import Inbox, free_port, smtp_server
from tests.web_server import SECRETS_ENV, Site, running_site

FIRST, SECOND = real_papers()[0], real_papers()[1]  # both about sparse autoencoders in vision models
SECTION = "Sparse Autoencoder"
WHY = Why(
    terms=("sparse autoencoder", "vision transformer"),
    parts=(("keyword rules", 0.58), ("word log-odds", 0.27), ("application penalty", -0.15)),
    nearest=(Neighbour("Sparse Autoencoders & <Vision> Models: a Survey", SECTION, 0.41),),
)
READERS, MAINTAINERS = "readers@example.org", "team@example.org"
# "Approve into SECTION:", its link whole on the line under it (a link cannot be wrapped to an email's width).
APPROVE_LINE = re.compile(r"^ *Approve into (.+):\n +(\S+)$", re.MULTILINE)


@asynccontextmanager
async def second_tier_site(tmp_path: Path, fake: FakeDiscord, database: dict[str, str]) -> AsyncIterator[Site]:
    """The web app with Discord pointed at the fake and the weekly email at an SMTP port the test serves, on the
    database `database` names (each_database's environment: nothing for the data folder's SQLite file)."""
    smtp = f'\n[smtp]\nhost = "127.0.0.1"\nport = {free_port()}\nsecurity = "none"\nrecipients = ["{READERS}"]\n'
    smtp += f'maintainer_recipients = ["{MAINTAINERS}"]\n'
    environ = {**SECRETS_ENV, "DISCORD_TOKEN": "fake-token", **database}
    async with running_site(make_settings(tmp_path / "data", fake.config_toml() + smtp, environ)) as running:
        yield running


@pytest_asyncio.fixture
async def site(tmp_path: Path, fake: FakeDiscord) -> AsyncIterator[Site]:
    """The web app with Discord pointed at the fake and the weekly email at an SMTP port the test serves."""
    async with second_tier_site(tmp_path, fake, {}) as running:
        yield running


def insert_tiers(site: Site, *, second_title: str | None = None) -> tuple[int, int]:
    """A first-tier candidate (above the threshold) and a second-tier one, both first seen now, both with a why."""
    now = site.clock()
    seen = {"first_seen_at": now, "updated_at": now, "why": WHY.to_json(), "suggested_section": SECTION}
    seen["matched"] = list(WHY.terms)  # as a poll stores them: the terms its why names
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
