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


@pytest.mark.asyncio
@pytest.mark.parametrize(("method", "path", "allow"), [("POST", "/", "GET,HEAD"), ("DELETE", "/list.md", "GET,HEAD")])
async def test_a_wrong_method_answers_the_sites_page_and_says_what_is_allowed(
    site: Site, method: str, path: str, allow: str
) -> None:
    """`curl -X POST` to the list was answered aiohttp's bare "405: Method Not Allowed" in plain text, where an
    unknown address gets the site's own page: the 405 is that page too, its status and Allow header kept."""
    async with site.client.request(method, path, data="probe=abc123", allow_redirects=False) as reply:
        page = await reply.text()
        assert reply.status == 405
        assert reply.headers["Allow"] == allow
        assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<title>Method not allowed · " in page
    assert said(page) == "This page cannot be asked that way: open it with a link, or send its form from the site."
    assert '<a href="/">Back to the list</a>' in page
    assert method not in page and "abc123" not in page  # nothing of the request is shown
