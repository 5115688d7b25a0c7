"""A bundled list paper changed on arXiv (withdrawn, retitled, restored) as a real recorded API answer
(tests/data/arxiv/api) edited, polled by the real poll from a loopback arXiv into a running site's database; and what
/review then shows of the list's changed papers, as text."""

from __future__ import annotations

import html
import re

from digest.arxiv.poll_pass import run_poll
from digest.arxiv.poll_report import PollSummary, SourceReport
from tests.arxiv_server import ARXIV_DATA, ArxivServer, FakeClock, Reply
from tests.web_server import Site

ANSWER = "api/api_new_arxiv.py_id_1707.08567_s0_m100_6a1afebfc6a3_http200.xml"  # one paper
SEEDED = "2501.16496"  # in the bundled list as below
LISTED_TITLE = "Open Problems in Mechanistic Interpretability"


def changed_answer(version: int, *, title: str = LISTED_TITLE, summary: str | None = None) -> bytes:
    """The recorded answer's paper as `version` of SEEDED under `title`, and with `summary` as its abstract if given."""
    page = (ARXIV_DATA / ANSWER).read_bytes()
    entry = re.search(rb"<entry>.*?</entry>", page, flags=re.DOTALL)
    assert entry is not None
    changed = re.sub(rb"<title>.*?</title>", f"<title>{html.escape(title)}</title>".encode(), entry.group(), flags=re.S)
    if summary is not None:
        changed = re.sub(rb"<summary>.*?</summary>", f"<summary>{html.escape(summary)}</summary>".encode(), changed)
    return page.replace(entry.group(), changed.replace(b"1707.08567v1", f"{SEEDED}v{version}".encode()))


async def poll_answer(site: Site, body: bytes) -> SourceReport:
    """What the real poll reports of `body`, served as arXiv's API answers it, having stored it in the site's data."""
    summary = await poll_summary(site, body)
    assert len(summary.sources) == 1, summary
    return summary.sources[0]


async def poll_summary(site: Site, body: bytes) -> PollSummary:
    """The real poll's pass over `body` alone, as poll_answer (what `digest poll --json` prints)."""
    async with ArxivServer() as server:
        url = server.program("/api/query", Reply(body=body, content_type="application/atom+xml; charset=utf-8"))
        return await run_poll(site.settings, site.database, sources=[url], clock=FakeClock())


async def shown_notices(site: Site) -> str | None:
    """The text of /review's "Papers in the list that arXiv changed" (the client signed in), or None without it."""
    async with site.client.get("/review") as reply:
        assert reply.status == 200
        page = await reply.text()
    found = re.search(r'<section id="list-notices".*?</section>', page, flags=re.DOTALL)
    if found is None:
        return None
    assert "<script" not in found.group() and "<b>" not in found.group()  # feed text is never markup there
    return html.unescape(re.sub(r"<[^>]+>", "", found.group()))


async def dismiss(site: Site, csrf: str, notice: str) -> None:
    """The Dismiss button of SEEDED's `notice`, pressed."""
    form = {"paper": SEEDED, "notice": notice, "filters": "", "csrf": csrf}
    async with site.client.post("/review/notice", data=form, allow_redirects=False) as reply:
        assert reply.status == 303 and reply.headers["Location"] == "/review"
