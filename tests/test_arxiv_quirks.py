"""How arXiv's data quirks are handled: the API's paging, new versions, dates, old-style IDs, politeness, huge author
lists (first written by a QA review, each test failing on the code it was written against).

Everything runs against the loopback arXiv stand-in (tests/arxiv_server.py) serving the real recorded files in
tests/data/arxiv, or feeds built the way tests/feedbuild.py builds them, over a real SQLite file.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from digest import resources
from digest.arxiv.backfill import backfill
from digest.arxiv.poll_pass import run_poll
from digest.config import Settings
from digest.service.wiring import open_service_database as open_database
from digest.storage.db import Database
from digest.storage.models import Decision
from digest.storage.state import BackfillState
from tests.arxiv_answers import WITHDRAWN, api_page, api_settings, without_entries
from tests.arxiv_server import ARXIV_DATA, ArxivServer, FakeClock, Reply
from tests.conftest import make_settings
from tests.discord_bot import eventually, last_embed, running
from tests.factories import insert_candidate
from tests.fake_discord import MAINTAINER
from tests.feedbuild import build_rss
from tests.poller_feeds import MONDAY, RELEVANT, UNRELATED, candidates, feed, records
from tests.postgres_server import each_database, postgres_server, postgres_url  # noqa: F401  (fixtures)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data", '[arxiv]\ncontact = "maintainers@example.org"\n')


def saved_place(database: Database) -> BackfillState:
    with database.reading() as session:
        state = session.scalars(select(BackfillState)).one()
        session.expunge_all()
        return state


# ---------------------------------------------------------------------------------------------------------------------
# Backfill: the API's paging quirks


@pytest.mark.asyncio
async def test_backfill_an_empty_page_before_total_results_is_not_the_end(
    settings: Settings, database: Database
) -> None:
    """arXiv's API sometimes answers a page with no entries although opensearch:totalResults says thousands remain
    (arxiv.py retries such pages: UnexpectedEmptyPageError). The backfill takes that one glitch for the end: it
    stops, reports "done" (exit 0) and saves done=True, so the maintainer never learns that 214,861 papers were not
    read."""
    first, second = api_page("s0_m10_bc5a6c384fe9"), api_page("s10_m10_34e56e15aaac")
    async with ArxivServer() as server:
        server.program("/api/query", Reply(body=first), Reply(body=without_entries(second)), Reply(body=second))
        report = await backfill(api_settings(settings, server), database, date(2026, 4, 1), page_size=10,
                                clock=FakeClock(), max_pages=3)  # fmt: skip
    assert report.total == 214881
    # Observed: pages=2, entries=10, next_start=10, done=True (and saved done=True).
    assert not (report.done and report.next_start < report.total), (
        f"backfill says done at {report.next_start} of {report.total} after one empty page"
    )
    assert report.entries == 20
    assert saved_place(database).done is False


@pytest.mark.asyncio
async def test_backfill_a_page_cut_off_mid_entry_loses_that_paper(settings: Settings, database: Database) -> None:
    """A page whose body ends inside an entry (a proxy or arXiv dropping the answer part-way; the poll treats this as
    a failure and asks again). The backfill counts the half entry as read ("skipped") and moves its saved place past
    it: the next page starts after it, so that paper is never asked for again and never judged."""
    whole = api_page("s0_m10_bc5a6c384fe9")
    entries = [m.start() for m in re.finditer(rb"<entry>", whole)]
    cut = whole[: entries[5] + 400]  # five whole entries, then the sixth cut off inside
    lost_id = re.search(rb"<id>http://arxiv.org/abs/([^<]+?)v\d+</id>", whole[entries[5] :])[1].decode()  # type: ignore[index]
    async with ArxivServer() as server:
        server.program("/api/query", Reply(body=cut), Reply(body=api_page("s10_m10_34e56e15aaac")))
        report = await backfill(api_settings(settings, server), database, date(2026, 4, 1), page_size=10,
                                clock=FakeClock(), max_pages=2)  # fmt: skip
        starts = [r.query for r in server.requests_to("/api/query")]
    # Observed: the second request asks start=6, so entry 6 (index 5) is never fetched whole.
    assert report.stopped is not None or "start=5&" in starts[1], (
        f"{lost_id} was cut off and then skipped: the next request was {starts[1]!r}"
    )


@pytest.mark.asyncio
@pytest.mark.parametrize("total", ["\u00b2", "3000000000"])
async def test_backfill_reads_pages_whose_total_no_database_column_holds(
    tmp_path: Path,
    each_database: dict[str, str],  # noqa: F811
    total: str,
) -> None:
    """An answer whose opensearch:totalResults is a digit Python cannot convert ('²': `str.isdigit` says yes, `int`
    refuses) ended the parse with a ValueError traceback, and a total past 2**31 (a mirror's or a proxy's answer)
    stopped the backfill on PostgreSQL, whose INTEGER column refused to save its place ("integer out of range"). Such
    a total is no total: the page's papers are read and the place saved, on either database."""
    page = api_page("s0_m10_bc5a6c384fe9").replace(b">214881<", f">{total}<".encode())
    async with ArxivServer() as server:
        server.program("/api/query", Reply(body=page))
        settings = make_settings(
            tmp_path / "data",
            f'[arxiv]\ncontact = "maintainers@example.org"\napi_url = "{server.url("/api/query")}"\n',
            each_database,
        )
        database = open_database(settings)
        try:
            report = await backfill(settings, database, date(2026, 4, 1), page_size=10, clock=FakeClock(), max_pages=1)
            assert report.entries == 10 and report.total is None
            assert saved_place(database).next_start == 10
        finally:
            database.dispose()


