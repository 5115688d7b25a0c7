"""Every web page checked by axe-core (the engine screen reader users' tools build on) in real Chromium, light and
dark, as a user reaches it: the public list, /suggest (its refusal, and its thank-you after a paper fetched from a
loopback arXiv), the sign-in page (and a wrong token), /review with real candidates on its pending and approved tabs, on
a 390 px phone, as served with JavaScript off, searched to an empty queue, with a withdrawn list paper's notice, the
"reject all shown" confirmation, a signed approval link and what pressing it shows, the history and the error pages.
No page may have a `serious` or `critical` violation (missing names and labels, contrast, landmarks, duplicate ids),
nor, as none has one now, any of axe's lesser ones: a form that is a group but no landmark of its own, a landmark named
as another is. What axe cannot see, the keyboard's focus, is checked by pressing Tab through /review."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from axe_playwright_python.async_playwright import Axe

from digest.review.signing import ApprovalLink, sign_link
from tests.add_command import API_PATH, HEAT_BATH, recorded
from tests.arxiv_answers import WITHDRAWN
from tests.arxiv_server import ArxivServer
from tests.browser_review import DESKTOP, add_candidates, open_review
from tests.chromium import CHROMIUM
from tests.factories import real_papers
from tests.list_notice_answers import changed_answer, poll_answer
from tests.review_add import arxiv_config
from tests.web_server import Site, running_site, site_settings

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="browser tests need Chromium at /usr/bin/chromium: run `apt-get install chromium` to enable them",
    ),
]


PHONE = {"width": 390, "height": 844}


@pytest_asyncio.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    """The web app beside a loopback arXiv whose API answers with a real recorded paper (1605.08386), for /suggest."""
    async with ArxivServer() as arxiv:
        arxiv.program(API_PATH, recorded(HEAT_BATH))
        async with running_site(site_settings(tmp_path / "data", arxiv_config(arxiv))) as running:
            yield running


async def public(browser: Any, site: Site, path: str, scheme: str) -> Any:
    """A new browser context, not signed in, at `path`."""
    context = await browser.new_context(base_url=site.base, viewport=DESKTOP, color_scheme=scheme)
    page = await context.new_page()
    await page.goto(path)
    return page


async def list_page(browser: Any, site: Site, scheme: str) -> Any:
    return await public(browser, site, "/", scheme)


async def suggest_page(browser: Any, site: Site, scheme: str) -> Any:
    return await public(browser, site, "/suggest", scheme)


async def suggest_refused(browser: Any, site: Site, scheme: str) -> Any:
    page = await public(browser, site, "/suggest", scheme)
    await page.get_by_label("arXiv ID or URL").fill("2501.0123")
    await page.get_by_role("button", name="Suggest").click()
    await page.wait_for_selector("p.error")
    return page


async def suggest_done(browser: Any, site: Site, scheme: str) -> Any:
    """A suggestion arXiv knows, fetched from the loopback arXiv and queued: the thank-you page."""
    page = await public(browser, site, "/suggest", scheme)
    await page.get_by_label("arXiv ID or URL").fill("https://arxiv.org/abs/1605.08386v1")
    await page.get_by_role("button", name="Suggest").click()
    await page.wait_for_selector("text=1605.08386 is queued for review")
    return page


async def signin_page(browser: Any, site: Site, scheme: str) -> Any:
    return await public(browser, site, "/review", scheme)


async def signin_refused(browser: Any, site: Site, scheme: str) -> Any:
    page = await public(browser, site, "/review", scheme)
    await page.get_by_label("Admin token").fill("not the token")
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_selector("p.error")
    return page


async def review_pending(browser: Any, site: Site, scheme: str) -> Any:
    """The queue right after an approval by its button: the notice with Undo above the cards left."""
    first, _, _ = add_candidates(site)
    page = await open_review(browser, site, ready="article.candidate", color_scheme=scheme)
    await page.locator(f"#candidate-{first}").get_by_role("button", name="Sparse Autoencoder").click()
    await page.wait_for_selector("#undo")
    return page


async def review_approved(browser: Any, site: Site, scheme: str) -> Any:
    page = await review_pending(browser, site, scheme)
    await page.goto("/review?status=approved")
    await page.wait_for_selector("article.candidate")
    return page


async def review_phone(browser: Any, site: Site, scheme: str) -> Any:
    add_candidates(site)
    return await open_review(browser, site, PHONE, ready="article.candidate", color_scheme=scheme)


async def review_no_script(browser: Any, site: Site, scheme: str) -> Any:
    """/review as a browser with JavaScript off shows it, checked in a page with it on (axe runs in the page's
    JavaScript): the served page's scripts taken out and its <noscript> parts shown, as for the no-script reader."""
    add_candidates(site)
    quiet = await open_review(browser, site, ready="article.candidate", java_script_enabled=False)
    served = await quiet.content()
    await quiet.context.close()
    assert "<script" in served
    page = await public(browser, site, "/", scheme)
    await page.route(
        site.base + "/review", lambda route: route.fulfill(body=no_scripts(served), content_type="text/html")
    )
    await page.goto("/review")
    await page.wait_for_selector("article.candidate")
    return page


def no_scripts(served: str) -> str:
    """The page without its scripts, a <noscript> part (shown inline when JavaScript is off) as a <span>."""
    kept = re.sub(r"<script\b[^>]*>.*?</script>", "", served, flags=re.DOTALL | re.IGNORECASE)
    return re.sub(r"<(/?)noscript\b", r"<\1span", kept, flags=re.IGNORECASE)


async def review_filtered_empty(browser: Any, site: Site, scheme: str) -> Any:
    """The queue searched for an author none of its papers has: nothing to review, the filters open."""
    add_candidates(site)
    page = await open_review(browser, site, color_scheme=scheme)
    await page.goto("/review?author=Nobody+Ever&min=0.5")
    await page.wait_for_selector("text=0 shown matching the filters")
    return page


