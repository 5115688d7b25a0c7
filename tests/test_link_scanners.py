"""What a mail link scanner (Outlook Safe Links, a webmail's proxy, a chat unfurler) does to the signed approval links:
it fetches every link of the maintainers' weekly email and of the private feed, HEAD and GET, without cookies, and
often twice. It must change nothing anywhere (no decision, no spent link, no row of any table), and nothing it does
may put a link's signature in a log line or a file. Real SQLite, the web app on loopback, the email through aiosmtpd."""

from __future__ import annotations

import logging
import re
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, table

from tests.second_tier import SECTION, email_parts, insert_tiers, site, weekly_email
from tests.web_pages import candidate_feed_links
from tests.web_server import Site

__all__ = ["site"]  # the fixture: the web app with the weekly email at an SMTP port the test serves

LINK = re.compile(r"https?://[^\s\"'<>]+(/approve/[^\s\"'<>]+)")


def every_row(site: Site) -> dict[str, list[str]]:
    """Every row of every table the service keeps, as text: what a request that changes nothing leaves as it was."""
    with site.database.reading() as session:
        names = inspect(session.connection()).get_table_names()
        return {name: sorted(map(repr, session.execute(select("*").select_from(table(name))))) for name in names}


def written_text(folder: Path) -> str:
    return "\n".join(path.read_bytes().decode("utf-8", "replace") for path in folder.rglob("*") if path.is_file())


@pytest.mark.asyncio
async def test_a_link_scanner_fetching_every_approval_link_twice_changes_nothing_and_logs_no_signature(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    insert_tiers(site)
    text, html = email_parts(weekly_email(site))
    emailed = {unescape(path) for path in LINK.findall(text + html)}
    assert emailed and all(path.endswith("?via=email") for path in emailed), emailed
    fed = {path for path, _ in await candidate_feed_links(site)}
    assert len(fed) >= 4  # each pending candidate's "Approve", "Approve into ..." and "Reject"
    before = every_row(site)

    caplog.set_level(logging.DEBUG)
    async with site.fresh_client() as scanner:  # no cookies, no session
        for path in sorted(emailed | fed):
            for method in ("HEAD", "GET", "GET", "HEAD"):
                async with scanner.request(method, path, headers={"User-Agent": "link-scanner"}) as reply:
                    body = await reply.text()
                assert reply.status == 200, (method, path, body)
                if method == "GET":
                    assert '<form method="post"' in body and "Nothing changes until you press the button." in body

    assert every_row(site) == before
    signatures = [path.split("?")[0].rsplit(".", 1)[1] for path in emailed | fed]
    logged = caplog.text + "\n".join(record.getMessage() for record in caplog.records)
    assert not [mac for mac in signatures if mac in logged]
    on_disk = written_text(site.settings.data_dir)
    assert not [mac for mac in signatures if mac in on_disk]
    # The link, opened by the maintainer afterwards, still decides: nothing was spent.
    approve = next(path for path in emailed)
    async with site.client.post(approve) as done:
        assert done.status == 200 and f"Done: approved into {SECTION} by email approval link on " in await done.text()