@pytest.mark.asyncio
async def test_backfill_stops_resumably_when_empty_pages_go_on(settings: Settings, database: Database) -> None:
    """Empty pages before totalResults, again and again: asked again a few times with the fetcher's back-off, then
    the backfill stops (not done), with one line saying why, and its saved place is where a new run resumes."""
    from digest.arxiv.backfill import PAGE_RETRIES

    first, second = api_page("s0_m10_bc5a6c384fe9"), api_page("s10_m10_34e56e15aaac")
    clock = FakeClock()
    async with ArxivServer() as server:
        server.program("/api/query", Reply(body=first), Reply(body=without_entries(second)))
        report = await backfill(api_settings(settings, server), database, date(2026, 4, 1), page_size=10, clock=clock)
        starts = [r.query for r in server.requests_to("/api/query")]
        server.program("/api/query", Reply(body=second))
        resumed = await backfill(api_settings(settings, server), database, date(2026, 4, 1), page_size=10,
                                 clock=clock, max_pages=1)  # fmt: skip
    assert len(starts) == 2 + PAGE_RETRIES and all("start=10&" in start for start in starts[1:])
    assert [s for s in clock.sleeps if s != 3.0] == [5.0, 10.0, 20.0]  # the back-off, beside the 3 s spacing
    assert not report.done and report.stopped is not None and "\n" not in report.stopped
    assert "empty page" in report.stopped and "10 of 214881" in report.stopped
    assert (report.entries, report.next_start) == (10, 10)
    assert resumed.entries == 10 and resumed.next_start == 20 and not resumed.done


@pytest.mark.asyncio
async def test_backfill_keeps_the_whole_entries_of_a_cut_off_page(settings: Settings, database: Database) -> None:
    """The whole entries before the cut are stored; the entry cut off is the first one asked for next."""
    whole = api_page("s0_m10_bc5a6c384fe9")
    entries = [m.start() for m in re.finditer(rb"<entry>", whole)]
    async with ArxivServer() as server:
        server.program("/api/query", Reply(body=whole[: entries[5] + 400]), Reply(body=api_page("s5_m10_c0e94a259d4a")))
        report = await backfill(api_settings(settings, server), database, date(2026, 4, 1), page_size=10,
                                clock=FakeClock(), max_pages=2)  # fmt: skip
    assert (report.entries, report.next_start, report.stopped) == (15, 15, None)
    assert saved_place(database).next_start == 15


# ---------------------------------------------------------------------------------------------------------------------
# Announce types: a pending candidate comes back as a new version


