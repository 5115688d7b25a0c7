"""Every web page checked by axe-core (the engine screen reader users' tools build on) in real Chromium, light and
dark, as a user reaches it: the public list, /suggest (and its refusal), the sign-in page (and a wrong token), /review
with real candidates on its pending and approved tabs, a signed approval link and what pressing it shows, the history
and the error pages. No page may have a `serious` or `critical` violation (missing names and labels, contrast,
landmarks, duplicate ids), nor, as none has one now, any of axe's lesser ones: a form that is a group but no landmark
of its own, a landmark named as another is."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe

from digest.review.signing import ApprovalLink, sign_link
from tests.browser_review import DESKTOP, add_candidates, open_review
from tests.chromium import CHROMIUM
from tests.factories import real_papers
from tests.web_server import Site

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="browser tests need Chromium at /usr/bin/chromium: run `apt-get install chromium` to enable them",
    ),
]


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
    "signin": signin_page,
    "signin-refused": signin_refused,
    "review-pending": review_pending,
    "review-approved": review_approved,
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
