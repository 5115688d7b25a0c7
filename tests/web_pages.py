"""The set-up of the web server tests: the private feed's token and the dates the tests' papers are found at, the
approval links the candidates feed carries, the decisions a candidate has, headings renamed in the list, the review
page and a card on it, a decision posted, a form's error line, and two named admin tokens (alice's, bob's)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

from sqlalchemy import select

from digest.review.rules import Actor
from digest.storage.models import Decision
from tests.web_server import SECRETS_ENV, Site, approval_links

FEED_TOKEN = SECRETS_ENV["DIGEST_FEED_TOKEN"]
START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
EARLIER = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


async def candidate_feed_links(site: Site) -> list[tuple[str, str]]:
    async with site.client.get("/feeds/candidates.xml", params={"token": FEED_TOKEN}) as response:
        assert response.status == 200
        return approval_links(await response.text())


def _actor() -> Actor:
    return Actor("ann", None, "cli")


def decisions_of(site: Site, candidate_id: int) -> list[tuple[str, str, bool]]:
    with site.database.reading() as session:
        rows = session.execute(
            select(Decision.action, Decision.channel, Decision.applied)
            .where(Decision.candidate_id == candidate_id)
            .order_by(Decision.id)
        )
        return [(action, channel, applied) for action, channel, applied in rows]


def rename_headings(site: Site, renames: dict[str, str]) -> None:
    """A maintainer renames headings in the list's Markdown and imports it."""
    from digest.awesome import store as liststore

    markdown = site.settings.list_markdown_path.read_text(encoding="utf-8")
    for old, new in renames.items():
        heading = next(line for line in markdown.splitlines() if line.startswith("#") and line.rstrip().endswith(old))
        markdown = markdown.replace(heading + "\n", heading.rstrip()[: -len(old)] + new + "\n", 1)
    with site.database.transaction() as session:
        liststore.import_markdown(session, markdown.encode("utf-8"), source="edited.md")


async def review(site: Site, **params: str) -> str:
    async with site.client.get("/review", params=params) as reply:
        assert reply.status == 200, await reply.text()
        assert reply.headers["Cache-Control"] == "no-store"
        return await reply.text()


def card(page: str, candidate_id: int) -> str:
    start = page.index(f'id="candidate-{candidate_id}"')
    return page[start : page.index("</article>", start)]


async def post(site: Site, data: dict[str, str], status: int = 200) -> str:
    async with site.client.post("/review/decide", data=data) as reply:
        body = await reply.text()
        assert reply.status == status, body
        return body


def said(page: str) -> str:
    found = re.search(r'<p class="error">(.*?)</p>', page, re.S)
    assert found is not None, page[:500]
    return unescape(found.group(1))


ALICE = "alice-token-0123456789abcdef"
BOB = "bob-token-fedcba9876543210xyz"
NAMED_ENV = {**SECRETS_ENV, "DIGEST_ADMIN_TOKENS": f"alice:{ALICE}, bob:{BOB}"}
