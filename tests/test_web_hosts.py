"""The host names the site answers to, through the real server on loopback and a real HTTP client that forges the Host
header as a DNS-rebinding page makes a visitor's browser send it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.web_server import Site, running_site, site_settings

PUBLIC = "https://digest.example.org"
REBOUND = "rebind.attacker.example:8080"  # a name whose DNS answer the attacker switched to this machine
LINK = "/approve/an-approval-links-token"
WRONG_HOST = f"This site does not answer to the host name this request was sent to; open it at {PUBLIC}\n"


@pytest_asyncio.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    async with running_site(site_settings(tmp_path / "data", f'[web]\nbase_url = "{PUBLIC}"\n')) as running:
        yield running


@pytest.mark.asyncio
async def test_a_page_asked_under_another_name_is_refused_in_one_plain_line(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    """A rebinding page's name reached the list, the feeds and /suggest as the site's own: its script read every
    answer, and posted suggestions, through the visitor's network position."""
    caplog.set_level(logging.INFO, logger="digest.web")
    pages = (("GET", "/"), ("GET", "/feeds/list.xml"), ("GET", "/review"), ("GET", LINK), ("POST", "/suggest"))
    for method, path in pages:
        data = {"arxiv": "2501.01234"} if method == "POST" else None
        async with site.client.request(method, path, data=data, headers={"Host": REBOUND}) as reply:
            assert (reply.status, await reply.text()) == (400, WRONG_HOST), path
            assert reply.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert f"web: refused POST /suggest sent to host '{REBOUND}'" in caplog.text
    assert "web: refused GET /approve/… sent to host" in caplog.text and LINK not in caplog.text  # its token left out


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "host",
    ["digest.example.org", "DIGEST.Example.org.:443", "localhost:8080", "127.0.0.1:8080", "[::1]:8080", "10.0.0.7"],
)
async def test_the_public_name_this_machine_and_addresses_are_served(site: Site, host: str) -> None:
    """The public name (a reverse proxy passing it, as Caddy does), this machine (a proxy passing its upstream address,
    as nginx does by default; the container's health check) and an address (a browser on the LAN) name no page of an
    attacker's: each is the list."""
    async with site.client.get("/", headers={"Host": host}) as reply:
        assert reply.status == 200, host
        assert "<title>" in await reply.text()


@pytest.mark.asyncio
async def test_healthz_answers_whatever_name_it_is_asked_by(site: Site) -> None:
    """A monitor naming the service by its compose service name must not see it fail and restart it."""
    for host in ("digest:8080", REBOUND):
        async with site.client.get("/healthz", headers={"Host": host}) as reply:
            assert reply.status in (200, 503), host
            assert "status" in await reply.json()
