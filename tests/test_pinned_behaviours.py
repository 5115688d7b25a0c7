"""Behaviours the fault report broke on purpose without a test noticing, and the web fixes it asked for: a lock-out
survives a flood of forwarded addresses, maintainer pages are never cached, feed abstracts stay escaped in the raw
XML, a stale weekly claim is taken over, a second rejection rewrites nothing, a list's footer survives the round trip
byte for byte, and a 50 MB answer is refused without being read."""

from __future__ import annotations

import asyncio
import contextlib
import io
import socket
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from digest.arxiv.fetcher import Fetcher, FetchError
from digest.awesome import store as liststore
from digest.awesome.parse import parse_list
from digest.cli import main
from digest.config import ArxivSettings, Settings
from digest.review.queries import standing_of
from digest.review.rules import Actor
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from digest.storage.models import Candidate, Decision
from digest.storage.state import WeeklyDigest
from digest.web.app import bound_port, create_web_app, serve
from digest.web.context import CONTEXT
from digest.web.throttle import SignInThrottle, ThrottleRule
from digest.weekly.ledger import STALE_CLAIM
from digest.weekly.store import send_week
from tests.arxiv_server import FakeClock
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.postgres_server import each_database, postgres_server, postgres_url  # noqa: F401  (fixtures)
from tests.smtp_server import Inbox, smtp_server
from tests.web_server import SECRETS_ENV, Clock, Site, approval_links, signin_form, site_settings
from tests.weekly_data import WEEK, fill_week
from tests.weekly_email import NOW, with_smtp

ADMIN = SECRETS_ENV["DIGEST_ADMIN_TOKEN"]
FEED_TOKEN = SECRETS_ENV["DIGEST_FEED_TOKEN"]
HOSTILE_ABSTRACT = "We probe <script>alert('feed')</script> & <img src=x onerror=alert(1)> neurons."

# -- the sign-in lock-out and a flood of forwarded addresses -------------------------------------------------------


def test_a_flood_of_new_addresses_never_evicts_a_live_lock_out() -> None:
    throttle = SignInThrottle()  # the real rule: 5 failures, 15 minutes, 10,000 addresses
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    locked = [f"203.0.113.{n}" for n in range(3)]
    for address in locked:
        for _ in range(5):
            throttle.record_failure(address, now)
    for n in range(10_050):  # one wrong token from each of 10,050 addresses through a trusted proxy
        throttle.record_failure(f"10.{n // 65536}.{n // 256 % 256}.{n % 256}", now + timedelta(seconds=1))
    later = now + timedelta(minutes=5)
    assert all(throttle.retry_after(address, later) == timedelta(minutes=10) for address in locked)
    assert len(throttle) == 10_000  # still bounded: counting addresses made room, the locked ones stayed
    assert throttle.retry_after("203.0.113.99", later) is None  # nobody else is locked out
    # Once the lock has passed, the address starts afresh.
    assert throttle.retry_after(locked[0], now + timedelta(minutes=15)) is None


