"""A list paper arXiv withdrew, told on /review in real Chromium: the notice above the candidates (its feed text as
text), dismissed with the keyboard and gone after a reload, and back when arXiv announces a later version. The withdrawn
version is a real recorded API answer (tests/data/arxiv/api) made a paper of the bundled list, stored by the poll's own
code into the site's SQLite file."""

from __future__ import annotations

import re
from typing import Any

import pytest

from digest.arxiv.candidates import list_keys
from digest.arxiv.parse import parse_feed
from digest.arxiv.withdrawn import withdrawn_in_list
from digest.storage.state import ListNotice
from tests.arxiv_answers import WITHDRAWN
from tests.arxiv_server import ARXIV_DATA
from tests.browser_review import open_review
from tests.chromium import CHROMIUM
from tests.web_server import Site, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]
ANSWER = "api/api_new_arxiv.py_id_1707.08567_s0_m100_6a1afebfc6a3_http200.xml"  # one paper
SEEDED = "2501.16496"  # Open Problems in Mechanistic Interpretability: in the bundled list
HOSTILE = '<script>alert("x")</script> Open <b>Problems</b>'


def _withdrawn_answer(version: int) -> bytes:
    """The recorded answer's paper as `version` of a bundled list paper, withdrawn, under a hostile title."""
    page = (ARXIV_DATA / ANSWER).read_bytes()
    entry = re.search(rb"<entry>.*?</entry>", page, flags=re.DOTALL)
    assert entry is not None
    changed = re.sub(rb"<summary>.*?</summary>", f"<summary>{WITHDRAWN}</summary>".encode(), entry.group(), flags=re.S)
    hostile = HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    changed = re.sub(rb"<title>.*?</title>", f"<title>{hostile}</title>".encode(), changed, flags=re.DOTALL)
    return page.replace(entry.group(), changed.replace(b"1707.08567v1", f"{SEEDED}v{version}".encode()))


def poll_withdrawn(site: Site, version: int) -> list[str]:
    """What the poll says of the answer, stored as the poll stores it."""
    papers = parse_feed(_withdrawn_answer(version), "api").papers
    with site.database.transaction() as session:
        return withdrawn_in_list(session, papers, list_keys(session), site.clock(), site.settings)


async def notices_text(page: Any) -> str | None:
    section = page.locator("#list-notices")
    return str(await section.inner_text()) if await section.count() else None


@pytest.mark.asyncio
async def test_a_withdrawn_list_paper_is_told_on_review_until_dismissed(site: Site, browser: Any) -> None:
    """A list paper arXiv withdrew was said in the log only: a maintainer using /review never learned of it."""
    assert len(poll_withdrawn(site, 3)) == 1
    page = await open_review(browser, site)
    said = await notices_text(page)
    assert said is not None, await page.locator("main").inner_text()
    assert f"{SEEDED} {HOSTILE} in " in said and ": withdrawn on arXiv on " in said, said
    assert f"(its comment: {WITHDRAWN})" in said, said
    assert await page.locator("#list-notices script, #list-notices b").count() == 0
    await page.get_by_role("button", name="Dismiss").focus()
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    assert await notices_text(page) is None
    await page.reload()
    await page.wait_for_selector("#count")
    assert await notices_text(page) is None
    with site.database.reading() as session:
        row = session.get(ListNotice, (SEEDED, "withdrawn"))
        assert row is not None and row.dismissed_by == "web maintainer" and row.dismissed_at is not None
    assert poll_withdrawn(site, 3) == []  # the same version is not told again, in the log or on the page
    await page.reload()
    assert await notices_text(page) is None
    assert len(poll_withdrawn(site, 4)) == 1  # a later version is a new notice
    await page.reload()
    said = await notices_text(page)
    assert said is not None and SEEDED in said, said


@pytest.mark.asyncio
async def test_only_a_signed_in_maintainer_sees_and_dismisses_a_notice(site: Site) -> None:
    """The notice is the maintainers' alone, and its Dismiss form is CSRF-checked like the page's other forms."""
    assert len(poll_withdrawn(site, 3)) == 1
    async with site.client.get("/review") as reply:
        assert reply.status == 200 and SEEDED not in await reply.text()  # the sign-in form, telling nothing
    _, csrf = await sign_in(site)
    form = {"paper": SEEDED, "notice": "withdrawn", "filters": ""}
    async with site.client.post("/review/notice", data={**form, "csrf": "x" + csrf}, allow_redirects=False) as reply:
        assert reply.status == 303 and reply.headers["Location"].startswith("/review/refused")
    async with site.client.get("/review") as reply:
        page = await reply.text()
        assert 'id="list-notices"' in page and "&lt;script&gt;" in page and "<script>alert" not in page
    async with site.client.post("/review/notice", data={**form, "csrf": csrf}, allow_redirects=False) as reply:
        assert reply.status == 303 and reply.headers["Location"] == "/review"
    async with site.client.get("/review") as reply:
        assert 'id="list-notices"' not in await reply.text()