@pytest.mark.asyncio
async def test_a_withdrawn_replacement_reaches_the_pending_candidate(settings: Settings, database: Database) -> None:
    """Monday: a relevant paper is announced (v1) and waits for review. Tuesday: arXiv announces v2 as `replace`; its
    abstract now says the paper was withdrawn, and an author is gone. The poll counts "1 new versions" and stores
    version 2, but the candidate keeps v1's abstract and authors, so /review, Discord and the private feed go on
    showing a normal paper and a maintainer approves a withdrawn paper into the list."""
    from digest.discord.messages import candidate_embed

    paper = RELEVANT[0]
    v1 = records(paper, authors=["Achyuta Rajaram", "Sarah Schwettmann", "Jacob Andreas"])
    v2 = records(paper, version=2, announce_type="replace", abstract=WITHDRAWN, authors=["Achyuta Rajaram"])
    async with ArxivServer() as server:
        url = server.program(
            "/rss/cs.CV",
            Reply(body=build_rss("cs.CV", v1, MONDAY)),
            Reply(body=build_rss("cs.CV", v2, date(2026, 4, 28))),
        )
        await run_poll(settings, database, sources=[url], clock=FakeClock())
        second = await run_poll(settings, database, sources=[url], clock=FakeClock())
    assert second.sources[0].updated == 1  # the poll saw the new version
    stored = candidates(database)[paper]
    assert stored.version == 2 and stored.status == "pending"
    shown = candidate_embed(stored, {})["description"]
    # Observed: the v1 abstract ("Language models can be equipped with multimodal capabilities ...") and 3 authors.
    assert "withdrawn" in stored.abstract, f"stored abstract is still v1's: {stored.abstract[:80]!r}"
    assert "withdrawn" in shown
    assert stored.authors == ["Achyuta Rajaram"]


@pytest.mark.asyncio
async def test_a_withdrawn_version_leaves_the_review_queue_and_keeps_its_history(
    settings: Settings, database: Database
) -> None:
    """Judged again on the withdrawn text: no longer first tier (not on /review, Discord or the private feed), the row
    and its decisions kept. A withdrawn paper seen for the first time is not kept for review either."""
    from digest.review.reviewer import Reviewer
    from digest.review.rules import Actor

    paper, other = RELEVANT[0], RELEVANT[1]
    withdrawn = records(paper, other, version=2, announce_type="replace", abstract=WITHDRAWN)
    async with ArxivServer() as server:
        url = server.program(
            "/rss/cs.CV", Reply(body=feed(paper)), Reply(body=build_rss("cs.CV", withdrawn, date(2026, 4, 28)))
        )
        await run_poll(settings, database, sources=[url], clock=FakeClock())
        reviewer = Reviewer(database, settings)
        first = candidates(database)[paper]
        reviewer.decide(first.id, "approve", Actor("ann", None, "cli"), "Probing")
        reviewer.decide(first.id, "revert", Actor("ann", None, "cli"))  # undone: pending, with its history
        await run_poll(settings, database, sources=[url], clock=FakeClock())
    stored = candidates(database)
    assert stored[paper].status == "pending" and stored[paper].relevant is False and stored[paper].version == 2
    assert other not in stored  # first seen withdrawn: nobody's to review
    with database.reading() as session:
        actions = session.scalars(select(Decision.action).where(Decision.candidate_id == stored[paper].id))
        assert sorted(actions) == ["approve", "revert"]


@pytest.mark.asyncio
async def test_a_new_version_of_a_decided_candidate_keeps_the_decision(settings: Settings, database: Database) -> None:
    """Approved into a section by a maintainer, then v2 renames the paper: the row takes the new title and authors,
    the decision (status, section, who, when) and the model's suggestion stay as they were."""
    from digest.review.reviewer import Reviewer
    from digest.review.rules import Actor

    paper = RELEVANT[0]
    renamed = {"title": "Renamed", "authors": ["A. Person"], "abstract": WITHDRAWN}
    v2 = feed(paper, version=2, announce_type="replace", day=date(2026, 4, 28), **renamed)
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=feed(paper)), Reply(body=v2))
        await run_poll(settings, database, sources=[url], clock=FakeClock())
        before = candidates(database)[paper]
        Reviewer(database, settings).decide(before.id, "approve", Actor("ann", None, "cli"), "Probing")
        decided = candidates(database)[paper]
        await run_poll(settings, database, sources=[url], clock=FakeClock())
    after = candidates(database)[paper]
    assert (after.title, after.authors, after.version) == ("Renamed", ["A. Person"], 2)
    kept = ("status", "decided_section", "decided_by", "decided_at", "relevant", "score", "suggested_section")
    assert {name: getattr(after, name) for name in kept} == {name: getattr(decided, name) for name in kept}


@pytest.mark.asyncio
async def test_a_new_version_of_a_readers_suggestion_stays_in_the_queue(settings: Settings, database: Database) -> None:
    """A reader put a paper the model passed over in the review queue; its new version, judged again, stays there."""
    paper = UNRELATED[0]
    insert_candidate(database, {**records(paper)[0], "published": "2026-01-10"}, relevant=True, score=0.1,
                     reader_note="worth a look", source_feeds=["suggested by a reader"])  # fmt: skip
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=feed(paper, version=2, announce_type="replace")))
        summary = await run_poll(settings, database, sources=[url], clock=FakeClock())
    stored = candidates(database)[paper]
    assert summary.sources[0].updated == 1 and stored.version == 2
    assert stored.relevant is True and stored.reader_note == "worth a look"