@contextlib.asynccontextmanager
async def site_with_throttle(settings: Settings, rule: ThrottleRule) -> AsyncIterator[str]:
    """The site behind a trusted proxy (every request comes from 127.0.0.1) with a smaller throttle table."""
    from digest.review.reviewer import Reviewer
    from digest.service.wiring import open_service_database

    database = open_service_database(settings)
    clock = Clock()
    app = create_web_app(settings, database, Reviewer(database, settings, clock), clock=clock)
    app[CONTEXT].sign_in_throttle = SignInThrottle(rule)
    runner = await serve(app, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{bound_port(runner)}"
    finally:
        await runner.cleanup()
        database.dispose()


@pytest.mark.asyncio
async def test_through_a_trusted_proxy_a_flood_of_forwarded_addresses_keeps_the_lock_out(tmp_path: Path) -> None:
    import aiohttp

    settings = site_settings(tmp_path / "data", '[web]\ntrusted_proxies = ["127.0.0.1"]\n')
    async with (
        site_with_throttle(settings, ThrottleRule(max_addresses=40)) as base,
        aiohttp.ClientSession(base, cookie_jar=aiohttp.CookieJar(unsafe=True)) as web,
    ):
        signin = await signin_form(web)

        async def try_token(token: str, forwarded_for: str) -> int:
            form, headers = {**signin, "token": token}, {"X-Forwarded-For": forwarded_for}
            async with web.post("/review/signin", data=form, headers=headers, allow_redirects=False) as reply:
                return reply.status

        for _ in range(5):
            assert await try_token("a wrong guess", "203.0.113.5") == 403
        assert await try_token(ADMIN, "203.0.113.5") == 429
        for n in range(50):  # more fresh addresses than the table holds
            assert await try_token("a wrong guess", f"198.51.100.{n}") == 403
        assert await try_token(ADMIN, "203.0.113.5") == 429  # still locked: the token is not even read
        assert await try_token(ADMIN, "192.0.2.1") == 303


# -- maintainer pages are never cached -----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_review_and_approval_pages_say_no_store_on_every_answer(site: Site) -> None:
    candidate_id = insert_candidate(site.database, real_papers()[0])
    seen: list[tuple[str, int, str | None]] = []

    async def check(method: str, path: str, **options: object) -> None:
        async with site.client.request(method, path, allow_redirects=False, **options) as reply:  # type: ignore[arg-type]
            seen.append((f"{method} {path}", reply.status, reply.headers.get("Cache-Control")))

    await check("GET", "/review")  # the sign-in page
    signin = await signin_form(site.client)
    await check("POST", "/review/signin", data={**signin, "token": "wrong"})
    await check("POST", "/review/signin", data={**signin, "token": ADMIN})  # 303 with the cookie
    async with site.client.get("/review") as reply:  # signed in by that
        csrf = (await reply.text()).split('name="csrf" value="', 1)[1].split('"', 1)[0]
    await check("GET", "/review")  # the candidates
    await check("GET", "/review", params={"decided": "x"})  # 400
    async with site.client.get("/feeds/candidates.xml", params={"token": FEED_TOKEN}) as reply:
        links = approval_links(await reply.text())
    approve_path = next(path for path, label in links if label.startswith("Approve"))
    await check("GET", approve_path)
    await check("GET", "/approve/not-a-token")
    await check("POST", "/review/decide", data={"csrf": csrf, "candidate_id": str(candidate_id), "action": "reject"})
    await check("GET", "/review", params={"decided": str(candidate_id)})
    await check("POST", approve_path)  # 409: already rejected
    await check("POST", "/review/decide", data={"csrf": "stale", "candidate_id": "1", "action": "reject"})
    await check("POST", "/review/signout", data={"csrf": csrf})
    assert {status for _, status, _ in seen} >= {200, 303, 400, 403, 409}
    assert [entry for entry in seen if entry[2] != "no-store"] == []
    async with site.client.get("/feeds/list.xml") as reply:  # public pages keep their caching
        assert reply.headers["Cache-Control"] == "public, max-age=300"


# -- feeds: a hostile abstract is escaped in the XML text itself ---------------------------------------------------


def feed_bodies(raw: str) -> list[str]:
    """Each item's HTML body as the XML carries it (RSS description, Atom content): what a reader renders."""
    root = ET.fromstring(raw)
    rss = [node.text or "" for node in root.iter("description") if "<p>" in (node.text or "")]
    atom = [node.text or "" for node in root.iter("{http://www.w3.org/2005/Atom}content")]
    return rss + atom


@pytest.mark.asyncio
async def test_a_script_in_an_abstract_is_escaped_in_the_raw_rss_and_atom(site: Site) -> None:
    papers = real_papers()
    listed = insert_candidate(site.database, papers[0], abstract=HOSTILE_ABSTRACT)
    site.reviewer.decide(listed, "approve", Actor("ann", None, "cli"), "Probing")
    insert_candidate(site.database, papers[1], abstract=HOSTILE_ABSTRACT)
    for path, params in (
        ("/feeds/list.xml", {}),
        ("/feeds/list.atom", {}),
        ("/feeds/candidates.xml", {"token": FEED_TOKEN}),
    ):
        async with site.client.get(path, params=params) as reply:
            assert reply.status == 200
            raw = (await reply.read()).decode("utf-8")
        assert "<script" not in raw.lower() and "<img" not in raw.lower(), path
        # The HTML inside the XML: the abstract is text in it, so a reader shows the tags instead of running them.
        bodies = [body for body in feed_bodies(raw) if "We probe" in body]
        assert bodies, path
        for body in bodies:
            assert "<script" not in body.lower() and "<img" not in body.lower(), path
            assert "We probe &lt;script&gt;alert(&#x27;feed&#x27;)&lt;/script&gt; &amp; &lt;img" in body, path


# -- the weekly email: a claim left by a dead sender is taken over -------------------------------------------------


def claim(database: Database, started: datetime) -> None:
    with database.transaction() as session:
        session.add(WeeklyDigest(week=str(WEEK), status="sending", attempts=1, last_attempt_at=started))


def test_a_weekly_sending_claim_older_than_the_timeout_is_taken_over(database: Database, settings: Settings) -> None:
    fill_week(database, settings)
    inbox = Inbox()
    with smtp_server(inbox) as port:
        mailing = with_smtp(settings, port)
        claim(database, NOW - STALE_CLAIM + timedelta(minutes=5))  # another sender is at work
        busy = send_week(mailing, database, WEEK, NOW)
        assert (busy.status, inbox.messages) == ("busy", [])
        later = NOW + timedelta(minutes=10)  # the claim is now older than the timeout: its sender died
        taken = send_week(mailing, database, WEEK, later)
        assert taken.status == "sent"
    assert len(inbox.messages) == 1
    with database.reading() as session:
        row = session.get(WeeklyDigest, (str(WEEK), "readers"))
        assert row is not None and row.status == "sent" and row.attempts == 2


# -- a second rejection changes nothing ----------------------------------------------------------------------------


def test_rejecting_a_rejected_candidate_changes_nothing_and_keeps_who_decided(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    each_database: dict[str, str],  # noqa: F811
) -> None:
    """On each database: the maintainer's shell names the service's (DIGEST_DATABASE_URL on PostgreSQL)."""
    monkeypatch.chdir(tmp_path)
    for name, value in each_database.items():
        monkeypatch.setenv(name, value)
    settings = make_settings(tmp_path / "data", environ=each_database)
    database = open_service_database(settings)
    try:
        rejecting_again_changes_nothing(database, settings)
    finally:
        database.dispose()


def rejecting_again_changes_nothing(database: Database, settings: Settings) -> None:
    """`digest reject` of a candidate ann rejected: her rejection stands, its time kept, the list file untouched."""
    from digest.review.reviewer import Reviewer

    candidate_id = insert_candidate(database, real_papers()[0])
    decided_at = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    Reviewer(database, settings, lambda: decided_at).decide(candidate_id, "reject", Actor("ann", "42", "discord"))
    markdown = settings.list_markdown_path
    before = (markdown.read_bytes(), markdown.stat().st_mtime_ns)

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(["--data-dir", str(settings.data_dir), "reject", str(candidate_id)])
    # Says whose rejection stands (a maintainer deciding from the shell is told who came first).
    assert status == 0 and out.getvalue().endswith("already rejected by ann via discord on 2026-11-23 09:30 UTC\n")

    with database.reading() as session:
        candidate = session.get(Candidate, candidate_id)
        assert candidate is not None
        assert (candidate.status, candidate.decided_by, candidate.decided_at) == ("rejected", "ann", decided_at)
        standing = standing_of(session, candidate)
        assert (standing.by, standing.channel, standing.at) == ("ann", "discord", decided_at)
        applied = session.scalar(select(func.count(Decision.id)).where(Decision.applied.is_(True)))
        assert applied == 1
    assert (markdown.read_bytes(), markdown.stat().st_mtime_ns) == before


# -- the list: a generated list, footer and all, comes back byte for byte -----------------------------------------

WORDS = st.sampled_from(["Sparse", "Probing", "Vision", "Circuits", "Steering", "Neurons", "CLIP", "Tokens", "Model"])
FREE_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029\x85"), max_size=40
)
# What a README puts after its last entry: prose, headings, rules, HTML, badges, blank and trailing-space lines.
FOOTER_LINE = st.one_of(
    FREE_TEXT,
    st.just(""),
    st.just("----"),
    st.builds(lambda words: "## " + " ".join(words), st.lists(WORDS, min_size=1, max_size=3)),
    st.just('<p align="center"><img src="logo.png" alt="logo"></p>'),
    st.just("The main maintainer is Ann ([@ann](https://github.com/ann)).  "),
    st.just("  indented continuation"),
    st.just("* a plain [anchor](#section) bullet"),
)


