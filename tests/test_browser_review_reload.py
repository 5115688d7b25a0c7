"""The /review page's own forms in real Chromium, reloaded after a decision: each POST (/review/decide, /review/add)
answers with a redirect to the review page (Post/Redirect/Get), so a reload shows where the candidates stand and
decides nothing again, even after the decision was taken back elsewhere."""

from __future__ import annotations

from typing import Any

import pytest

from digest.review.rules import Actor
from tests.browser_review import open_review
from tests.chromium import CHROMIUM
from tests.factories import decision_actions, insert_candidate, real_papers
from tests.web_server import Site

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]
CLI = Actor(name="maintainer", id=None, channel="cli")


async def reloaded(page: Any) -> str:
    reply = await page.reload()
    assert reply is not None and reply.status == 200 and reply.request.method == "GET"
    return str(await page.locator("main").inner_text())


@pytest.mark.asyncio
async def test_reloading_after_a_decision_taken_back_elsewhere_decides_nothing_again(site: Site, browser: Any) -> None:
    first, second = (insert_candidate(site.database, p, suggested_sections=["Steering"]) for p in real_papers()[:2])
    page = await open_review(browser, site)
    await page.locator(f"#candidate-{first}").get_by_role("button", name="Steering").click()
    await page.wait_for_selector("#undo")
    site.reviewer.decide(first, "revert", CLI)  # taken back with `digest pending` while the tab stays open
    await reloaded(page)
    assert site.status_of(first) == "pending" and decision_actions(site.database, first) == ["approve", "revert"]
    # The notice said "<paper>: pending." as if that were what the button had done.
    notice = await page.locator("p[role=status]").inner_text()
    assert "pending again: the decision was taken back by maintainer via cli on " in notice, notice
    site.reviewer.decide(first, "reject", Actor(name="ann", id="7", channel="discord"))
    await reloaded(page)
    notice = await page.locator("p[role=status]").inner_text()  # it said "<paper>: rejected." as if pressed here
    assert "now rejected by ann via discord on " in notice and "Undo" not in notice, notice
    assert decision_actions(site.database, first) == ["approve", "revert", "reject"]

    await page.locator(f"#candidate-{second}").get_by_role("button", name="Reject").click()
    await page.wait_for_selector("#undo")
    await reloaded(page)
    assert decision_actions(site.database, second) == ["reject"]
    await page.context.close()


@pytest.mark.asyncio
async def test_reloading_after_adding_a_paper_adds_nothing_again(site: Site, browser: Any) -> None:
    paper = real_papers()[0]
    candidate_id = insert_candidate(site.database, paper, suggested_sections=["Steering"])
    page = await open_review(browser, site)
    await page.get_by_label("Add a paper").fill(str(paper["arxiv_id"]))
    await page.get_by_role("button", name="Add and approve").click()
    await page.wait_for_selector("#undo")
    site.reviewer.decide(candidate_id, "revert", CLI)
    text = await reloaded(page)
    assert site.status_of(candidate_id) == "pending", text
    assert decision_actions(site.database, candidate_id) == ["approve", "revert"], text
    await page.context.close()


@pytest.mark.asyncio
async def test_reloading_after_rejecting_all_shown_rejects_nothing_again(site: Site, browser: Any) -> None:
    ids = [insert_candidate(site.database, p, suggested_sections=["Steering"]) for p in real_papers()[:3]]
    page = await open_review(browser, site)
    await page.get_by_role("button", name="Reject all 3 shown…").click()
    await page.wait_for_selector("text=Reject these 3 candidates?")
    await page.get_by_role("button", name="Yes, reject all 3").click()
    await page.wait_for_selector("text=Rejected 3 candidates")
    site.reviewer.decide(ids[0], "revert", CLI)
    await reloaded(page)
    assert [site.status_of(i) for i in ids] == ["pending", "rejected", "rejected"]
    assert decision_actions(site.database, ids[0]) == ["reject", "revert"]
    await page.context.close()


@pytest.mark.asyncio
async def test_a_click_refused_on_a_stale_page_far_down_the_queue_shows_why(site: Site, browser: Any) -> None:
    """The page came back scrolled to the card after the one pressed, far below its 'Not done' line: the maintainer
    saw the queue move on as after any decision and never learnt the click had done nothing."""
    papers = real_papers()
    ids = [
        insert_candidate(site.database, papers[n % len(papers)], arxiv_id=f"2501.{10000 + n}", score=2 - n / 100)
        for n in range(16)
    ]
    page = await open_review(browser, site)
    site.reviewer.decide(ids[12], "reject", Actor(name="ann", id="7", channel="discord"))  # while the page is open
    await page.locator(f"#candidate-{ids[12]}").get_by_role("button", name="Reject").click()
    await page.wait_for_url(f"**#candidate-{ids[13]}")
    await page.wait_for_load_state("load")
    refused = page.locator("p.error[role=status]")
    assert "Not done" in await refused.inner_text() and "by ann via discord" in await refused.inner_text()
    assert await refused.is_visible()
    box = await refused.bounding_box()
    assert box is not None and 0 <= box["y"] < 600, f"the 'Not done' line is at y={box}, out of sight"
    assert await page.locator(f"#candidate-{ids[13]}").get_attribute("aria-current") == "true"  # keys act there
    await page.context.close()
