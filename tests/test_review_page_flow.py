"""/review as a maintainer clearing the morning queue uses it, in real Chromium (Playwright, /usr/bin/chromium) over a
real SQLite data folder and the real app on a loopback port: where the next decision lands, what a stale page, a late
undo or an ended session leads to, the session cookie on a link from Discord, counts, and what a screen reader, a phone
and dark mode get. Each test began as a QA report of a defect (its docstring tells what was seen)."""

from __future__ import annotations

from typing import Any

import pytest

from digest.config.invocation import same_invocation
from tests.browser_review import DESKTOP, add_candidates, numbered_queue, on_the_queue, open_review, sign_in
from tests.chromium import CHROMIUM
from tests.factories import insert_candidate, real_papers
from tests.web_server import SECRETS_ENV, Site

PHONE = {"width": 390, "height": 844}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]


async def sideways(page: Any) -> int:
    return int(await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


@pytest.mark.asyncio
async def test_after_a_shortcut_decision_the_next_key_acts_on_the_following_card_not_the_skipped_top_one(
    site: Site, browser: Any
) -> None:
    """A maintainer leaves the top card for later (j), rejects the second (r), then presses r again for the third:
    the page reloads with the highlight back on the TOP card, so the second r rejects the card they skipped."""
    top, second, third = add_candidates(site)
    page = await open_review(browser, site)
    await page.keyboard.press("j")
    await page.keyboard.press("r")
    await page.wait_for_selector("#undo")
    assert site.status_of(second) == "rejected"
    highlighted = await page.locator("article.candidate.current").get_attribute("id")
    await page.keyboard.press("r")
    await page.wait_for_selector("#undo")
    # The report: top rejected, third pending, highlight on the top card; the reverse is right.
    assert (site.status_of(top), site.status_of(third), highlighted) == ("pending", "rejected", f"candidate-{third}")
    await page.context.close()


@pytest.mark.asyncio
async def test_deciding_on_a_stale_page_returns_to_the_queue_with_the_filters(site: Site, browser: Any) -> None:
    """Two maintainers clear the same queue. B's page still shows the candidate A has just rejected; B approves it.
    Nothing is written (right), but B lands on a bare 'Not done' page whose only link is the PUBLIC list: the
    review queue, B's filters and the place in it are gone, and B must navigate back by hand."""
    top, _, _ = add_candidates(site)
    alice = await open_review(browser, site, path="/review?min=1")
    bob = await open_review(browser, site, path="/review?min=1")
    await alice.locator(f"#candidate-{top}").get_by_role("button", name="Reject").click()
    await alice.wait_for_selector("#undo")
    await bob.locator(f"#candidate-{top}").get_by_role("button", name="Steering").click()
    await bob.wait_for_load_state()
    assert site.status_of(top) == "rejected"
    # Back on /review keeping ?min=1 (the notice's own parameter beside it), saying who decided it meanwhile.
    assert on_the_queue(bob.url, min="1"), bob.url
    notice = await bob.locator("main p.error").inner_text()
    assert "already rejected by web maintainer on " in notice, notice
    assert f"{same_invocation(site.settings)} approve {top}" in notice, notice
    await alice.context.close()
    await bob.context.close()


@pytest.mark.asyncio
async def test_a_decision_made_after_signing_out_elsewhere_offers_to_sign_in_again(site: Site, browser: Any) -> None:
    """The maintainer signed out in another tab (or the 12-hour session ran out) and then presses Approve on the open
    page. The approval is not made, and the answer is a 'Sign in first' page whose only link is the public list:
    there is no sign-in form, no way back to /review with the filters, and the approval must be redone from memory."""
    top, _, _ = add_candidates(site)
    page = await open_review(browser, site, path="/review?title=sparse")
    other = await page.context.new_page()
    await other.goto("/review")
    await other.get_by_role("button", name="Sign out").click()
    await other.wait_for_load_state()
    await page.locator(f"#candidate-{top}").get_by_role("button", name="Steering").click()
    await page.wait_for_load_state()
    assert site.status_of(top) == "pending"
    sign_in_here = await page.get_by_label("Admin token").count()
    links = await page.locator("main a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert sign_in_here or any(link.startswith("/review") for link in links), (
        await page.locator("main").inner_text(),
        links,
    )
    assert "nothing was done" in await page.locator("main p.error").inner_text()
    # Signing in there returns to the same queue, filters kept; the approval is for the maintainer to press again.
    await sign_in(page, "#count")
    assert on_the_queue(page.url, title="sparse") and site.status_of(top) == "pending", page.url
    await page.context.close()


def _luminance(css: str) -> float:
    channels = [int(float(value)) / 255 for value in css[css.index("(") + 1 : css.index(")")].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(first: str, second: str) -> float:
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.asyncio
async def test_the_approve_buttons_text_is_readable_in_dark_mode(site: Site, browser: Any) -> None:
    """The green one-click approve buttons (the action pressed most) have white 16 px text: WCAG AA asks 4.5:1.
    Dark mode's --approve #2f8f50 gives 4.07:1 (light mode's #2d7d46 gives 5.1:1)."""
    scheme = "dark"
    add_candidates(site)
    page = await open_review(browser, site, color_scheme=scheme)
    button = page.locator("button.approve.quick").first
    text, background, size, weight = await button.evaluate(
        "b => { const s = getComputedStyle(b); return [s.color, s.backgroundColor, s.fontSize, s.fontWeight]; }"
    )
    assert (size, weight) == ("16px", "400")  # normal text: 4.5:1 applies
    assert _contrast(text, background) >= 4.5, (scheme, text, background, round(_contrast(text, background), 2))
    await page.context.close()


@pytest.mark.asyncio
async def test_the_count_says_how_many_are_pending_when_more_than_a_page_are(site: Site, browser: Any) -> None:
    """After a conference deadline 230 candidates wait. The page showed the best 200 and said '200 pending, best score
    first.': the other 30 were invisible, nothing said they existed, and the maintainer thought the queue was 200."""
    paper = real_papers()[0]
    for number in range(230):
        insert_candidate(
            site.database, {**paper, "arxiv_id": f"2601.{number:05d}"}, title=f"Paper {number}", score=1 + number / 1000
        )
    page = await open_review(browser, site)
    assert await page.locator("article.candidate").count() == 200
    count = await page.locator("#count").inner_text()
    assert "230" in count and "best 200" in count, count
    await page.context.close()


@pytest.mark.asyncio
async def test_the_decision_notice_is_announced_to_a_screen_reader(site: Site, browser: Any) -> None:
    """After a decision the page reloads with 'arXiv… (title): rejected.' and an Undo button at the top. The notice
    is a plain <p>: no role=status/alert, no aria-live, not focused, and the page title is unchanged, so a screen
    reader user hears nothing confirming (or refusing) what they did, nor that Undo is there."""
    top, _, _ = add_candidates(site)
    page = await open_review(browser, site)
    await page.keyboard.press("r")
    await page.wait_for_selector("#undo")
    assert site.status_of(top) == "rejected"
    announced = await page.evaluate(
        """() => {
            const notice = document.querySelector('p.notice');
            const live = notice.closest('[role=status],[role=alert],[aria-live]');
            return Boolean(live) || notice.contains(document.activeElement) || document.activeElement === notice
                || document.title.includes('rejected');
        }"""
    )
    assert announced, await page.locator("p.notice").evaluate("n => n.outerHTML")
    await page.context.close()


@pytest.mark.asyncio
async def test_without_javascript_the_page_does_not_promise_keyboard_shortcuts(site: Site, browser: Any) -> None:
    """With JavaScript off the page still says 'Keys: j/k next/previous · a approve · r reject · u undo', and none of
    them does anything (no accesskey either)."""
    top, _, _ = add_candidates(site)
    page = await open_review(browser, site, java_script_enabled=False)
    hint_visible = await page.locator("#shortcuts").is_visible()
    await page.keyboard.press("r")
    await page.wait_for_timeout(500)
    works = site.status_of(top) == "rejected"
    assert works or not hint_visible, "the shortcuts are announced but do nothing without JavaScript"
    await page.context.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_a_long_section_name_does_not_push_the_phone_page_sideways(site: Site, browser: Any, scheme: str) -> None:
    """A list whose headings include one of ~55 characters: at 390 px the 'into' select of the add field and every
    card's 'Another section' select grow to the longest option's width, and the whole page scrolls sideways."""
    from digest.storage.models import Section

    long_name = "Vision-Language Models and Multimodal Interpretability"
    with site.database.transaction() as session:
        session.add(Section(name=long_name, slug="vlm-interpretability", level=3, position=99, kind="papers"))
    add_candidates(site, suggested_section=long_name)
    page = await open_review(browser, site, PHONE, color_scheme=scheme)
    overflowing = await page.evaluate(
        """() => [...document.querySelectorAll('main *')]
            .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
            .map(e => e.tagName + ' ' + Math.round(e.getBoundingClientRect().right) + 'px')"""
    )
    assert await sideways(page) == 0, overflowing
    await page.context.close()


@pytest.mark.asyncio
async def test_a_shortcut_acts_on_the_card_the_maintainer_is_in_not_on_the_highlighted_top_one(
    site: Site, browser: Any
) -> None:
    """The maintainer opens the second card's abstract to read it (click, or Tab to it and Enter), decides it is off
    topic and presses r. The highlight never followed focus, so r rejects the TOP card, which was never read."""
    top, second, _ = add_candidates(site)
    page = await open_review(browser, site)
    await page.locator(f"#candidate-{second} details.abstract summary").click()
    assert await page.evaluate(f"document.getElementById('candidate-{second}').contains(document.activeElement)")
    await page.keyboard.press("r")
    await page.wait_for_selector("#undo")
    assert (site.status_of(top), site.status_of(second)) == ("pending", "rejected")
    await page.context.close()


@pytest.mark.asyncio
async def test_without_javascript_focus_comes_back_near_the_queue_after_a_decision(site: Site, browser: Any) -> None:
    """Keyboard only, JavaScript off: Tab to the first card's Reject, Enter. The answer is a 303 to /review with no
    fragment, so focus starts again at the top of the document: the next Tab lands on the 'The list' nav link and
    the next card's buttons are many Tabs away, after every decision."""
    top, second, _ = add_candidates(site)
    page = await open_review(browser, site, java_script_enabled=False)
    await page.locator(f"#candidate-{top} button.reject").focus()
    await page.keyboard.press("Enter")
    await page.wait_for_selector("#undo")
    assert site.status_of(top) == "rejected"
    presses = 0
    while presses < 40:
        await page.keyboard.press("Tab")
        presses += 1
        if await page.evaluate(f"document.getElementById('candidate-{second}').contains(document.activeElement)"):
            break
    # The next Tab (at most the Undo button first) reaches the next card.
    assert presses <= 2, f"{presses} Tab presses from the decision to the next card"
    await page.context.close()


@pytest.mark.asyncio
async def test_each_cards_buttons_say_which_paper_they_decide(site: Site, browser: Any) -> None:
    """A screen reader's list of buttons reads 'Approve, Reject, Approve, Reject…' and 'Steering, Steering…': the
    buttons' names do not name the paper, and the <article> cards have no accessible name to give that context."""
    add_candidates(site)
    page = await open_review(browser, site)
    title = real_papers()[1]["title"]
    named_card = await page.get_by_role("article", name=title).count()
    named_button = await page.get_by_role("button", name=f"Reject {title}").count()
    assert named_card == 1 or named_button == 1
    await page.context.close()


@pytest.mark.asyncio
async def test_undo_after_the_window_returns_to_the_queue(site: Site, browser: Any) -> None:
    """The Undo button stays on the open page after its five minutes; pressed then, it is refused (right) on a bare
    'Not undone' page whose only link is the public list (the same dead end as a stale decision)."""
    from datetime import timedelta

    top, _, _ = add_candidates(site)
    page = await open_review(browser, site, path="/review?min=1")
    await page.locator(f"#candidate-{top}").get_by_role("button", name="Reject").click()
    await page.wait_for_selector("#undo")
    site.clock.advance(timedelta(minutes=6))
    await page.locator("#undo").get_by_role("button", name="Undo").click()
    await page.wait_for_load_state()
    assert site.status_of(top) == "rejected"
    assert on_the_queue(page.url, min="1"), page.url
    notice = await page.locator("main p.error").inner_text()
    assert "Not undone" in notice and f"{site.reviewer.digest} pending {top}" in notice
    await page.context.close()


@pytest.mark.asyncio
async def test_a_signed_in_maintainer_following_the_discord_link_to_review_sees_the_queue(
    site: Site, browser: Any
) -> None:
    """Discord's 'N more candidates on the review page: …/review' is a link from another site. The session cookie
    is SameSite=Strict, so the browser does not send it on that navigation: the signed-in maintainer gets the
    sign-in form every time, and signing in again starts a new session whose Undo does not cover the other tab's
    decisions."""
    add_candidates(site)
    page = await open_review(browser, site)
    await page.goto(f'data:text/html,<a id="go" href="{site.base}/review">3 more candidates on the review page</a>')
    await page.click("#go")
    await page.wait_for_load_state()
    assert await page.get_by_label("Admin token").count() == 0, "asked to sign in again"
    assert await page.locator("article.candidate").count() == 3
    await page.context.close()


@pytest.mark.asyncio
async def test_a_form_on_another_site_cannot_decide_for_a_signed_in_maintainer(site: Site, browser: Any) -> None:
    """The other side of a Lax cookie: a page elsewhere that posts the review form (without the CSRF token, which it
    cannot read) gets no session with it, and nothing is decided."""
    top, _, _ = add_candidates(site)
    page = await open_review(browser, site)
    form = (
        f'<form method="post" action="{site.base}/review/decide"><input name="candidate_id" value="{top}">'
        '<input name="action" value="reject"><button id="go">Win a prize</button></form>'
    )
    await page.goto(f"data:text/html,{form}")
    await page.click("#go")
    await page.wait_for_url("**/review/refused?*")
    assert "sent by a page on another site" in await page.locator("main").inner_text()  # and no session came with it
    assert site.status_of(top) == "pending"
    await page.context.close()


@pytest.mark.asyncio
async def test_a_long_queue_is_folded_to_a_page_one_can_scroll(site: Site, browser: Any) -> None:
    """After a conference deadline 300 candidates wait: the page showed the best 200 as full cards, 72,000 pixels
    long, and the buttons at its end were a minute's scrolling away. Expected: the first cards in full, the others
    folded to one line each (the count says so), the page a fraction as long; a folded card opens when reached with
    `j` or clicked, and its buttons decide it."""
    ids = numbered_queue(site, 300)
    page = await open_review(browser, site)
    assert await page.locator("article.candidate").count() == 200
    height = await page.evaluate("document.documentElement.scrollHeight")
    assert height < 20_000, height
    count = await page.locator("#count").inner_text()
    assert "300 pending" in count and "The cards after the first 20 are folded to one line" in count, count
    folded = page.locator(f"#candidate-{ids[20]}")
    assert not await folded.get_by_role("button", name="Reject").is_visible()
    await page.locator(f"#candidate-{ids[19]}").focus()
    await page.keyboard.press("j")
    assert await folded.get_by_role("button", name="Reject").is_visible()
    await page.keyboard.press("r")
    await page.wait_for_selector("#undo")
    assert site.status_of(ids[20]) == "rejected"
    await page.locator(f"#candidate-{ids[40]} > details.card > summary").click()
    await page.locator(f"#candidate-{ids[40]}").get_by_role("button", name="Reject").click()
    await page.wait_for_selector("#undo")
    assert site.status_of(ids[40]) == "rejected"
    await page.context.close()


@pytest.mark.asyncio
async def test_reject_all_shown_leaves_the_folded_cards_alone(site: Site, browser: Any) -> None:
    """30 candidates waited: the page showed 20 in full and folded 10 to a title line each, and "Reject all 30 shown"
    rejected the 10 folded ones too, whose abstracts the maintainer had not read. Expected: the button names and
    rejects only the cards shown in full; the folded ones stay pending for a look."""
    ids = numbered_queue(site, 30)
    page = await open_review(browser, site)
    assert await page.get_by_role("button", name="Reject all 30 shown").count() == 0
    await page.get_by_role("button", name="Reject the 20 shown in full").click()
    assert await page.locator("li").count() == 20
    await page.get_by_role("button", name="Yes, reject all 20").click()
    await page.wait_for_selector("text=Rejected 20 candidates")
    assert [site.status_of(i) for i in ids] == ["rejected"] * 20 + ["pending"] * 10
    assert await page.locator("article.candidate").count() == 10
    await page.context.close()


@pytest.mark.asyncio
async def test_sign_out_after_the_session_ran_out_signs_out_without_asking_to_sign_in_first(
    site: Site, browser: Any
) -> None:
    """The page stayed open past the 12 hours (or the maintainer signed out in another tab) and Sign out was pressed:
    the answer was a 403 'Sign in first: your session has ended ..., so nothing was done. Sign in to go back to the
    review page, then press the button again', as if signing in were needed to sign out, and the dead cookie stayed
    in the browser. Signing out there ends where any sign-out does: on the sign-in form, the cookie gone."""
    from datetime import timedelta

    add_candidates(site, 1)
    page = await open_review(browser, site)
    site.clock.advance(timedelta(hours=13))
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_load_state()
    assert await page.get_by_label("Admin token").count() == 1
    assert await page.locator("main p.error").count() == 0, await page.locator("main").inner_text()
    # The session's cookie is gone; the sign-in form's own one (its CSRF token's) stays for the form shown.
    assert [cookie["name"] for cookie in await page.context.cookies()] == ["digest_signin"]
    await page.context.close()


@pytest.mark.asyncio
async def test_signing_in_on_the_first_of_two_signed_out_tabs_is_not_refused(site: Site, browser: Any) -> None:
    """Signed out, the maintainer opened /review in two tabs, then signed in on the first: 'Not signed in: this
    sign-in did not come from this site's own form'. The sign-in cookie was kept for /review/signin alone, so /review
    never got it back and each of its forms set a new one: the second tab's spoiled the first's."""
    add_candidates(site, 1)
    context = await browser.new_context(base_url=site.base, viewport=DESKTOP)
    first = await context.new_page()
    await first.goto("/review")
    second = await context.new_page()
    await second.goto("/review")
    await first.get_by_label("Admin token").fill(SECRETS_ENV["DIGEST_ADMIN_TOKEN"])
    await first.get_by_role("button", name="Sign in").click()
    await first.wait_for_load_state()
    assert await first.locator("#count").count() == 1, await first.locator("main").inner_text()
    await context.close()