@st.composite
def awesome_lists(draw: st.DrawFn) -> str:
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    lines = ["# Awesome " + " ".join(draw(st.lists(WORDS, min_size=1, max_size=3))), ""]
    lines += draw(st.lists(FREE_TEXT.filter(lambda t: not t.lstrip().startswith(("#", "+", "-", "*"))), max_size=2))
    number = 0
    for section in range(draw(st.integers(1, 3))):
        lines += ["", f"## {' '.join(draw(st.lists(WORDS, min_size=1, max_size=2)))} {section}", ""]
        for _ in range(draw(st.integers(1, 3))):
            number += 1
            arxiv_id = f"2401.{number:05d}"
            title = " ".join(draw(st.lists(WORDS, min_size=2, max_size=5))) + f" {number}"
            date = draw(st.sampled_from(["(2024)", "(Jan. 5, 2024)", "(Mar 2, 2023)", ""]))
            lines.append(f"+ **M{number}** [{title}](https://arxiv.org/abs/{arxiv_id}) {date}".rstrip())
            if draw(st.booleans()):
                lines.append(
                    f"  [![arXiv](https://img.shields.io/badge/arXiv-b31b1b.svg)](https://arxiv.org/abs/{arxiv_id})"
                )
            lines += [""] * draw(st.integers(0, 2))
    lines += draw(st.lists(FOOTER_LINE, max_size=8))
    text = newline.join(lines)
    return text + (newline if draw(st.booleans()) else "")


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=awesome_lists())
@example(document="# A\n\n## S\n\n+ [T](https://arxiv.org/abs/2401.00001) (2024)\n\n## Contribution\n\nThanks!  \n \n")
def test_a_generated_list_round_trips_byte_for_byte_footer_included(
    database: Database, settings: Settings, document: str
) -> None:
    data = document.encode("utf-8")
    with database.transaction() as session:
        liststore.import_markdown(session, data, source="generated.md")
    with database.reading() as session:
        rendered = liststore.render_markdown(session, settings.templates_dir)
    assert rendered.encode("utf-8") == data
    # A paper approved later goes among the entries; what followed the last entry still ends the file unchanged.
    parsed = parse_list(document)
    last_section, last_entry = [(section, entry) for section in parsed.sections for entry in section.entries][-1]
    after_last_entry = parsed.joined()[parsed.joined().rindex(last_entry.raw) + len(last_entry.raw) :]
    with database.transaction() as session:
        liststore.add_paper_entry(
            session,
            section_name=last_section.name,  # not an empty heading in the footer: a new section of its own
            title="A Later Paper On Circuits",
            arxiv_id="2612.00001",
            url="https://arxiv.org/abs/2612.00001",
            code_url=None,
            published=date(2026, 12, 1),
            authors=["Ann"],
            abstract=None,
            now=datetime(2026, 12, 2, tzinfo=UTC),
        )
        grown = liststore.render_markdown(session, settings.templates_dir)
    assert "2612.00001" in grown and grown.endswith(after_last_entry)


