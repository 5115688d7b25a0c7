"""/review over a queue longer than its page, narrowed by score alone (filters SQL judges, so the page is counted and
read there rather than row by row): the count, the "Older" link and a decision taken on the page it leads to."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.browser_review import long_queue
from tests.web_pages import post, review
from tests.web_server import Site, sign_in


def shown_ids(page: str) -> list[int]:
    return [int(number) for number in re.findall(r'<article class="candidate[^"]*" id="candidate-(\d+)"', page)]


@pytest.mark.asyncio
async def test_a_score_filter_over_a_long_queue_is_counted_paged_and_decided_on_its_second_page(site: Site) -> None:
    """230 pending (scores 2.0 down to 0.9, ten to a score), ?min=1 matching 210: the first page says how many match
    and leads to the other 10, where a rejection comes back to that page, one card fewer."""
    ids = long_queue(site)
    _, csrf = await sign_in(site)
    first = await review(site, min="1")
    assert "200 shown of 210 matching the filters." in first
    older = re.search(
        r'<a rel="next" id="older" href="([^"]+)">Older: the next page, lower scores</a> \((\d+) more\)', first
    )
    assert older is not None and older.group(2) == "10", older
    async with site.client.get(unescape(older.group(1))) as reply:
        second = await reply.text()
    assert reply.status == 200
    assert "10 shown matching the filters after those on the pages before." in second
    assert sorted(shown_ids(first) + shown_ids(second)) == sorted(ids[:210])
    assert 'id="older"' not in second  # the last page
    rejected = shown_ids(second)[0]
    filters = unescape(re.findall(r'name="filters" value="([^"]*)"', second)[0])
    assert "after=" in filters and "min=1" in filters
    after = await post(site, {"csrf": csrf, "candidate_id": str(rejected), "action": "reject", "filters": filters})
    assert "9 shown matching the filters after those on the pages before." in after
    assert shown_ids(after) == shown_ids(second)[1:]
