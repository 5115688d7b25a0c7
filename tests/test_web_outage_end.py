"""The web's outage log ends only with a request the database answered: a script, a redirect or a missing page
served meanwhile asks nothing of the database and says nothing of its end."""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path

import pytest

from tests.web_server import running_site, site_settings

UNREACHABLE_PAGE = "The list's database cannot be reached just now"


def said(caplog: pytest.LogCaptureFixture, words: str) -> list[str]:
    return [record.getMessage() for record in caplog.records if words in record.getMessage()]


@pytest.mark.asyncio
async def test_pages_that_never_ask_the_database_do_not_end_its_outage_in_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The review page's script, a form address's redirect and a missing /robots.txt, served while the database was
    away, each logged "the database answers again", and the next page view "the database cannot be reached" anew:
    a browser loading the review page wrote two lines an outage for every view. Now the outage is said once, and its
    end once, by the first page the database answered again."""
    caplog.set_level(logging.INFO)
    async with running_site(site_settings(tmp_path / "data")) as site:
        site.database.engine.dispose()
        database_file = Path(site.database.engine.url.database or "").resolve()
        aside = tmp_path / "aside"
        aside.mkdir()
        for part in database_file.parent.glob(database_file.name + "*"):
            part.rename(aside / part.name)
        seen = []
        for address in ("/", "/review/shortcuts.js", "/review/signin", "/robots.txt", "/list.md", "/feeds/list.xml"):
            async with site.client.get(address, allow_redirects=False) as response:
                seen.append((address, response.status, html.unescape(await response.text())))
        down_said, back_said = said(caplog, "the database cannot be reached"), said(caplog, "answers again")
        site.database.engine.dispose()
        for part in aside.iterdir():
            part.rename(database_file.parent / part.name)
        async with site.client.get("/review/shortcuts.js") as response:
            assert response.status == 200
        assert said(caplog, "answers again") == []  # nothing asked the database yet
        async with site.client.get("/list.md") as response:
            assert response.status == 200 and "# " in await response.text()
    statuses = {address: status for address, status, _ in seen}
    assert statuses == {
        "/": 503,
        "/review/shortcuts.js": 200,
        "/review/signin": 303,
        "/robots.txt": 404,
        "/list.md": 503,
        "/feeds/list.xml": 503,
    }
    assert all(UNREACHABLE_PAGE in page for address, status, page in seen if status == 503)
    assert len(down_said) == 1 and down_said[0].startswith("GET /: the database cannot be reached: "), down_said
    assert back_said == []
    back = said(caplog, "answers again")
    assert len(back) == 1 and re.search(r"down \(since \d\d:\d\d UTC, 3 attempts failed\)$", back[0]), back