# ---------------------------------------------------------------------------------------------------------------------
# Dates: a `replace` / `cross` announcement of an older paper


@pytest.mark.asyncio
async def test_a_paper_first_seen_as_a_late_cross_list_is_dated_by_that_day(
    settings: Settings, database: Database
) -> None:
    """arXiv's RSS gives every item the feed day as pubDate, whatever its announce type; a cross-list added to an
    older paper is announced as `cross` on the day it is added (the real feed in tests/data has 2205.06398v2, a 2022
    paper, as `cross` on 2026-09-24). 2504.11695 (v1, April 2025), first seen as such a cross-list a year later, is
    stored as published 2026-04-27: no version of it is from that day. Approving it writes "(Apr. 27, 2026)" into the
    list and files it above the past year's papers as the newest; `digest add 2504.11695` (the API's <published>)
    would have dated the same paper April 2025."""
    from digest.review.reviewer import Reviewer
    from digest.review.rules import Actor

    paper = "2504.11695"
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=feed(paper, version=1, announce_type="cross")))
        summary = await run_poll(settings, database, sources=[url], clock=FakeClock())
    assert summary.sources[0].new_candidates == 1
    stored = candidates(database)[paper]
    assert stored.announce_type == "cross" and stored.version == 1
    Reviewer(database, settings).decide(stored.id, "approve", Actor("ann", None, "cli"), "Probing")
    entry = next(line for line in settings.list_markdown_path.read_text().splitlines() if paper in line)
    # Observed: published 2026-04-27 and the entry "... (Apr. 27, 2026)".
    assert stored.published is None or stored.published.year == 2025, f"stored published {stored.published}"
    assert "2026)" not in entry, entry


@pytest.mark.parametrize(
    ("arxiv_id", "announce", "given", "expected"),
    [
        ("2604.22002", "new", datetime(2026, 4, 27, 4, tzinfo=UTC), datetime(2026, 4, 27, 4, tzinfo=UTC)),
        ("2504.11695", "cross", datetime(2026, 4, 27, 4, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC)),
        ("2504.11695", "replace", datetime(2026, 4, 27, 4, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC)),
        ("2504.11695", "replace-cross", None, datetime(2025, 4, 1, tzinfo=UTC)),
        ("astro-ph/0601001", "cross", datetime(2026, 4, 27, tzinfo=UTC), datetime(2006, 1, 1, tzinfo=UTC)),
        ("2504.11695", None, datetime(2025, 4, 16, 17, tzinfo=UTC), datetime(2025, 4, 16, 17, tzinfo=UTC)),  # API
        ("2504.11695", "new", datetime(2025, 3, 31, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC)),  # never before
    ],
)
def test_a_paper_is_dated_by_its_own_day_or_its_ids_month(
    arxiv_id: str, announce: str | None, given: datetime | None, expected: datetime
) -> None:
    from digest.arxiv.parse import own_date

    assert own_date(arxiv_id, announce, given) == expected


# ---------------------------------------------------------------------------------------------------------------------
# Old-style identifiers


