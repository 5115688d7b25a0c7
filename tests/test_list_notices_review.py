"""The list's changed papers on /review, through the real poll: a real recorded API answer (tests/list_notice_answers)
served on loopback, stored into the site's SQLite file, and the page read over HTTP as a signed-in maintainer sees it.
A retitle told and dismissed; a withdrawal arXiv undoes; a dismissed notice of a paper taken out and put back."""

from __future__ import annotations

import pytest

from tests.list_notice_answers import LISTED_TITLE, SEEDED, changed_answer, dismiss, poll_answer, shown_notices
from tests.web_server import Site, sign_in

NEW_TITLE = "Open Problems in Mechanistic <b>Interpretability</b> & What Remains"


@pytest.mark.asyncio
async def test_a_retitled_list_paper_is_told_on_review_by_the_poll_until_dismissed(site: Site) -> None:
    """A new version retitling a list paper had no test of its own from the poll to the page."""
    report = await poll_answer(site, changed_answer(2, title=NEW_TITLE))
    assert report.retitled == [f"{SEEDED} is in the list as '{LISTED_TITLE}'; arXiv now titles it '{NEW_TITLE}'"]
    _, csrf = await sign_in(site)
    said = await shown_notices(site)
    assert said is not None and f"{SEEDED} {NEW_TITLE} in " in said and ": retitled on arXiv on " in said, said
    assert "withdrawn" not in said, said
    await dismiss(site, csrf, "retitled")
    assert await shown_notices(site) is None
    assert (await poll_answer(site, changed_answer(2, title=NEW_TITLE))).retitled == []  # told once a version
    assert await shown_notices(site) is None
