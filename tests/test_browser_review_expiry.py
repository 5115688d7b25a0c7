"""The review page's forms in real Chromium when the session ends while one is being filled in (12 hours passed, or
signed out in another tab): nothing is done, one line says so, and signing in again returns to the form with what
was typed or pressed still there to press again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.chromium import CHROMIUM
from tests.factories import insert_candidate, real_papers
from tests.web_server import SECRETS_ENV, Site

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]


async def sign_in_at(page: Any) -> None:
    await page.get_by_label("Admin token").fill(SECRETS_ENV["DIGEST_ADMIN_TOKEN"])
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_selector("#count")


@pytest.mark.asyncio
async def test_a_paper_typed_in_add_a_paper_survives_the_session_ending(site: Site, browser: Any) -> None:
    """The reference typed (and the section chosen) was lost: signing in again led to an empty field."""
    paper = real_papers()[0]
    candidate_id = insert_candidate(site.database, paper, suggested_sections=["Steering"])
    context = await browser.new_context(base_url=site.base)
    page = await context.new_page()
    await page.goto("/review?min=0.5")
    await sign_in_at(page)
    typed = f"https://arxiv.org/abs/{paper['arxiv_id']}v2"
    await page.get_by_label("Add a paper").fill(typed)
    await page.locator("#add-paper select[name=section]").select_option("Probing")
    site.clock.advance(timedelta(hours=13))  # sessions last 12 hours
    await page.get_by_role("button", name="Add and approve").click()
    await page.wait_for_selector("#error")
    assert "nothing was done" in await page.locator("#error").inner_text()
    assert site.status_of(candidate_id) == "pending"
    await page.get_by_label("Admin token").fill("a mistyped token")  # a wrong token first keeps it too
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_selector("text=That is not the admin token")
    await sign_in_at(page)
    assert "min=0.5" in page.url
    assert await page.get_by_label("Add a paper").input_value() == typed
    assert await page.locator("#add-paper select[name=section]").input_value() == "Probing"
    assert site.status_of(candidate_id) == "pending"  # signing in did not add it: the button is pressed again
    await page.get_by_role("button", name="Add and approve").click()
    await page.wait_for_selector("#undo")
    assert "approved into Probing" in await page.locator("p[role=status]").inner_text()
    await context.close()


@pytest.mark.asyncio
async def test_a_button_pressed_after_the_session_ended_is_there_again_after_signing_in(
    site: Site, browser: Any
) -> None:
    """In a long queue, signing in again led to the top of the page: the card whose button was pressed (folded, far
    down) had to be found again. It leads back to that card, open, its button ready to press."""
    papers = real_papers()
    ids = [
        insert_candidate(
            site.database, papers[index % len(papers)], arxiv_id=f"2501.{10000 + index}", score=2 - index / 100
        )
        for index in range(24)
    ]
    context = await browser.new_context(base_url=site.base, viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    await page.goto("/review")
    await sign_in_at(page)
    card = page.locator(f"#candidate-{ids[22]}")
    await card.locator("summary").first.click()  # a folded card, opened to decide it
    site.clock.advance(timedelta(hours=13))
    await card.get_by_role("button", name="Reject").click()
    await page.wait_for_selector("#error")
    await sign_in_at(page)
    assert page.url.endswith(f"#candidate-{ids[22]}") and site.status_of(ids[22]) == "pending"
    card = page.locator(f"#candidate-{ids[22]}")
    assert await card.locator("details.card").get_attribute("open") is not None
    assert await card.get_by_role("button", name="Reject").is_visible()
    await card.get_by_role("button", name="Reject").click()
    await page.wait_for_selector("#undo")
    assert site.status_of(ids[22]) == "rejected"
    await context.close()