@pytest.mark.asyncio
async def test_an_old_style_candidate_can_be_decided_by_its_arxiv_id(
    settings: Settings, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    """A paper with an old-style ID (astro-ph/0601001, from a real API answer) is stored as a candidate under that ID,
    and `digest candidates` prints it; but `digest approve astro-ph/0601001` (README: "ID: the candidate's number, or
    its paper's arXiv ID or address") is a usage error, as is its abs address: only new-style IDs are understood."""
    from digest.arxiv.parse import parse_feed
    from digest.cli import main

    body = (ARXIV_DATA / "api/api_new_arxiv.py_id_astro-ph_0601001_s0_m100_3150dca9dc76_http200.xml").read_bytes()
    paper = parse_feed(body, "api").papers[0]
    assert paper.arxiv_id == "astro-ph/0601001"
    # No poll keeps an astrophysics paper for this list, and `digest add astro-ph/0601001` is refused (exit 2) too:
    # the candidate row is made by the tests' factory, as a poll of an old-style paper would store it.
    insert_candidate(database, {"arxiv_id": paper.arxiv_id, "title": paper.title, "abstract": paper.abstract,
                                "published": "2006-01-01"}, suggested_section="Probing")  # fmt: skip
    data_dir = str(settings.data_dir)
    assert main(["--data-dir", data_dir, "candidates", "--json"]) == 0
    assert "astro-ph/0601001" in capsys.readouterr().out
    # Observed: exit 2, "'astro-ph/0601001' is not a candidate number or an arXiv ID ...".
    assert main(["--data-dir", data_dir, "reject", "astro-ph/0601001"]) == 0, capsys.readouterr().err
    assert main(["--data-dir", data_dir, "pending", "https://arxiv.org/abs/astro-ph/0601001"]) == 0


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("astro-ph/0601001", "astro-ph/0601001"),
        ("hep-th/9901001v2", "hep-th/9901001"),
        ("arXiv:quant-ph/0201082v1", "quant-ph/0201082"),
        ("math.GT/0309136", "math/0309136"),  # the subject class arXiv no longer writes in the ID
        ("https://arxiv.org/abs/astro-ph/0601001", "astro-ph/0601001"),
        ("https://arxiv.org/pdf/cond-mat/0703001v3.pdf", "cond-mat/0703001"),
        ("astro-ph/0704001", None),  # new-style IDs from April 2007
        ("hep-th/9107001", None),  # before arXiv (August 1991)
        ("hep-th/9913001", None),
        ("hep-th/9901000", None),
        ("not-an/0601001", None),
        ("astro-ph/060100", None),
        ("Astro-ph/0601001", "astro-ph/0601001"),  # an archive in any case, as arXiv reads it
        ("HEP-TH/9901001v2", "hep-th/9901001"),
        ("https://arxiv.org/abs/MATH.gt/0309136", "math/0309136"),
        ("hep-th/9901001V2", None),  # the version as arXiv writes it
    ],
)
def test_old_style_references(given: str, expected: str | None) -> None:
    from digest.arxiv.additions import parse_arxiv_reference

    assert parse_arxiv_reference(given) == expected


# ---------------------------------------------------------------------------------------------------------------------
# Discord: a posted candidate's new version


@pytest.mark.asyncio
async def test_a_check_mark_given_on_the_shown_section_approves_into_the_new_versions_section(
    fake: Any, db: Database, bot_settings: Settings
) -> None:
    """The message says '✅ approve into Sparse Autoencoder'; a maintainer reacts ✅ while the bot is down (a deploy,
    a Discord outage). Meanwhile the poll stores v2 of the paper, whose text is a steering paper's. The suggestion of a
    posted candidate stays what its message offers, so the replayed ✅ approves into the section the maintainer was
    shown (it approved into Steering, which nobody chose or saw)."""
    paper = RELEVANT[0]
    other = records(RELEVANT[2])[0]  # a steering paper's text as v2's text
    v2 = feed(paper, version=2, announce_type="replace", title=other["title"], abstract=other["abstract"],
              day=date(2026, 4, 28))  # fmt: skip
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=feed(paper)), Reply(body=v2))
        await run_poll(bot_settings, db, sources=[url], clock=FakeClock())
        assert candidates(db)[paper].suggested_section == "Sparse Autoencoder"
        async with running(bot_settings, db) as bot:
            assert (await bot.post_pending()).posted == 1
        mid = int(candidates(db)[paper].discord_message_id or 0)
        assert "approve into Sparse Autoencoder" in last_embed(fake, mid)["footer"]["text"]
        await fake.react(mid, MAINTAINER, "✅", online=False)  # what the maintainer was shown: Sparse Autoencoder
        await run_poll(bot_settings, db, sources=[url], clock=FakeClock())
    judged = candidates(db)[paper]
    assert judged.title == other["title"] and judged.version == 2  # v2's text is the candidate's
    assert judged.suggested_section == "Sparse Autoencoder"  # the section its message offers
    async with running(bot_settings, db):
        await eventually(lambda: candidates(db)[paper].status != "pending", "the ✅ replayed")
    assert candidates(db)[paper].decided_section == "Sparse Autoencoder"


