"""The set-up of the one-hostile-paper audit: a real paper as arXiv's API answers it (Atom, with arxiv:comment) whose
title, authors, abstract and comment were tampered with, served by the local arXiv server and polled into a service
that has every output on: the fake Discord, a real git remote for the list, the web site."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from sqlalchemy import select

from digest.arxiv.poll_pass import run_poll
from digest.storage.models import Candidate
from tests.arxiv_server import ArxivServer, FakeClock, Reply
from tests.conftest import make_settings
from tests.fake_discord import FakeDiscord
from tests.feedbuild import load_records
from tests.git_remote import Remote, make_remote, publish_config
from tests.web_server import SECRETS_ENV, Site, running_site

PAPER = "2506.04706"  # Line of Sight: a real multimodal-interpretability paper that is not in the list
# Git trailers and a header break first, so that they are inside the title arXiv's bound keeps (300 characters).
FORGED = "\nSigned-off-by: Mallory <m@evil.example>\nPublished-by: awesome-digest\r\nBcc: evil@example.org\r\n"
HOSTILE = (
    "](javascript:alert(1)) ![x](http://evil.example/x.png) <script>alert(1)</script> <b onmouseover=alert(2)>b</b> "
    "]]> &amp; &lt;i&gt; &#60;s&#62; <!-- hidden \n## Heading\n+ [fake](https://evil.example)\n \u202egnp.exe "
    "zero\u200bwidth\u2060join @everyone @here <@&123> <@!42> ||spoiler|| `tick` ```fence``` *em* "
    "%s %(x)s %d {{ 7*7 }} {% raw %} {#c#}"
)
HOSTILE_AUTHOR = "@everyone <img src=x onerror=alert(1)> [me](javascript:alert(2))\r\nBcc: x@evil.example {{7*7}}"
COMMENT = "Code: https://github.com/evil/x)](javascript:alert(3)) " + HOSTILE
TITLE_LENGTH = 5000


def hostile_title(real: str) -> str:
    title = f"{real} {FORGED}{HOSTILE}"
    return title + " pad" * ((TITLE_LENGTH - len(title)) // 4)


def hostile_answer() -> bytes:
    """arXiv's API answer (as export.arxiv.org/api/query gives it) holding the tampered paper alone."""
    record = {r["arxiv_id"]: r for r in load_records()}[PAPER]
    authors = [*(record.get("authors") or ["Achyuta Rajaram"]), HOSTILE_AUTHOR]
    names = "".join(f"<author><name>{escape(name)}</name></author>" for name in authors)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom" \
xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">
  <title>ArXiv Query: search_query=cat:cs.CV</title>
  <id>http://arxiv.org/api/hostile</id>
  <updated>2026-04-27T00:00:00-04:00</updated>
  <opensearch:totalResults>1</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>
  <entry>
    <id>http://arxiv.org/abs/{PAPER}v1</id>
    <updated>2026-04-26T10:00:00Z</updated>
    <published>2026-04-26T10:00:00Z</published>
    <title>{escape(hostile_title(record["title"]))}</title>
    <summary>{escape(record["abstract"] + " " + FORGED + HOSTILE)}</summary>
    {names}
    <arxiv:comment>{escape(COMMENT)}</arxiv:comment>
    <link href="http://arxiv.org/abs/{PAPER}v1" rel="alternate" type="text/html"/>
    <arxiv:primary_category term="cs.CV" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.CV" scheme="http://arxiv.org/schemas/atom"/>
  </entry>
</feed>
""".encode()


@dataclass
class Polled:
    site: Site
    remote: Remote
    candidate: Candidate


@asynccontextmanager
async def polled_site(tmp_path: Path, fake: FakeDiscord) -> AsyncIterator[Polled]:
    """The web site of a service publishing to a real git remote and reviewing on the fake Discord, after one poll of
    the local arXiv server answering with the hostile paper."""
    remote = make_remote(tmp_path)
    config = fake.config_toml(post_cap=3) + publish_config(remote.url)
    settings = make_settings(tmp_path / "data", config, {**SECRETS_ENV, "DISCORD_TOKEN": "fake-token"})
    async with ArxivServer() as server, running_site(settings) as site:
        url = server.program("/api/query", Reply(body=hostile_answer(), content_type="application/atom+xml"))
        summary = await run_poll(site.settings, site.database, sources=[url], clock=FakeClock())
        assert summary.outcome == "ok" and summary.new_candidates == 1, summary.to_dict()
        with site.database.reading() as session:
            (candidate,) = session.scalars(select(Candidate))
            session.expunge_all()
        yield Polled(site, remote, candidate)
