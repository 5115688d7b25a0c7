"""The commands the maintainers' weekly email and an emailed link's page tell them to run for a paper worth a look,
run as printed from another folder than the service's: they name the service's settings file and data folder, so they
act on its database. They were the bare `digest approve ID --section NAME` and `digest candidates --second-tier`,
which act on ./data of wherever they are run. Real SQLite and PostgreSQL (there the commands start with the
DIGEST_DATABASE_URL the service was given, which this process's environment lacks), the web app on loopback,
aiosmtpd."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import pytest_asyncio

from digest.review.signing import approval_signer
from tests.factories import insert_candidate
from tests.fake_discord import FakeDiscord
from tests.postgres_server import each_database, postgres_server, postgres_url  # noqa: F401  (fixtures)
from tests.printed import printed_command, run_printed
from tests.second_tier import SECOND, SECTION, WHY, between, email_parts, insert_tiers, second_tier_site, weekly_email
from tests.web_pages import rename_headings
from tests.web_server import SECRETS_ENV, Site


@pytest_asyncio.fixture
async def site(tmp_path: Path, fake: FakeDiscord, each_database: dict[str, str]) -> AsyncIterator[Site]:  # noqa: F811
    """The second tier's web app (tests/second_tier.py) on each database in turn."""
    async with second_tier_site(tmp_path, fake, each_database) as running:
        yield running


def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A maintainer's shell, not in the service's folder."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


@pytest.mark.asyncio
async def test_the_command_the_email_names_for_a_paper_without_a_link_approves_it_on_the_service_database(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A paper worth a look with no section suggested has no one-click link: the email's text and HTML parts said to
    run `digest approve ID --section NAME`, which run in a maintainer's shell acted on ./data there ("no candidate").
    Both parts now name the service's own invocation; the text part's, on a line of its own, run as printed with a
    section for NAME, approves the paper on the service's database."""
    now = site.clock()
    seen = {"first_seen_at": now, "updated_at": now, "why": WHY.to_json(), "suggested_section": None}
    second = insert_candidate(site.database, SECOND, score=0.93, relevant=False, **seen)
    text, page = email_parts(weekly_email(site))
    worth = between(text, "== Worth a look ==", "== The week in numbers ==")
    assert "No one-click link (no section is suggested)" in " ".join(worth.split()), worth
    starts = ("digest ", "DIGEST_DATABASE_URL=")  # on PostgreSQL the command names the database first
    (line,) = [line.strip() for line in worth.splitlines() if line.strip().startswith(starts)]
    from_html = printed_command(html.unescape(page.replace("<code>", "`").replace("</code>", "`")), "approve")
    assert from_html == printed_command(f"`{line}`", "approve")
    printed = printed_command(f"`{line}`", "approve")
    assert printed[-4:] == ["approve", SECOND["arxiv_id"], "--section", "NAME"], printed
    folder = elsewhere(tmp_path, monkeypatch)
    assert run_printed([*printed[:-1], SECTION], monkeypatch) == 0
    assert site.status_of(second) == "approved"
    assert not (folder / "data").exists()


@pytest.mark.asyncio
async def test_the_commands_a_forged_email_links_page_names_list_and_approve_on_the_service_database(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An emailed link signed with a key since changed: its page said `digest candidates --second-tier` lists the
    papers worth a look and `digest approve <arXiv ID>` approves one; run in a maintainer's shell, both acted on
    ./data there (an empty list; "no candidate"). Run as printed, they now list and approve the paper the service
    holds."""
    _, second = insert_tiers(site)
    expires = site.clock() + timedelta(days=site.settings.web.approval_link_days)
    sign = approval_signer(
        site.settings.web.base_url, "the-key-before-it-changed", second, SECOND["arxiv_id"], expires, emailed=True
    )
    address = urlsplit(sign("approve", SECTION))
    async with site.client.get(f"{address.path}?{address.query}") as reply:
        assert reply.status == 403
        page = html.unescape(await reply.text())
    listing = printed_command(page, "candidates --second-tier")
    approve = printed_command(page, "approve ARXIV_ID")
    folder = elsewhere(tmp_path, monkeypatch)
    capsys.readouterr()
    assert run_printed(listing, monkeypatch) == 0
    assert SECOND["arxiv_id"] in capsys.readouterr().out
    assert run_printed([*approve[:-1], SECOND["arxiv_id"]], monkeypatch) == 0
    assert site.status_of(second) == "approved"
    assert not (folder / "data").exists()


@pytest.mark.asyncio
async def test_the_reject_command_a_links_page_names_when_nothing_changes_from_it_rejects_on_the_service_database(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An emailed link to approve a paper worth a look into Probing, a name the list has since given two headings: its
    page says nothing changes from the link and, the review page not showing the paper, to reject it with
    `digest reject <arXiv ID>` on the server. Run as printed from a maintainer's shell elsewhere, the command rejects
    the paper the service holds (the bare form read ./data there: "no candidate")."""
    _, second = insert_tiers(site)
    expires = site.clock() + timedelta(days=site.settings.web.approval_link_days)
    key = SECRETS_ENV["DIGEST_SECRET_KEY"]
    sign = approval_signer(site.settings.web.base_url, key, second, SECOND["arxiv_id"], expires, emailed=True)
    rename_headings(site, {"Steering": "Probing"})
    address = urlsplit(sign("approve", "Probing"))
    async with site.client.get(f"{address.path}?{address.query}") as reply:
        assert reply.status == 200
        page = html.unescape(await reply.text())
    assert "Nothing changes from this link." in page and "the list has 2 sections named 'Probing'" in page, page
    assert '<form method="post"' not in page
    reject = printed_command(page.replace("<code>", "`").replace("</code>", "`"), "reject")
    assert reject[-2:] == ["reject", SECOND["arxiv_id"]], reject
    folder = elsewhere(tmp_path, monkeypatch)
    assert run_printed(reject, monkeypatch) == 0
    assert site.status_of(second) == "rejected"
    assert not (folder / "data").exists()