async def review_notices(browser: Any, site: Site, scheme: str) -> Any:
    """A list paper arXiv withdrew, polled from a loopback arXiv: told above the queue until dismissed."""
    await poll_answer(site, changed_answer(3, summary=WITHDRAWN))
    add_candidates(site)
    page = await open_review(browser, site, ready="#list-notices", color_scheme=scheme)
    return page


async def reject_confirm(browser: Any, site: Site, scheme: str) -> Any:
    add_candidates(site)
    page = await open_review(browser, site, ready="article.candidate", color_scheme=scheme)
    await page.get_by_role("button", name="Reject all 3 shown…").click()
    await page.wait_for_selector("text=Yes, reject all 3")
    return page


async def approval_link(browser: Any, site: Site, scheme: str) -> Any:
    first, _, _ = add_candidates(site)
    paper = real_papers()[0]
    expires = site.clock() + timedelta(days=1)
    token = sign_link(site.secret_key(), ApprovalLink(first, "approve", "Steering", expires, str(paper["arxiv_id"])))
    return await public(browser, site, f"/approve/{token}?via=email", scheme)


async def approval_done(browser: Any, site: Site, scheme: str) -> Any:
    page = await approval_link(browser, site, scheme)
    await page.get_by_role("button", name="Approve into Steering").click()
    await page.wait_for_selector("text=Done: approved into Steering")
    return page


async def history_page(browser: Any, site: Site, scheme: str) -> Any:
    page = await review_pending(browser, site, scheme)
    await page.goto("/history")
    return page


async def error_page(browser: Any, site: Site, scheme: str) -> Any:
    """A filter the queue does not know, from a hand-typed address."""
    return await open_review(browser, site, path="/review?status=someday", color_scheme=scheme)


async def broken_link(browser: Any, site: Site, scheme: str) -> Any:
    return await public(browser, site, "/approve/not-a-signed-link", scheme)


PAGES: dict[str, Callable[[Any, Site, str], Awaitable[Any]]] = {
    "list": list_page,
    "suggest": suggest_page,
    "suggest-refused": suggest_refused,
    "suggest-done": suggest_done,
    "signin": signin_page,
    "signin-refused": signin_refused,
    "review-pending": review_pending,
    "review-approved": review_approved,
    "review-phone": review_phone,
    "review-no-script": review_no_script,
    "review-filtered-empty": review_filtered_empty,
    "review-notices": review_notices,
    "reject-confirm": reject_confirm,
    "approval-link": approval_link,
    "approval-done": approval_done,
    "history": history_page,
    "error": error_page,
    "broken-link": broken_link,
}


def described(violations: list[dict[str, Any]]) -> str:
    """Each violation's id, impact and the nodes it was found on, one line each."""
    return "\n".join(
        f"{v['id']} ({v['impact']}, {len(v['nodes'])}): " + "; ".join(" ".join(n["target"]) for n in v["nodes"])
        for v in violations
    )


@pytest.mark.asyncio
@pytest.mark.parametrize("name", list(PAGES))
async def test_a_page_has_no_accessibility_violation(site: Site, browser: Any, name: str) -> None:
    """Light, then the same page switched to dark as a reader's system setting would (one page load for both)."""
    page = await PAGES[name](browser, site, "light")
    for scheme in ("light", "dark"):
        await page.emulate_media(color_scheme=scheme)
        violations = (await Axe().run(page)).response["violations"]
        assert violations == [], f"{name} ({scheme}, {page.url}):\n{described(violations)}"
    await page.context.close()


# Every control a keyboard can reach on the page, in the page's order, each marked with its place; those in a closed
# fold or hidden have no box and are not reached.
TAB_STOPS = """() => [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]')]
  .filter((element) => element.tabIndex >= 0 && element.checkVisibility())
  .map((element, place) => { element.dataset.tabStop = place;
    return element.tagName + " " + (element.textContent || element.name || "").trim().slice(0, 40); })"""

# The control with the focus, as seen: its place, its ring's style and width, and where its box is on the screen.
FOCUSED = """() => { const focused = document.activeElement, style = getComputedStyle(focused);
  const box = focused.getBoundingClientRect();
  return {place: Number(focused.dataset.tabStop ?? -1), outline: style.outlineStyle,
          width: parseFloat(style.outlineWidth), top: box.top + scrollY, bottom: box.bottom + scrollY,
          seen: box.bottom > 0 && box.top < innerHeight && box.width > 0 && box.height > 0}; }"""


@pytest.mark.asyncio
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_every_control_on_review_is_reached_by_tab_in_order_with_a_ring(
    site: Site, browser: Any, viewport: dict[str, int]
) -> None:
    """axe cannot see the focus: each Tab press goes to the next control in the page's order, never back up the page,
    and the control is on the screen with a ring round it."""
    add_candidates(site)
    page = await open_review(browser, site, viewport, ready="article.candidate")
    await page.goto("/review")  # the keyboard from the top of the page, as a maintainer arriving
    await page.wait_for_selector("article.candidate")
    stops = await page.evaluate(TAB_STOPS)
    assert len(stops) > 20, stops
    above = 0.0
    for place, stop in enumerate(stops):
        await page.keyboard.press("Tab")
        focused = await page.evaluate(FOCUSED)
        assert focused["place"] == place, (stop, focused, stops[focused["place"]] if focused["place"] >= 0 else None)
        assert focused["outline"] != "none" and focused["width"] >= 2, (stop, focused)
        assert focused["seen"] and focused["bottom"] >= above, (stop, focused)
        above = focused["top"]
    await page.context.close()
