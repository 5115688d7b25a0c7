"""Approval links edited by one character, padded, spaced or with a parameter given twice, on the web server on
loopback: each is refused and changes nothing; and an expired link is called expired with its database down."""

from __future__ import annotations

import asyncio
import html
import logging
import string
from datetime import timedelta
from pathlib import Path

import pytest

from tests.factories import insert_candidate, real_papers
from tests.web_pages import candidate_feed_links, decisions_of
from tests.web_server import Site, running_site, site_settings

ALPHABET = string.ascii_letters + string.digits + "-_"
NOT_VALID = "This is not a valid approval link (it may have been cut off when it was copied)."
REFUSALS = ("Link refused: malformed", "Link refused: altered", "Link refused: forged")


async def _refusal(site: Site, path: str) -> str:
    """The title of the page a GET of `path` gives, which must be a 403 refusal."""
    async with site.client.get(path) as response:
        page = html.unescape(await response.text())
    assert response.status == 403, (path, response.status)
    title = next((refusal for refusal in REFUSALS if refusal in page), None)
    assert title is not None, (path, page)
    return title


@pytest.mark.asyncio
async def test_every_one_character_change_of_a_real_links_token_is_refused(site: Site) -> None:
    """A feed's approval link with the last character of its signature changed (say 'w' to 'x') approved the paper as
    the genuine link did: base64 leaves that character's last bits spare, so both read as the same signature. Every
    link that differs from the one the service made by one character is refused now, and changes nothing."""
    candidate_id = insert_candidate(site.database, real_papers()[2])
    path = next(path for path, label in await candidate_feed_links(site) if label == "Approve (Sparse Autoencoder)")
    token = path.removeprefix("/approve/")
    edits = [
        token[:at] + character + token[at + 1 :]
        for at in range(len(token))
        for character in ALPHABET + "."
        if character != token[at]
    ]
    titles: list[str] = []
    for start in range(0, len(edits), 50):
        batch = [_refusal(site, "/approve/" + edit) for edit in edits[start : start + 50]]
        titles += await asyncio.gather(*batch)
    assert len(titles) == len(edits) > 63 * 100
    # The signature's last character: the spare bits' three other settings are not the link, and are said so.
    spare = [title for edit, title in zip(edits, titles, strict=True) if edit[:-1] == token[:-1]]
    assert spare.count("Link refused: malformed") >= 3, spare
    assert site.status_of(candidate_id) == "pending" and decisions_of(site, candidate_id) == []
    async with site.client.get(path) as genuine:
        assert genuine.status == 200


@pytest.mark.asyncio
async def test_a_padded_spaced_or_lengthened_token_and_a_repeated_parameter_are_not_valid(site: Site) -> None:
    """Padding ('=') after either half of a link's token, a space or line end in it (an email client's wrapping), a
    character the token has not, or '?via=email' given twice each read as the genuine link and approved the paper.
    Each gets the one line every link that is not a link gets, on GET and POST, and changes nothing."""
    candidate_id = insert_candidate(site.database, real_papers()[2])
    path = next(path for path, label in await candidate_feed_links(site) if label == "Approve (Sparse Autoencoder)")
    payload, mac = path.removeprefix("/approve/").split(".")
    edited = [
        f"/approve/{payload}=.{mac}",
        f"/approve/{payload}.{mac}=",
        f"/approve/{payload}.{mac}==",
        f"/approve/{payload}.{mac[:10]}%20{mac[10:]}",
        f"/approve/{payload}.{mac[:10]}%0A{mac[10:]}",
        f"/approve/{payload[:4]}%09{payload[4:]}.{mac}",
        f"/approve/{payload}.{mac}!",
        f"/approve/{payload}.{mac}~",
        f"/approve/{payload}.{mac}?via=email&via=email",
        f"/approve/{payload}.{mac}?via=&via=email",
    ]
    for address in edited:
        for method in ("GET", "POST"):
            async with site.client.request(method, address) as response:
                page = html.unescape(await response.text())
            assert response.status == 403, (method, address)
            assert "Link refused: malformed" in page and NOT_VALID in page, (method, address, page)
    assert site.status_of(candidate_id) == "pending" and decisions_of(site, candidate_id) == []


@pytest.mark.asyncio
async def test_an_expired_link_with_the_database_down_says_it_expired_not_try_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An expired approval link asks the database who decided the paper since; with the database unreachable it
    answered 503 "please try again in a few minutes", though no retry can make an expired link work and its expiry
    is in the link itself. It is refused as expired (403), saying how to go on, and the log names the database."""
    async with running_site(site_settings(tmp_path / "data")) as site:
        insert_candidate(site.database, real_papers()[2])
        path = next(p for p, label in await candidate_feed_links(site) if label == "Approve (Sparse Autoencoder)")
        site.clock.advance(timedelta(days=30))
        site.database.engine.dispose()
        database_file = Path(site.database.engine.url.database or "")
        for leftover in database_file.parent.glob(database_file.name + "*"):
            leftover.unlink()
        database_file.mkdir()
        for method in ("GET", "POST"):
            with caplog.at_level(logging.INFO):
                async with site.client.request(method, path) as response:
                    page = html.unescape(await response.text())
            assert response.status == 403, (method, page)
            assert "Link refused: expired" in page
            assert "This link has expired. Take a fresh one from the candidates feed or use the review page." in page
            assert "cannot be reached" not in page
    read = [record.getMessage() for record in caplog.records if "decided since cannot be read" in record.getMessage()]
    assert len(read) == 2 and all("unable to open database file" in line for line in read), read
