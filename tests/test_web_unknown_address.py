"""An address the site does not serve (a mistyped or stale link) on the web server on loopback, through a real HTTP
client: the site's own page saying so, with the way back to the list."""

from __future__ import annotations

import pytest

from tests.web_pages import said
from tests.web_server import Site


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/nope", "/review/history", "/feeds/list.rss", "/list.md/"])
async def test_an_unknown_address_answers_the_sites_page_with_the_way_back(site: Site, path: str) -> None:
    """A reader who mistyped an address, or followed a stale link, was shown aiohttp's bare "404: Not Found" in plain
    text: no title, no link back to the list or its feeds."""
    async with site.client.get(path, allow_redirects=False) as reply:
        page = await reply.text()
        assert reply.status == 404
        assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<title>Not found · " in page
    assert said(page) == "There is no page at this address: a link to it is out of date, or it was mistyped."
    assert '<a href="/">Back to the list</a>' in page
    assert '<a href="/feeds/list.xml">' in page
    assert path not in page  # nothing of the refused address is shown