# -- the fetcher: an oversized answer is refused without reading it -------------------------------------------------

FIFTY_MB = 50 * 1024 * 1024


@contextlib.asynccontextmanager
async def oversized_server(declare_length: bool, sent: list[int]) -> AsyncIterator[str]:
    """Answers 50 MB and records how many bytes the client took before it hung up. The server's send buffer is
    small, so what was sent is what the client read plus its receive buffer."""
    done = asyncio.Event()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 32 * 1024)
        count = 0
        try:
            await reader.readuntil(b"\r\n\r\n")
            framing = f"Content-Length: {FIFTY_MB}" if declare_length else "Transfer-Encoding: chunked"
            writer.write(f"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n{framing}\r\n\r\n".encode())
            chunk = b"<!-- filler -->" * 4096
            while count < FIFTY_MB:
                writer.write(chunk if declare_length else b"%x\r\n%s\r\n" % (len(chunk), chunk))
                await writer.drain()
                count += len(chunk)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            sent.append(count)
            writer.close()
            done.set()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/rss/cs.CV"
        await asyncio.wait_for(done.wait(), timeout=20)
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.asyncio
@pytest.mark.parametrize("declare_length", [True, False])
async def test_a_50_mb_answer_is_refused_having_read_little_of_it(declare_length: bool) -> None:
    limit = 1024 * 1024
    arxiv = ArxivSettings(contact="maintainers@example.org", max_retries=0, max_response_bytes=limit)
    sent: list[int] = []
    async with oversized_server(declare_length, sent) as url, Fetcher(arxiv, clock=FakeClock()) as fetcher:
        with pytest.raises(FetchError, match="limit"):
            await fetcher.fetch(url)
    [taken] = sent
    # Reading it all takes 50 MB. Unread, the client holds at most its receive buffer, which grows only as it reads
    # (about 0.3 MB declared, 1.4 MB chunked on Linux loopback); 8 MB leaves room and is still far from 50.
    slack = 8 * 1024 * 1024
    assert taken < limit + slack, taken
    if declare_length:
        assert taken < slack, taken  # refused on the Content-Length, before the body
