"""A form posted with a body over the server's limit (64 KiB): a page the maintainer or reader can read, nothing done.
Through the web app on loopback (tests/web_server.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.factories import insert_candidate, real_papers
from tests.web_server import Site, running_site, sign_in, site_settings

TOO_LARGE = "x" * (70 * 1024)


@pytest_asyncio.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    async with running_site(site_settings(tmp_path / "data")) as running:
        yield running


@pytest.mark.asyncio
@pytest.mark.parametrize(("address", "back"), [("/review/decide", "/review"), ("/review/add", "/review")])
async def test_a_review_form_over_the_limit_gets_a_page_saying_so_and_changes_nothing(
    site: Site, address: str, back: str
) -> None:
    """A maintainer's form with a long text (a pasted abstract in a note) got "413: Request Entity Too Large" as
    plain text, unlike every other refusal, with no way back. Expected: the site's error page, status 413, saying
    the form was too large and nothing was done, linking back to the review page."""
    candidate_id = insert_candidate(site.database, real_papers()[0])
    _cookie, csrf = await sign_in(site)
    form = {"csrf": csrf, "candidate_id": str(candidate_id), "action": "approve", "note": TOO_LARGE}
    async with site.client.post(address, data=form, allow_redirects=False) as reply:
        assert reply.status == 413
        assert reply.content_type == "text/html"
        page = await reply.text()
    assert "<h1>Too large</h1>" in page
    assert "64 KiB" in page and "Nothing was changed" in page
    assert f'<a href="{back}">' in page
    assert site.status_of(candidate_id) == "pending"


@pytest.mark.asyncio
async def test_a_reader_suggestion_over_the_limit_gets_a_page_linking_back_to_the_list(site: Site) -> None:
    async with site.client.post("/suggest", data={"note": TOO_LARGE}) as reply:
        assert reply.status == 413
        assert reply.content_type == "text/html"
        page = await reply.text()
    assert "<h1>Too large</h1>" in page and '<a href="/">' in page
