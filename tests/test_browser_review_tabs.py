"""/review in real Chromium across tabs, restored tabs and mistakes: what a maintainer lands on when a page belongs to
an earlier session, a paper typed into "Add a paper" is refused, or a tab reopens at an address that only takes a form.
Each test began as a QA report of a defect (its docstring tells what was seen)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser_review import add_candidates, on_the_queue, open_review
from tests.chromium import CHROMIUM
from tests.web_server import SECRETS_ENV, Site

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]


async def back_link(page: Any) -> str:
    return str(await page.locator("main a").last.get_attribute("href"))


@pytest.mark.asyncio
async def test_a_page_from_an_earlier_session_leads_back_to_the_queue_not_to_a_reload(site: Site, browser: Any) -> None:
    """Tab A shows the queue; in tab B the maintainer signs out and in again. Rejecting in tab A is refused (right),
    but the page says 'reload the page' (which posts the same stale form again, refused again) and its only link is
    the PUBLIC list: the queue and its filters are lost."""
    top, _, _ = add_candidates(site)
    page = await open_review(browser, site, path="/review?min=1")
    other = await page.context.new_page()
    await other.goto("/review")
    await other.get_by_role("button", name="Sign out").click()
    await other.get_by_label("Admin token").fill(SECRETS_ENV["DIGEST_ADMIN_TOKEN"])
    await other.get_by_role("button", name="Sign in").click()
    await other.wait_for_selector("#count")
    await page.locator(f"#candidate-{top}").get_by_role("button", name="Reject").click()
    await page.wait_for_load_state()
    assert site.status_of(top) == "pending"
    message = await page.locator("main p.error").inner_text()
    assert "nothing was done" in message and "reload" not in message, message
    assert on_the_queue(await back_link(page), min="1"), await back_link(page)
    await page.context.close()


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("2501.0123", "no ID arXiv can have issued: 2501.0123"),
        ("https://arxiv.org/abs/2411.16198", "2411.16198 is already in the list"),  # in the seed list
    ],
)
@pytest.mark.parametrize("script", [True, False], ids=["script", "no-script"])
@pytest.mark.asyncio
async def test_a_refused_paper_in_add_a_paper_is_kept_in_its_field_with_the_reason_beside_it(
    site: Site, browser: Any, typed: str, said: str, script: bool
) -> None:
    """A maintainer filtering the queue types an ID into 'Add a paper' and it is refused (mistyped, already listed):
    a 'Not added' page of its own said why, but what was typed was gone, and so was the queue: its link back led to
    an empty field, with the keyboard at the top of the page. Now the queue comes back as it was, the field holding
    the typed text and its section, the reason beside it as an alert, and the focus in the field."""
    add_candidates(site)
    page = await open_review(browser, site, path="/review?min=1", java_script_enabled=script)
    await page.get_by_label("Add a paper").fill(typed)
    await page.locator("#add-paper select[name=section]").select_option("Probing")
    await page.get_by_role("button", name="Add and approve").click()
    await page.wait_for_load_state()
    field = page.get_by_label("Add a paper")
    assert await field.input_value() == typed
    assert await page.locator("#add-paper select[name=section]").input_value() == "Probing"
    assert said in await page.get_by_role("alert").inner_text()
    assert await field.evaluate("f => f === document.activeElement")
    described = await field.evaluate("f => document.getElementById(f.getAttribute('aria-describedby')).textContent")
    assert said in described and await field.get_attribute("aria-invalid") == "true"
    # The queue the form was on, its filters kept.
    assert await page.get_by_label("Score from").input_value() == "1"
    assert await page.locator("article.candidate").count() == 3
    await page.context.close()


@pytest.mark.parametrize("address", ["/review/signin", "/review/decide", "/review/add", "/review/signout"])
@pytest.mark.asyncio
async def test_a_tab_reopened_at_a_form_address_shows_the_review_page_not_a_bare_405(
    site: Site, browser: Any, address: str
) -> None:
    """After a wrong token the sign-in page sits at /review/signin, after a decision refused at /review/decide. A tab
    the browser restores the next morning, or Enter in its address bar, asks that address again with GET: the answer
    is a bare text '405: Method Not Allowed', with no page, no link and no way back but typing /review."""
    add_candidates(site)
    page = await open_review(browser, site)
    reply = await page.goto(address)
    assert reply is not None and reply.status == 200, (reply.status if reply else None, await page.content())
    assert await page.locator("article.candidate").count() == 3
    await page.context.close()


@pytest.mark.parametrize("typed", ["2511.10250", "https://arxiv.org/abs/2511.10250v2", "arXiv:2511.10250"])
@pytest.mark.asyncio
async def test_a_paper_beyond_the_first_page_is_found_by_its_arxiv_id(site: Site, browser: Any, typed: str) -> None:
    """300 are pending; the page shows the best 200. Discord (or a colleague) names the paper by its arXiv ID, the one
    thing every message about it carries; typed into the search, it finds '0 shown matching the filters' (the search
    is on titles only), though the list page finds a paper by its ID."""
    from tests.factories import insert_candidate, real_papers

    papers = real_papers()
    for number in range(300):
        paper = papers[number % len(papers)]
        score = 2 - number / 1000
        insert_candidate(
            site.database, paper, arxiv_id=f"2511.{10000 + number}", title=f"{paper['title']} {number}", score=score
        )
    page = await open_review(browser, site)
    await page.get_by_text("Search and filter").click()
    await page.get_by_label("Title").fill(typed)
    await page.get_by_role("button", name="Filter").click()
    await page.wait_for_selector("#count")
    cards = page.locator("article.candidate")
    assert await cards.count() == 1, await page.locator("#count").inner_text()
    assert "arXiv:2511.10250" in await cards.first.inner_text()
    await page.context.close()


@pytest.mark.asyncio
async def test_a_wrong_admin_token_is_told_to_a_screen_reader_at_its_field(site: Site, browser: Any) -> None:
    """A maintainer using a screen reader pastes the wrong token: the page comes back with the same heading and an
    empty field, the error a plain paragraph no one is sent to, and the field neither marked invalid nor described by
    it (the /suggest form does both), so it sounds as if the page merely reloaded."""
    context = await browser.new_context(base_url=site.base)
    page = await context.new_page()
    await page.goto("/review")
    await page.get_by_label("Admin token").fill("not-the-token-at-all")
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_load_state()
    field = page.get_by_label("Admin token")
    described = await field.evaluate(
        "f => (f.getAttribute('aria-describedby') || '').split(' ').map(id => document.getElementById(id))"
        ".filter(Boolean).map(e => e.textContent).join(' ')"
    )
    assert "not the admin token" in described and await field.get_attribute("aria-invalid") == "true"
    assert (
        await page.get_by_role("alert").count() == 1 and await page.title() != "Sign in · " + site.settings.list_title
    )
    await context.close()


@pytest.mark.asyncio
async def test_the_one_click_section_buttons_say_they_approve(site: Site, browser: Any) -> None:
    """Tabbing through a card with a screen reader: the one-click buttons are heard as 'Steering, button', 'Probing,
    button' (the 'Approve into:' before them is a loose span, and a title attribute does not name a button that has
    text), so nothing says that pressing one approves the paper; the card's Undo is heard as 'Undo' with no paper.
    They now sit in a group named 'Approve into', which a screen reader says on entering it."""
    top, _, _ = add_candidates(site)
    page = await open_review(browser, site, path="/review?status=all")
    card = page.locator(f"#candidate-{top}")
    quick = card.get_by_role("group", name="Approve into")
    assert await quick.get_by_role("button", name="Steering").count() == 1
    await quick.get_by_role("button", name="Steering").click()
    await page.wait_for_selector("#undo")
    undo = page.locator(f"#candidate-{top}").get_by_role("button", name="Undo")
    described = await undo.evaluate(
        "b => document.getElementById(b.getAttribute('aria-describedby') || '')?.textContent"
    )
    assert described == await page.locator(f"#title-{top}").inner_text()
    await page.context.close()


@pytest.mark.asyncio
async def test_a_decision_sent_twice_says_done_and_keeps_its_undo(site: Site, browser: Any) -> None:
    """A held-down or double-tapped 'r' (or a double click on a slow line) sends the same rejection twice before the
    page has moved on. The paper is rejected, by this maintainer, but the page says 'Not done: ... already rejected
    by web maintainer ..., so nothing was changed. To change it on purpose, run digest approve N', and the
    Undo of that rejection is nowhere to be found."""
    top, _, _ = add_candidates(site)
    page = await open_review(browser, site)
    reject = page.locator(f"#candidate-{top}").get_by_role("button", name="Reject")
    # The first of the two sends, as the browser makes it from this form, answered while the page has not moved on
    # (what a key pressed twice in quick succession does, without the race).
    fields = await reject.evaluate("b => Object.fromEntries(new FormData(b.form, b))")
    await page.request.post("/review/decide", form=fields, max_redirects=0)
    await reject.click()
    await page.wait_for_load_state()
    assert site.status_of(top) == "rejected"
    assert await page.locator("#undo").count() == 1, await page.locator("main p").first.inner_text()
    notice = await page.get_by_role("status").inner_text()
    assert "rejected" in notice and "Not done" not in notice, notice
    await page.context.close()


@pytest.mark.asyncio
async def test_a_suggestion_named_another_way_is_offered_and_preselected_not_the_first_section(
    site: Site, browser: Any
) -> None:
    """A candidate's suggestion reads 'Sparse Autoencoders' (the heading was 'Sparse Autoencoders' when it was scored,
    since renamed; or a rule's section hint written so). Its approval link finds the section, as every section name
    is found; /review does not: no one-click button, and the section list starts at the list's FIRST section
    ('Surveys'), so the card's Approve files the paper under Surveys."""
    from tests.factories import insert_candidate, real_papers

    wrongly_named = insert_candidate(
        site.database,
        real_papers()[0],
        suggested_section="Sparse Autoencoders",
        suggested_sections=["Sparse Autoencoders", "steering"],
    )
    page = await open_review(browser, site)
    card = page.locator(f"#candidate-{wrongly_named}")
    quick = card.get_by_role("group", name="Approve into")
    assert await quick.get_by_role("button").all_inner_texts() == ["Sparse Autoencoder", "Steering"]
    assert await card.get_by_label("Another section").input_value() == "Sparse Autoencoder"
    await card.get_by_role("button", name="Approve", exact=True).click()
    await page.wait_for_selector("#undo")
    assert "approved into Sparse Autoencoder" in await page.get_by_role("status").inner_text()
    await page.context.close()


@pytest.mark.asyncio
async def test_an_undo_sent_twice_says_undone_not_refused(site: Site, browser: Any) -> None:
    """A double-tapped 'u' (or a double click on a slow line) sends the same Undo twice before the page has moved on.
    The paper is back to pending, as asked, but the page said 'Not undone: only your own decision of the last 5
    minutes can be undone here, while it still stands; ... is pending', and offered `digest pending N` to do what
    was done."""
    top, _, _ = add_candidates(site)
    page = await open_review(browser, site)
    await page.locator(f"#candidate-{top}").get_by_role("button", name="Reject").click()
    await page.wait_for_selector("#undo")
    undo = page.locator("#undo").get_by_role("button", name="Undo")
    fields = await undo.evaluate("b => Object.fromEntries(new FormData(b.form, b))")
    await page.request.post("/review/decide", form=fields, max_redirects=0)  # the first of the two sends
    await undo.click()
    await page.wait_for_load_state()
    assert site.status_of(top) == "pending"
    notice = await page.get_by_role("status").inner_text()
    assert "is pending again" in notice and "Not undone" not in notice, notice
    await page.context.close()
