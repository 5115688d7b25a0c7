"""Odd values in /review's address (its filters, its page and its notices' numbers), through the real app on loopback
on each database: each is a 400 (a 404 for a page past a candidate that is not there) naming the parameter and what
it takes, as a bad ?status= always was, never a page quietly showing something else or nothing."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.postgres_server import each_database, postgres_server, postgres_url  # noqa: F401  (fixtures)
from tests.web_server import SECRETS_ENV, Site, running_site, sign_in, signin_form

# What the page was given -> what its one line must name.
REFUSED = [
    ({"min": "-1"}, "?min= must be a score of 0 or more"),
    ({"max": "-0.5"}, "?max= must be a score of 0 or more"),
    ({"min": "1_000"}, "?min= must be a score"),  # Python's float() reads 1000; no one writes a score so
    ({"max": "infinity"}, "?max= must be a score"),
    ({"min": "2", "max": "1"}, "?min= (2) is above ?max= (1)"),
    ({"undone": "abc"}, "?undone= must be a candidate's number"),
    ({"already": "x"}, "?already= must be a candidate's number"),
    ({"not_undone": "²"}, "?not_undone= must be a candidate's number"),
    ({"rejected": "x"}, "?rejected= must be a count"),
    ({"skipped": "-3"}, "?skipped= must be a count"),
]


def shown(page: str) -> list[int]:
    return [int(found) for found in re.findall(r'<article class="candidate" id="candidate-(\d+)"', page)]


def said(page: str) -> str:
    """The one line of the error page."""
    found = re.search(r'<p class="error">(.*?)</p>', page, re.S)
    assert found is not None, page
    return unescape(found.group(1))


@pytest.mark.asyncio
async def test_every_odd_filter_page_or_notice_number_is_refused_in_one_line_naming_it(
    tmp_path: Path,
    each_database: dict[str, str],  # noqa: F811
) -> None:
    """`?min=-1` showed every candidate, `?min=2&max=1` and `?after=` a candidate that is not there an empty page,
    `?undone=abc` the page without its notice, each without a word (a 503 for `?after=3000000000` on PostgreSQL),
    while a bad ?status= was a 400. Expected: the same 400 page for each, its line naming the parameter."""
    settings = make_settings(tmp_path / "data", environ={**SECRETS_ENV, **each_database})
    async with running_site(settings) as site:
        papers = real_papers()
        ids = [insert_candidate(site.database, papers[0], score=1.2), insert_candidate(site.database, papers[1])]
        await sign_in(site)
        for params, line in REFUSED:
            async with site.client.get("/review", params=params) as reply:
                page = await reply.text()
                assert reply.status == 400, (params, page[:300])
            assert said(page).startswith(line), (params, said(page))
            assert "\n" not in said(page)
            assert '<a href="/review">Back to the review page</a>' in page
        await _a_page_past_a_missing_candidate_says_so(site)
        for params in ({"min": "0", "max": "2"}, {"min": "+0.5e0", "max": ".95"}, {"min": "0.9", "max": "0.9"}):
            async with site.client.get("/review", params=params) as reply:
                assert reply.status == 200, params
                assert set(shown(await reply.text())) <= set(ids) and shown(await reply.text()), params


async def _a_page_past_a_missing_candidate_says_so(site: Site) -> None:
    for after in ("99999", "3000000000"):  # the second past PostgreSQL's INTEGER, as /history's ?before= there
        async with site.client.get("/review", params={"after": after, "title": "clip"}) as reply:
            page = await reply.text()
            assert reply.status == 404, page[:300]
        assert said(page) == f"There is no candidate {after} for this page to follow: start again from the first page."
        assert '<a href="/review?title=clip">' in page  # the first page of the same search


def hidden_fields(page: str) -> dict[str, str]:
    """What a form posts besides what is typed into it, as a browser reads the page."""
    return {
        name: unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)"', page)
    }


@pytest.mark.asyncio
async def test_a_bad_filter_opened_signed_out_is_refused_in_the_same_line_once_signed_in(site: Site) -> None:
    """/review?min=abc opened signed out (a bookmark, a link typed by hand) showed the sign-in form, and signing in
    led to /review with no filter at all, the bad value and the good ones beside it dropped without a word; signed in,
    the same address is a 400 naming ?min=. Expected: signing in answers that 400 line (and signs in)."""
    insert_candidate(site.database, real_papers()[0], score=1.2)
    for params, line in [*REFUSED[:5], ({"status": "maybe"}, "?status= must be one of")]:
        address = "/review?" + urlencode({**params, "title": "clip"})
        async with site.fresh_client() as browser:
            await signin_form(browser, address)  # the sign-in cookie its form is tied to
            async with browser.get(address) as reply:
                form = {**hidden_fields(await reply.text()), "token": SECRETS_ENV["DIGEST_ADMIN_TOKEN"]}
            async with browser.post("/review/signin", data=form) as reply:
                page = await reply.text()
                assert reply.status == 400, (params, page[:300])
            assert said(page).startswith(line), (params, said(page))
            assert '<a href="/review">Back to the review page</a>' in page
            async with browser.get(address) as signed_in:  # the line a signed-in browser gets for the address
                assert signed_in.status == 400 and said(await signed_in.text()) == said(page), params
