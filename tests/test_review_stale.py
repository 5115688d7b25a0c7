"""A /review page left open while the candidate is decided elsewhere (Discord, the command line), then a button on it
pressed: nothing is changed, and the notice says where the candidate stands and what, if anything, is left to do."""

from __future__ import annotations

import re

import pytest

from digest.review.rules import Actor
from tests.factories import insert_candidate, real_papers
from tests.web_server import Site, sign_in

ANN = Actor(name="ann", id="41", channel="discord")


def notice(page: str) -> str:
    found = re.search(r'<p class="(?:error|notice)" role="status">(.*?)</p>', page, re.S)
    assert found is not None, page
    return re.sub(r"<[^>]+>", "", found.group(1))


async def press(site: Site, csrf: str, candidate_id: int, action: str, **extra: str) -> str:
    form = {"csrf": csrf, "candidate_id": str(candidate_id), "action": action, "filters": "", **extra}
    async with site.client.post("/review/decide", data=form) as reply:
        assert reply.status == 200 and reply.url.path == "/review"
        return await reply.text()


@pytest.mark.asyncio
async def test_undo_on_a_stale_page_after_the_decision_was_taken_back_elsewhere(site: Site) -> None:
    """The notice said the paper 'is pending' and to run `digest pending` to return it to pending."""
    candidate_id = insert_candidate(site.database, real_papers()[0], suggested_sections=["Steering"])
    _, csrf = await sign_in(site)
    await press(site, csrf, candidate_id, "approve", section="Steering")
    site.reviewer.decide(candidate_id, "revert", ANN)  # a Discord member took the check mark back
    said = notice(await press(site, csrf, candidate_id, "undo"))
    assert site.status_of(candidate_id) == "pending"
    assert "is pending again: the decision was taken back by ann via discord on " in said, said
    assert "digest pending" not in said, said