@pytest.mark.asyncio
async def test_a_new_title_of_a_posted_candidate_reaches_its_discord_message(
    fake: Any, db: Database, bot_settings: Settings
) -> None:
    """The candidate was posted to the review channel on Monday; Tuesday's `replace` (v2) renames the paper. The
    database takes the new title (the poll says "1 new versions"), but the bot only re-renders a message when the
    candidate's status changes, so the maintainers keep reviewing under v1's title until someone decides."""
    import asyncio

    from digest.discord.bot import ReviewBot
    from digest.review.reviewer import Reviewer

    paper = RELEVANT[0]
    renamed = "Line of Sight: Linear Representations of Image Concepts in Vision-Language Models"
    bot = ReviewBot(bot_settings, db, Reviewer(db, bot_settings), guild_ready_timeout=0.01, sync_interval=0.05)
    await bot.start()
    try:
        async with ArxivServer() as server:
            url = server.program(
                "/rss/cs.CV",
                Reply(body=feed(paper)),
                Reply(body=feed(paper, version=2, announce_type="replace", title=renamed, day=date(2026, 4, 28))),
            )
            await run_poll(bot_settings, db, sources=[url], clock=FakeClock())
            await bot.post_pending()  # or the bot's own round, every 0.05 s, posts it first
            await eventually(lambda: candidates(db)[paper].discord_message_id is not None, "the candidate posted")
            stored = candidates(db)[paper]
            mid = int(stored.discord_message_id or 0)
            second = await run_poll(bot_settings, db, sources=[url], clock=FakeClock())
        assert second.sources[0].updated == 1 and candidates(db)[paper].title == renamed
        rounds = bot.sync_rounds
        while bot.sync_rounds < rounds + 5:  # five of the bot's rounds that keep messages true
            await asyncio.sleep(0.05)
    finally:
        await bot.close()
    # Observed: the message still shows "Line of Sight: On Linear Representations in VLLMs".
    assert fake.messages[mid]["embeds"][0]["title"] == renamed


# ---------------------------------------------------------------------------------------------------------------------
# Politeness to arXiv


def test_the_three_second_rule_also_guards_the_api(tmp_path: Path) -> None:
    """`arxiv.min_interval_seconds` below 3 is refused "for arxiv.org", but the check looks only at `sources`. A
    deployment that polls a mirror or local files (`sources = [...]`) with no spacing keeps the default
    `api_url = https://export.arxiv.org/api/query`: `digest backfill --since 2015-01-01` (thousands of pages),
    `digest add`, /suggest and the list's abstracts then go to export.arxiv.org back to back, and config check says
    "configuration OK"."""
    from digest.config import ConfigError

    text = '[arxiv]\ncontact = "maintainers@example.org"\n'
    text += 'sources = ["/srv/mirror/cs.CV.xml"]\nmin_interval_seconds = 0\n'
    try:
        loaded = make_settings(tmp_path / "data", text)
    except ConfigError:
        return  # refused, as for sources on arxiv.org
    assert "arxiv.org" not in loaded.arxiv.api_url, (
        f"accepted: no pause between requests to {loaded.arxiv.api_url} (min_interval_seconds = 0)"
    )


@pytest.mark.asyncio
async def test_backfill_names_a_real_contact_to_arxiv(tmp_path: Path) -> None:
    """Out of the box the User-Agent sent to arXiv ends "(mailto:awesome-digest-maintainers@example.org)", the
    placeholder of config.example.toml, and `digest config check` says "configuration OK" without a word about it: a
    deployment that never set [arxiv] contact backfills thousands of API pages naming nobody arXiv could write to."""
    default = make_settings(tmp_path / "plain")
    async with ArxivServer() as server:
        server.program("/api/query", Reply(body=api_page("s0_m10_bc5a6c384fe9")))
        polite = make_settings(tmp_path / "plain", f'[arxiv]\napi_url = "{server.url("/api/query")}"\n')
        assert polite.arxiv.contact == default.arxiv.contact
        database = open_database(polite)
        try:
            await backfill(polite, database, date(2026, 4, 1), page_size=10, clock=FakeClock(), max_pages=1)
        finally:
            database.dispose()
        agent = server.requests_to("/api/query")[0].headers["User-Agent"]
    from digest.cli import main

    checked = main(["--data-dir", str(tmp_path / "plain"), "config", "check"])
    # Observed: agent ends "(mailto:awesome-digest-maintainers@example.org)" and config check exits 0 silently.
    assert "example.org" not in agent or checked != 0, agent


# ---------------------------------------------------------------------------------------------------------------------
# A collaboration paper: hundreds of authors


