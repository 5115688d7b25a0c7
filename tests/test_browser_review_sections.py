"""/review in real Chromium when the list changed under the queue: a candidate whose suggested section the list no
longer has (taken out by hand, or merged into another)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from digest.awesome import store as liststore
from digest.config.invocation import same_invocation
from digest.review.signing import ApprovalLink, sign_link
from tests.browser_review import open_review
from tests.chromium import CHROMIUM
from tests.factories import insert_candidate, real_papers
from tests.web_server import SECRETS_ENV, Site

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]


def take_out_section(site: Site, name: str) -> None:
    """The list's top-level section `name` deleted by hand, heading and entries, and the list imported again."""
    with site.database.transaction() as session:
        markdown = liststore.render_markdown(session, site.settings.templates_dir)
        edited = re.sub(rf"(?ms)^## \S* {name}.*?(?=^## )", "", markdown)
        assert edited != markdown
        liststore.import_markdown(session, edited.encode(), source="edited.md")


@pytest.mark.asyncio
async def test_a_candidate_whose_suggested_section_is_gone_asks_for_one_before_approving(
    site: Site, browser: Any
) -> None:
    """The list's 'Tool' section was taken out while a paper suggested for it waited. Its card offered no section
    button, its list read 'choose a section', and its Approve button was there to press: pressed (or `a`, which did
    nothing at all), it led off the queue to 'Not done: no section named 'Tool' in the list', a name the page had never
    shown. Now the card says the suggestion is gone, Approve asks for a section first, and `a` goes to the list."""
    tool = insert_candidate(site.database, real_papers()[0], suggested_section="Tool", suggested_sections=["Tool"])
    other = insert_candidate(site.database, real_papers()[1], suggested_section="Tool", suggested_sections=["Tool"])
    take_out_section(site, "Tool")
    page = await open_review(browser, site)
    card = page.locator(f"#candidate-{tool}")
    assert "Tool" in await card.locator(".unlisted").inner_text()
    chooser = card.get_by_label("Another section")
    await card.get_by_role("button", name="Approve", exact=True).click()
    await page.wait_for_timeout(300)
    assert await page.locator("h1").inner_text() == "Candidates to review", "left the queue for a refusal"
    assert await chooser.evaluate("select => select.validity.valueMissing")
    assert site.status_of(tool) == "pending"

    await card.focus()
    await page.keyboard.press("a")
    assert await chooser.evaluate("select => document.activeElement === select")
    await chooser.select_option("Steering")
    await card.get_by_role("button", name="Approve", exact=True).click()
    await page.wait_for_selector("#undo")
    assert "approved into Steering" in await page.locator("p.notice").inner_text()

    await page.locator(f"#candidate-{other}").get_by_role("button", name="Reject").click()  # no section needed
    await page.wait_for_selector("text=rejected.")
    assert site.status_of(other) == "rejected"
    await page.context.close()


@pytest.mark.asyncio
async def test_a_paper_approved_into_another_section_meanwhile_is_told_how_to_move_it(site: Site, browser: Any) -> None:
    """Two maintainers had the queue open; one approved a paper into Steering while the other pressed Probing on
    their page. Nothing was changed (right), but the notice's one way on was 'To change it on purpose, run digest
    reject N': run as told, it takes the paper out of the list, where they only wanted it in Probing."""
    paper = insert_candidate(site.database, real_papers()[0], suggested_sections=["Steering", "Probing"])
    alice = await open_review(browser, site)
    bob = await open_review(browser, site)
    await bob.locator(f"#candidate-{paper}").get_by_role("button", name="Steering").click()
    await bob.wait_for_selector("#undo")
    await alice.locator(f"#candidate-{paper}").get_by_role("button", name="Probing").click()
    await alice.wait_for_load_state()
    notice = await alice.get_by_role("status").inner_text()
    assert "already approved into Steering" in notice, notice
    move = same_invocation(site.settings, "approve", str(paper), "--section")  # the service database, run as printed
    assert move in notice, notice
    assert site.status_of(paper) == "approved"
    # The feed's "Approve into Probing" link, opened after: the same way on.
    link = ApprovalLink(
        paper, "approve", "Probing", site.clock() + timedelta(days=1), str(real_papers()[0]["arxiv_id"])
    )
    await alice.goto("/approve/" + sign_link(SECRETS_ENV["DIGEST_SECRET_KEY"], link))
    assert move in await alice.locator("main").inner_text()
    for page in (alice, bob):
        await page.context.close()
