"""The review page after a conference deadline, in Chromium: 300 candidates on a list of 12 sections, the best 200
shown, 180 of them folded to a line. Each card used to carry its abstract twice and its own list of every section:
1.16 MB served. Each abstract is now carried once and a folded card names its section in a field over the page's one
list of section names; a folded card is still decided with the keyboard alone, with JavaScript or without."""

from __future__ import annotations

from typing import Any

import pytest

from digest.awesome import store as liststore
from tests.browser_review import open_review
from tests.factories import insert_candidate, real_papers
from tests.web_server import Site

SECTIONS = [f"Topic {number} of the field" for number in range(12)]
# Measured on this page: 1,169,318 bytes served before, 736,417 after. Either weight taken off coming back fails:
# each shown abstract carried twice again (200 of ~900 characters: ~180,000), or a list of the 12 sections in each
# folded card again (180 x 12 options of ~62 characters: ~134,000); ~110,000 is left for the cards' markup to grow.
SERVED_BOUND = 850_000


def long_queue_of_real_papers(site: Site) -> list[int]:
    """A list of the 12 SECTIONS and 300 pending real papers, each suggesting three of them; each abstract ends in its
    own sentence ("Told apart as number N."), so a copy of it can be counted."""
    markdown = "# Awesome\n\n" + "".join(
        f"## {name}\n\n- [Paper {i}](https://arxiv.org/abs/2401.{i:05d}), 2024.\n\n" for i, name in enumerate(SECTIONS)
    )
    with site.database.transaction() as session:
        liststore.import_markdown(session, markdown.encode(), source="list.md")
    papers = real_papers()
    return [
        insert_candidate(
            site.database,
            {**papers[index % len(papers)], "arxiv_id": f"2501.{index:05d}"},
            abstract=papers[index % len(papers)]["abstract"] + f" Told apart as number {index}.",
            score=2 - index / 1000,
            suggested_sections=[SECTIONS[(index * step) % len(SECTIONS)] for step in (1, 5, 7)],
        )
        for index in range(300)
    ]


@pytest.mark.asyncio
@pytest.mark.parametrize("javascript", [True, False])
async def test_a_long_queue_is_light_and_a_folded_card_is_approved_into_a_chosen_section_by_keyboard(
    site: Site, browser: Any, javascript: bool
) -> None:
    ids = long_queue_of_real_papers(site)
    page = await open_review(browser, site, java_script_enabled=javascript)
    html = await page.content()
    assert html.count("Told apart as number 150.") == 1  # a folded card's abstract, once in the page
    assert html.count("Told apart as number 5.") == 1  # a card shown in full, too
    headings = page.locator("article.candidate").get_by_role("heading", level=2)
    assert await headings.count() == 200  # heading navigation reaches the folded cards too
    assert await headings.nth(150).inner_text() == real_papers()[150 % len(real_papers())]["title"]
    served = await page.evaluate("performance.getEntriesByType('navigation')[0].decodedBodySize")
    assert 0 < served < SERVED_BOUND, served

    card = page.locator(f"#candidate-{ids[150]}")
    summary = card.locator("details.card > summary")
    await page.locator(f"#candidate-{ids[149]} details.card > summary").focus()
    await page.keyboard.press("Tab")
    assert await summary.evaluate("s => s === document.activeElement")  # the next Tab stop is the next folded card
    await page.keyboard.press("Enter")
    chooser = card.get_by_label("Another section")
    for _ in range(30):  # past the abstract's toggle, the quick buttons, to the field naming the section
        await page.keyboard.press("Tab")
        if await chooser.evaluate("f => f === document.activeElement"):
            break
    assert await chooser.evaluate("f => f === document.activeElement")
    await page.keyboard.press("Control+A")
    await page.keyboard.type("Topic 11 of the field")
    await page.keyboard.press("Tab")
    approve = card.get_by_role("button", name="Approve", exact=True)
    assert await approve.evaluate("b => b === document.activeElement")
    await page.keyboard.press("Enter")
    notice = page.get_by_role("status").filter(has_text="2501.00150")
    await notice.wait_for()
    assert "approved into Topic 11 of the field." in await notice.inner_text()
    assert site.status_of(ids[150]) == "approved"
    await page.context.close()