@pytest.mark.asyncio
async def test_a_paper_with_500_authors_does_not_flood_the_list_page(site: Any) -> None:
    """Large multimodal-model reports carry hundreds of authors on arXiv (the Gemini report, 2312.11805, well over a
    thousand), all in one dc:creator. Discord and the weekly digest show three and "et al."; the public list page
    (`/`) prints every name under the entry, and so does each item of the public feed /feeds/list.xml."""
    from digest.review.rules import Actor

    names = [f"Author{n:03d} Surname{n:03d}" for n in range(500)]
    paper = RELEVANT[0]
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=feed(paper, authors=names)))
        await run_poll(site.settings, site.database, sources=[url], clock=FakeClock())
    stored = candidates(site.database)[paper]
    assert len(stored.authors) == 500
    site.reviewer.decide(stored.id, "approve", Actor("ann", None, "cli"), "Probing")
    async with site.client.get("/") as response:
        page = await response.text()
    async with site.client.get("/feeds/list.xml") as response:
        public_feed = await response.text()
    # Observed: all 500 names on the page (about 11,000 characters of authors for one entry) and in the feed item.
    assert names[499] not in page, "the list page prints all 500 authors of one entry"
    assert names[499] not in public_feed, "the public feed prints all 500 authors of one item"
    shown = "Author000 Surname000, Author001 Surname001, Author002 Surname002 et al. (500 authors)"
    assert shown in page and shown in public_feed
    assert public_feed.count("<dc:creator>Author") == 3  # the rest are counted in the item's description


def test_a_short_author_list_is_shown_whole() -> None:
    from digest.text import authors_line

    assert authors_line(["A", "B", "C", "D"]) == "A, B, C, D"  # "et al." for one name would hide nothing
    assert authors_line(["A", "B", "C", "D", "E"]) == "A, B, C et al. (5 authors)"
    assert authors_line([]) == ""


def test_the_three_second_rule_names_what_is_on_arxiv(tmp_path: Path) -> None:
    """One rule for the feeds and the API: below 3 s is refused while either is on arxiv.org, accepted when neither."""
    from digest.config import ConfigError

    fast = '[arxiv]\nsources = ["http://127.0.0.1:9/rss"]\nmin_interval_seconds = 0\n'
    with pytest.raises(ConfigError, match=re.escape("api_url https://export.arxiv.org/api/query is on arxiv.org")):
        make_settings(tmp_path / "a", fast)
    with pytest.raises(ConfigError, match=re.escape("feeds/sources.toml")):
        make_settings(tmp_path / "b", '[arxiv]\napi_url = "http://127.0.0.1:9/api"\nmin_interval_seconds = 2.9\n')
    local = make_settings(tmp_path / "c", fast + 'api_url = "http://127.0.0.1:9/api/query"\n')
    assert local.arxiv.min_interval_seconds == 0


def test_the_three_second_rule_reads_the_feeds_folder_it_is_given(tmp_path: Path) -> None:
    """README: 'below 3 s is refused while `sources` (or `feeds/`) or `api_url` are on arxiv.org'. A feeds folder of
    one's own whose sources.toml names a mirror was refused all the same, naming 'feeds/sources.toml
    https://rss.arxiv.org/', an address that file does not hold; the rule reads the folder's own file."""
    from digest.config import ConfigError

    feeds = tmp_path / "feeds"
    feeds.mkdir()
    shutil.copy(resources.feeds_dir() / "rules.toml", feeds / "rules.toml")
    (feeds / "sources.toml").write_text('feeds = ["http://127.0.0.1:9/rss/cs.CV"]\n', encoding="utf-8")
    fast = f'feeds_dir = "{feeds}"\n[arxiv]\napi_url = "http://127.0.0.1:9/api"\nmin_interval_seconds = 0\n'
    mirror = make_settings(tmp_path / "a", fast)
    assert mirror.arxiv.min_interval_seconds == 0
    (feeds / "sources.toml").write_text(
        'feeds = ["http://127.0.0.1:9/rss/cs.CV", "https://rss.arxiv.org/rss/cs.CL"]\n', encoding="utf-8"
    )
    named = f"{feeds / 'sources.toml'} https://rss.arxiv.org/rss/cs.CL is on arxiv.org"
    with pytest.raises(ConfigError, match=re.escape(named)):
        make_settings(tmp_path / "b", fast)


