"""The review page for a maintainer with a keyboard and a screen reader, on a 360 px phone in real Chromium: after a
decision the page's title (read out as the page loads, unlike a status line already on it) says what was done, the
control the keyboard is on is ringed plainly enough to be seen (on the green Approve buttons too, light and dark),
and a wrong admin token brings the keyboard back to the field, which the error describes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser_review import DESKTOP, add_candidates, open_review
from tests.chromium import CHROMIUM
from tests.factories import real_papers
from tests.web_server import SECRETS_ENV, Site

PHONE = {"width": 360, "height": 740}

# The control with the keyboard's focus, as seen: its tag and text, the ring's width in px, and the ring's contrast
# with what lies around it (the nearest background drawn), which a ring must reach 3:1 against to be seen (WCAG 1.4.11).
FOCUS_RING = """() => {
  const channels = (colour) => colour.match(/[\\d.]+/g).map(Number);
  const luminance = (colour) => channels(colour).slice(0, 3)
    .map((v) => v / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4))
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const focused = document.activeElement;
  let around = focused.parentElement;
  while (around && channels(getComputedStyle(around).backgroundColor)[3] === 0) around = around.parentElement;
  const style = getComputedStyle(focused);
  const ring = luminance(style.outlineColor);
  const ground = luminance(getComputedStyle(around || document.body).backgroundColor);
  const shown = style.outlineStyle === "none" ? 0 : parseFloat(style.outlineWidth);
  return [focused.tagName + " " + (focused.textContent || "").trim().slice(0, 30), shown,
          (Math.max(ring, ground) + 0.05) / (Math.min(ring, ground) + 0.05)];
}"""

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="browser tests need Chromium at /usr/bin/chromium: run `apt-get install chromium` to enable them",
    ),
]


@pytest.mark.asyncio
@pytest.mark.parametrize("javascript", [True, False])
async def test_a_decision_by_keyboard_is_said_in_the_page_title(site: Site, browser: Any, javascript: bool) -> None:
    first, second, _ = add_candidates(site)
    page = await open_review(browser, site, PHONE, ready="article.candidate", java_script_enabled=javascript)
    title = site.settings.list_title
    assert await page.title() == f"Review · {title}"
    await page.locator(f"#candidate-{first}").get_by_role("button", name="Sparse Autoencoder").focus()
    await page.keyboard.press("Enter")
    await page.wait_for_selector("#undo")
    said = await page.title()
    assert said.startswith(await page.locator("p.notice").inner_text()) and said.endswith(f" · Review · {title}")
    assert "approved into Sparse Autoencoder." in said and "Undo" not in said
    assert await page.evaluate("document.activeElement.id") == f"candidate-{second}"  # at the next card to decide
    await page.locator("#undo").get_by_role("button", name="Undo").focus()
    await page.keyboard.press(" ")
    await page.wait_for_url("**undone=*")
    assert (await page.title()).startswith("Undone: ") and site.status_of(first) == "pending"
    await page.context.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_the_keyboard_focus_is_ringed_plainly_on_every_control(site: Site, browser: Any, scheme: str) -> None:
    add_candidates(site, count=2)
    page = await open_review(browser, site, PHONE, ready="article.candidate", color_scheme=scheme)
    faint = []
    for _ in range(24):  # the header, the add form, the filters, then the first card's link, abstract and buttons
        await page.keyboard.press("Tab")
        control, width, contrast = await page.evaluate(FOCUS_RING)
        if width < 2 or contrast < 3:
            faint.append(f"{control}: {width}px at {contrast:.1f}:1")
    assert faint == []
    await page.context.close()


@pytest.mark.asyncio
async def test_a_wrong_token_by_keyboard_comes_back_in_the_field_described_by_the_error(
    site: Site, browser: Any
) -> None:
    context = await browser.new_context(base_url=site.base, viewport=PHONE)
    page = await context.new_page()
    await page.goto("/review")
    await page.get_by_label("Admin token").focus()
    await page.keyboard.type("not-the-token-at-all")
    await page.keyboard.press("Enter")
    await page.wait_for_selector("#error")
    # Where the keyboard is now, and what a screen reader says there: the field, with the error as its description.
    focused = await page.evaluate(
        "(() => { const f = document.activeElement; return [f.id, (f.getAttribute('aria-describedby') || '')"
        ".split(' ').map((id) => document.getElementById(id)).filter(Boolean)"
        ".map((e) => e.textContent).join(' ')]; })()"
    )
    assert focused[0] == "token" and "not the admin token" in focused[1]
    await page.keyboard.type(SECRETS_ENV["DIGEST_ADMIN_TOKEN"])
    await page.keyboard.press("Enter")
    await page.wait_for_selector("#count")
    await context.close()


@pytest.mark.asyncio
async def test_the_single_key_shortcuts_can_be_turned_off_and_stay_off(site: Site, browser: Any) -> None:
    first, second, _ = add_candidates(site)
    page = await open_review(browser, site, PHONE, ready="article.candidate")
    keys = page.get_by_role("checkbox", name="Single-key shortcuts")
    assert await keys.is_checked()
    await keys.focus()
    await page.keyboard.press(" ")
    assert not await keys.is_checked() and not await page.locator("#keys").is_visible()
    await page.reload()  # a new page keeps the choice: the box is still clear and the keys still do nothing
    await page.wait_for_selector("article.candidate")
    assert not await keys.is_checked()
    await page.locator(f"#candidate-{first}").focus()
    for key in ("j", "a", "r", "u"):  # a speech user's "a", "ray", "you" ... said near the page
        await page.keyboard.press(key)
    await page.wait_for_timeout(300)
    assert (site.status_of(first), site.status_of(second)) == ("pending", "pending")
    assert await page.locator(f"#candidate-{first}").get_attribute("aria-current") == "true"
    assert await page.locator("p.notice").count() == 0
    await keys.check()  # and back on, the keys work again
    await page.locator(f"#candidate-{first}").focus()
    await page.keyboard.press("a")
    await page.wait_for_selector("#undo")
    assert site.status_of(first) == "approved"
    await page.context.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP])
async def test_the_first_tab_offers_to_skip_to_the_first_candidate(
    site: Site, browser: Any, viewport: dict[str, int]
) -> None:
    first, _, _ = add_candidates(site)
    page = await open_review(browser, site, viewport, ready="article.candidate")
    skip = page.locator("a.skip")
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "Skip to the first candidate"
    assert (await skip.bounding_box())["width"] > 100  # seen while it has the focus, out of sight otherwise
    await page.keyboard.press("Enter")
    assert await page.evaluate("document.activeElement.id") == f"candidate-{first}"
    await page.keyboard.press("Tab")  # the next stop is the first card's arXiv link
    where = "[document.activeElement.closest('article')?.id, document.activeElement.textContent]"
    assert await page.evaluate(where) == [f"candidate-{first}", f"arXiv:{real_papers()[0]['arxiv_id']}"]
    assert (await skip.bounding_box())["width"] <= 1
    await page.context.close()


async def spoken_at_focus(page: Any) -> tuple[str, str]:
    """The role and accessible name Chromium gives a screen reader for the control with the focus (its own tree)."""
    devtools = await page.context.new_cdp_session(page)
    document = await devtools.send("DOM.getDocument")
    focused = await devtools.send("DOM.querySelector", {"nodeId": document["root"]["nodeId"], "selector": ":focus"})
    nodes = (await devtools.send("Accessibility.getPartialAXTree", {"nodeId": focused["nodeId"]}))["nodes"]
    mine = next(node for node in nodes if not node.get("ignored") and node.get("backendDOMNodeId"))
    await devtools.detach()
    return mine["role"]["value"], mine["name"]["value"]


@pytest.mark.asyncio
async def test_the_abstract_toggle_is_named_shortly_and_its_text_read_once_opened(site: Site, browser: Any) -> None:
    first, _, _ = add_candidates(site)
    paper = real_papers()[0]
    page = await open_review(browser, site, PHONE, ready="article.candidate")
    await page.locator(f"#candidate-{first} details.abstract summary").focus()
    role, name = await spoken_at_focus(page)  # what a screen reader says on reaching it while tabbing
    assert (
        role == "DisclosureTriangle"
        and name.startswith("Abstract of ")
        and paper["title"][:20] in name
        and len(name) <= 64
    )
    assert paper["abstract"][:40] not in name
    await page.keyboard.press("Enter")
    abstract = page.locator(f"#candidate-{first} details.abstract")
    assert await abstract.get_by_role("paragraph").filter(has_text=paper["abstract"][:40]).is_visible()
    tree = await page.locator(f"#candidate-{first}").aria_snapshot()
    assert paper["abstract"][20:70] in tree  # opened (past the marked words), the text is there to be read
    await page.context.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("javascript", [True, False])
async def test_the_keys_line_speaks_only_of_what_works_in_this_browser(
    site: Site, browser: Any, javascript: bool
) -> None:
    add_candidates(site)
    page = await open_review(browser, site, PHONE, ready="article.candidate", java_script_enabled=javascript)
    shown = await page.locator("body").inner_text()
    assert "JavaScript" not in shown  # the keys' user has it; the one without it is not told of what they lack
    if javascript:
        assert "Single-key shortcuts: j/k next/previous" in shown and "u undo." in shown
    else:
        assert "shortcut" not in shown.lower() and "j/k" not in shown  # keys that need the script are not offered
    await page.context.close()
