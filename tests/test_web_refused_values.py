"""Every 400 the web answers to a value it cannot use names that value (on one line, cut short, escaped as all text)
beside what is allowed, so the reader sees which of the address's or form's values was wrong. Through the real app on
loopback (tests/web_server.py)."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import func, select

from digest.arxiv.additions import EXAMPLE
from digest.storage.models import Candidate
from tests.factories import insert_candidate, real_papers
from tests.web_server import Site, sign_in

HOSTILE = '<script>alert("x")</script><b>' + "9" * 5000  # markup, then a value of thousands of characters
SHOWN = "'" + HOSTILE[:40] + "…'"  # what a refusal quotes of it


def said(page: str) -> str:
    found = re.search(r'<p class="error">(.*?)</p>', page, re.S)
    assert found is not None, page[:500]
    return unescape(found.group(1))


@pytest.mark.asyncio
async def test_each_refused_value_is_named_escaped_and_cut_short(site: Site) -> None:
    """`/review?min=abc`, `/history?since=…`, `/?q=` of thousands of characters, a form's candidate number or action:
    the 400 page said what the parameter takes but not what it was given, so a link mangled by a mail client or a
    script's typo could not be told from the others. Expected: the value quoted (its first 40 characters), its
    markup shown as text, never echoed whole."""
    candidate_id = insert_candidate(site.database, real_papers()[0])
    _, csrf = await sign_in(site)
    gets = [
        ("/review", name, f"?{name}=")
        for name in ("min", "max", "status", "after", "title", "decided", "undone", "rejected", "skipped")
    ]
    gets += [("/history", "since", "?since="), ("/history", "before", "?before="), ("/", "q", "?q=")]
    for path, name, parameter in gets:
        async with site.client.get(path, params={name: HOSTILE}) as reply:
            page = await reply.text()
            assert reply.status == 400, (path, name, page[:300])
        line = said(page)
        assert line.startswith(parameter) and SHOWN in line, (path, name, line)
        assert "<script>" not in page and "9" * 100 not in page, (path, name)
    posts = [
        ({"candidate_id": HOSTILE, "action": "approve"}, "not candidate "),
        ({"candidate_id": str(candidate_id), "action": HOSTILE}, "not action "),
        ({"ids": HOSTILE, "action": "reject-shown"}, "candidate numbers, not "),
    ]
    for form, words in posts:
        async with site.client.post("/review/decide", data={"csrf": csrf, **form}) as reply:
            page = await reply.text()
            assert reply.status == 400, (form.keys(), page[:300])
        assert f"{words}{SHOWN}" in said(page), said(page)
        assert "<script>" not in page and "9" * 100 not in page
    async with site.client.get("/review", params={"status": "maybe"}) as reply:  # a short value is quoted whole
        assert said(await reply.text()) == "?status= must be one of pending, approved, rejected or all, not 'maybe'."


@pytest.mark.asyncio
async def test_a_reference_naming_no_paper_is_quoted_on_review_add_and_suggest(site: Site) -> None:
    """The Add a paper form on /review and the readers' /suggest said "That is not an arXiv ID or URL" without the
    value refused, unlike every other 400. Expected: the value quoted (its first 40 characters, as text), nothing
    added, and the form's field keeping what was typed (its own 300 characters at most)."""
    _, csrf = await sign_in(site)
    form = {"csrf": csrf, "paper": HOSTILE, "section": "", "filters": ""}
    async with site.client.post("/review/add", data=form) as reply:
        added = await reply.text()
        assert reply.status == 400, added[:300]
    async with site.fresh_client() as reader, reader.post("/suggest", data={"paper": HOSTILE, "note": ""}) as reply:
        suggested = await reply.text()
        assert reply.status == 400, suggested[:300]
    for page, paragraph, before in ((added, "add-refused", "Not added: "), (suggested, "error", "")):
        found = re.search(rf'<p class="error" id="{paragraph}"[^>]*>(.*?)</p>', page, re.S)
        assert found is not None, page[:500]
        assert unescape(found.group(1)) == f"{before}{SHOWN} is not an arXiv ID or URL: {EXAMPLE}."
        assert "<script>" not in page and "9" * 300 not in page  # the field keeps 300 characters of what was typed
    with site.database.reading() as session:
        assert session.scalar(select(func.count()).select_from(Candidate)) == 0
