"""The newest SQL of /review read on PostgreSQL as a maintainer sees it, beside the same steps on SQLite: the queue's
count and its "Older" page with a decision there (web.review_queue), and the list's changed papers told by real polls
(arxiv.notices, restored.py, review.list_notices). Each runs on both databases and the pages' text must be the same."""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.arxiv_answers import WITHDRAWN
from tests.browser_review import QUEUE, long_queue
from tests.conftest import make_settings
from tests.list_notice_answers import SEEDED, changed_answer, poll_answer, shown_notices
from tests.postgres_server import PostgresServer, postgres_server  # noqa: F401  (fixtures)
from tests.web_pages import post, review
from tests.web_server import SECRETS_ENV, Site, running_site, sign_in


class _Text(HTMLParser):
    """The words a page shows (no markup, scripts, styles or hidden fields), one line a block."""

    def __init__(self) -> None:
        super().__init__()
        self.words: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._hidden += tag in ("script", "style")
        if tag in ("p", "article", "li", "h1", "h2", "h3", "tr", "form", "div", "section"):
            self.words.append("\n")

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.words.append(data)


def shown_text(page: str) -> str:
    reader = _Text()
    reader.feed(page)
    return "\n".join(" ".join(line.split()) for line in "".join(reader.words).splitlines() if line.strip())


async def on_each_database(
    tmp_path: Path, server: PostgresServer, steps: Callable[[Site], Awaitable[list[str]]]
) -> dict[str, list[str]]:
    """What `steps` read of the site run on SQLite, then on a PostgreSQL database of its own, at the same moment."""
    now = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)  # the seed is added "now"
    seen = {}
    for name in ("sqlite", "postgresql"):
        with server.fresh_database() if name == "postgresql" else contextlib.nullcontext("") as url:
            environ = {**SECRETS_ENV, **({"DIGEST_DATABASE_URL": url} if url else {})}
            async with running_site(make_settings(tmp_path / name, environ=environ)) as site:
                site.clock.now = now
                seen[name] = await steps(site)
    return seen


def _older(page: str) -> str | None:
    found = re.search(r'id="older" href="([^"]+)"', page)
    return html.unescape(found.group(1)) if found else None


def _count(page: str) -> str:
    found = re.search(r'<p class="meta" id="count">(.*?)</p>', page, re.S)
    assert found is not None, page[:500]
    return shown_text(found.group(1))


def _cards(page: str) -> list[int]:
    return [int(number) for number in re.findall(r'<article class="candidate[^"]*" id="candidate-(\d+)"', page)]


@pytest.mark.asyncio
async def test_the_queues_count_older_page_and_a_decision_there_read_on_postgresql_as_on_sqlite(
    tmp_path: Path,
    postgres_server: PostgresServer,  # noqa: F811
) -> None:
    """A queue longer than a page: the count it says, the "Older" page past the best 200, a paper rejected from that
    page, and the queue and the rejected papers after it, as text, alike on both databases."""

    async def steps(site: Site) -> list[str]:
        ids = long_queue(site)
        _, csrf = await sign_in(site)
        first = await review(site)
        older = _older(first)
        assert older is not None and _count(first).startswith(f"{QUEUE} pending; the best 200 are shown")
        async with site.client.get(older) as reply:
            second = await reply.text()
        on_second = _cards(second)
        assert len(on_second) == QUEUE - 200 and set(_cards(first) + on_second) == set(ids), on_second
        rejected = on_second[2]
        filters = re.search(r'name="filters" value="([^"]*)"', second)
        assert filters is not None
        after = await post(
            site,
            {"csrf": csrf, "candidate_id": str(rejected), "action": "reject", "filters": html.unescape(filters[1])},
        )
        assert f'id="candidate-{rejected}"' not in after.split('id="count"')[-1]  # gone from the page it was on
        queue, decided = await review(site), await review(site, status="rejected")
        assert _count(queue).startswith(f"{QUEUE - 1} pending") and _cards(decided) == [rejected]
        return [shown_text(page) for page in (first, second, after, queue, decided)]

    seen = await on_each_database(tmp_path, postgres_server, steps)
    assert seen["postgresql"] == seen["sqlite"]


@pytest.mark.asyncio
async def test_a_list_paper_retitled_withdrawn_and_restored_is_told_on_postgresql_as_on_sqlite(
    tmp_path: Path,
    postgres_server: PostgresServer,  # noqa: F811
) -> None:
    """Real polls of arXiv's API answer: a list paper retitled (v2), withdrawn (v3), then restored under another title
    (v4) in one poll; /review tells the restore and the new title, in the same order on both databases."""

    async def steps(site: Site) -> list[str]:
        await sign_in(site)
        said = []
        for answer in (
            changed_answer(2, title="Open Problems, Retitled"),
            changed_answer(3, title="Open Problems, Retitled", summary=WITHDRAWN),
            changed_answer(4, title="Open Problems, Restored"),
        ):
            await poll_answer(site, answer)
            said.append(await shown_notices(site) or "")
        assert ": withdrawn on arXiv on " in said[1] and "no longer withdrawn: arXiv restored it in v4" in said[2]
        assert said[2].count(SEEDED) == 2 and "withdrawn on arXiv on" not in said[2], said[2]
        return said

    seen = await on_each_database(tmp_path, postgres_server, steps)
    assert seen["postgresql"] == seen["sqlite"]
