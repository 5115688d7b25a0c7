"""/history on a 360 px phone in real Chromium: its table keeps whole words in the narrow columns (the time, the
decision, who, the channel), and a title with no spaces still does not push the page sideways."""

from __future__ import annotations

from typing import Any

import pytest

from digest.review.rules import Actor
from tests.browser_review import sign_in
from tests.chromium import CHROMIUM
from tests.factories import insert_candidate, real_papers
from tests.web_server import Site

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="browser tests need Chromium at /usr/bin/chromium: run `apt-get install chromium` to enable them",
    ),
]

# Each word of the table's cells shown that the browser drew on more than one line (cut in the middle), with its column.
BROKEN_WORDS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll("table.history th, table.history td")) {
    if (cell.closest("thead") && cell.closest("thead").getBoundingClientRect().width < 2) continue;  // hidden: read out
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.data.matchAll(/[^\\s-]+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const lines = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
        if (lines.size > 1) broken.push(match[0]);
      }
    }
  }
  return broken;
}"""


@pytest.mark.asyncio
async def test_the_history_table_on_a_phone_keeps_its_words_whole_and_fits(site: Site, browser: Any) -> None:
    first, second = real_papers()[:2]
    for paper, title in ((first, None), (second, "Unbroken" * 40)):
        candidate_id = insert_candidate(site.database, paper, **({"title": title} if title else {}))
        await site.reviewer.decide_async(candidate_id, "approve", Actor("maintainer", None, "web"), "Probing")
    context = await browser.new_context(base_url=site.base, viewport={"width": 360, "height": 740})
    page = await context.new_page()
    await page.goto("/history")
    await sign_in(page, "table.history")
    broken = [word for word in await page.evaluate(BROKEN_WORDS) if not word.startswith("Unbroken")]
    assert broken == [], broken
    sideways = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert sideways == 0
    await context.close()