def test_the_placeholder_contact_is_one_warning_and_never_sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from digest.arxiv.fetcher import Fetcher
    from digest.cli import main

    assert main(["--data-dir", str(tmp_path / "plain"), "config", "check"]) == 0
    warnings = [line for line in capsys.readouterr().out.splitlines() if "arxiv.contact" in line]
    assert len(warnings) == 1 and warnings[0].startswith("warning: ") and "example.org" in warnings[0]
    assert Fetcher(make_settings(tmp_path / "plain").arxiv).user_agent.endswith("awesome-digest)")
    named = make_settings(tmp_path / "named", '[arxiv]\ncontact = "maintainers@example.org"\n')
    assert Fetcher(named.arxiv).user_agent.endswith("(mailto:maintainers@example.org)")
    config = str(tmp_path / "named-config.toml")  # make_settings' file
    assert main(["--config", config, "--data-dir", str(tmp_path / "named"), "config", "check"]) == 0
    assert "arxiv.contact" not in capsys.readouterr().out


@pytest.mark.asyncio
async def test_backfill_an_empty_page_saying_zero_results_mid_paging_is_not_the_end(
    settings: Settings, database: Database
) -> None:
    """The glitch the new retry is for, in the form arXiv's API also sends it: an empty feed whose
    opensearch:totalResults is 0 (its answer for "nothing matched") at start=10, after page one said 214,881. The
    backfill takes the glitchy 0 as the new total, so the empty page is 'the end': done=True is saved at 10 of 0,
    and the next run of the same query has nothing to resume. A total that drops to 0 mid-paging (or any empty page
    after a non-empty one, as arxiv.py treats it) should be asked again like the other empty pages."""
    first, second = api_page("s0_m10_bc5a6c384fe9"), api_page("s10_m10_34e56e15aaac")
    glitch = re.sub(rb"(<opensearch:totalResults[^>]*>)\d+(<)", rb"\g<1>0\g<2>", without_entries(second))
    assert b">0</opensearch:totalResults>" in glitch
    async with ArxivServer() as server:
        server.program("/api/query", Reply(body=first), Reply(body=glitch), Reply(body=second))
        report = await backfill(api_settings(settings, server), database, date(2026, 4, 1), page_size=10,
                                clock=FakeClock(), max_pages=3)  # fmt: skip
    assert not report.done, f"done at {report.next_start} of {report.total} after one empty page"
    assert report.entries == 20
    assert saved_place(database).done is False


@pytest.mark.asyncio
async def test_a_polled_api_query_answered_with_an_empty_page_is_asked_again(
    settings: Settings, database: Database
) -> None:
    """An API query in feeds/sources.toml is polled like a feed. arXiv's API answered it with its known glitch, no
    entries although totalResults says 214,881: the poll said "fetched, 0 entries ... ok", so the retry job saw a
    fine day and that day's papers of the query were never read. It is broken, retried, and read at the retry."""
    full = api_page("s0_m10_bc5a6c384fe9")
    async with ArxivServer() as server:
        url = server.program("/api/query", Reply(body=without_entries(full)), Reply(body=full))
        glitch = await run_poll(settings, database, sources=[url], clock=FakeClock())
        retried = await run_poll(settings, database, sources=[url], clock=FakeClock())
    report = glitch.sources[0]
    assert (glitch.outcome, report.outcome) == ("failed", "broken"), report.line()
    assert "no entries" in report.message and "214881" in report.message
    assert retried.outcome == "ok" and retried.sources[0].entries == 10


def test_the_three_second_rule_holds_for_a_source_given_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An operator whose polls read a mirror 0.5 s apart (allowed: nothing configured is on arxiv.org) ran a one-off
    `digest poll --source https://rss.arxiv.org/rss/cs.CL https://rss.arxiv.org/rss/cs.CV`: arXiv was asked at the
    mirror's pace, half a second apart. The rule the configuration is held to now holds for --source: refused in one
    line, nothing asked."""
    from digest.cli import main

    monkeypatch.chdir(tmp_path)  # no stray .env
    config = tmp_path / "digest.toml"
    config.write_text(
        '[arxiv]\ncontact = "maintainers@example.org"\nmin_interval_seconds = 0.5\n'
        'sources = ["http://127.0.0.1:9/rss/cs.CL"]\napi_url = "http://127.0.0.1:9/api/query"\n',
        encoding="utf-8",
    )
    arxiv = ["https://rss.arxiv.org/rss/cs.CL", "https://rss.arxiv.org/rss/cs.CV"]
    status = main(["--config", str(config), "--data-dir", str(tmp_path / "data"), "poll", "--source", *arxiv])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 1 and not (tmp_path / "data" / "digest.sqlite3").exists(), err  # refused before anything
    assert len(err) == 1 and err[0].startswith("digest: "), err
    assert "at least 3" in err[0] and "--source https://rss.arxiv.org/rss/cs.CL is on arxiv.org" in err[0]
