"""The second tier on the command line and over time: `digest candidates` lists it only when asked, a poll forgets
what nobody touched weeks after, and a new version scored under both thresholds takes a paper out of it. Real SQLite,
arXiv answered by a local server."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from digest.cli import main
from digest.config import Settings
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from digest.storage.models import Candidate
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.second_tier import FIRST, SECOND, SECTION


def test_the_command_line_lists_what_waits_for_review_and_the_second_tier_only_when_asked(
    settings: Settings, database: Database, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest candidates` is the shell's review list: like /review and Discord it leaves out the pending papers just
    under the threshold (a day's review would otherwise carry the week's forty); `--second-tier` shows them, marked."""
    first = insert_candidate(database, FIRST, score=1.7, relevant=True, suggested_section=SECTION)
    second = insert_candidate(database, SECOND, score=0.93, relevant=False, suggested_section=SECTION)
    digest = ["--data-dir", str(data_dir), "candidates"]

    assert main([*digest, "--status", "pending"]) == 0
    shown = capsys.readouterr().out
    assert FIRST["arxiv_id"] in shown and SECOND["arxiv_id"] not in shown
    footer = "and 1 pending in the second tier, for the weekly digest (--second-tier lists them)"
    assert shown.splitlines()[-1] == footer

    assert main([*digest, "--second-tier"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert "(second tier)" in lines[str(second)] and "(second tier)" not in lines[str(first)]

    assert main([*digest, "--status", "pending", "--json"]) == 0
    assert [row["id"] for row in json.loads(capsys.readouterr().out)] == [first]
    assert main(["--data-dir", str(settings.data_dir), "approve", str(second)]) == 0  # from its weekly link, say
    capsys.readouterr()
    assert main([*digest, "--status", "approved", "--json"]) == 0  # decided: listed whatever its tier
    assert [(row["id"], row["tier"]) for row in json.loads(capsys.readouterr().out)] == [(second, "second")]


@pytest.mark.asyncio
async def test_a_poll_forgets_the_second_tier_of_weeks_long_past_and_keeps_what_anyone_touched(tmp_path: Path) -> None:
    """After two years, second-tier papers nobody looked at were two thirds of the candidates table. A poll forgets
    those first seen over 8 weeks ago; recent ones, and any a maintainer, Discord or a reader touched, stay."""

    from sqlalchemy import select

    from digest.arxiv.candidates import SECOND_TIER_KEPT
    from digest.arxiv.poll_pass import run_poll
    from digest.review.reviewer import Reviewer
    from digest.review.rules import Actor
    from tests.arxiv_server import ArxivServer, FakeClock
    from tests.service_runs import one_feed_config

    now = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)
    old, recent = now - SECOND_TIER_KEPT - timedelta(days=1), now - SECOND_TIER_KEPT + timedelta(days=1)
    papers = real_papers()
    async with ArxivServer() as arxiv:
        settings = make_settings(tmp_path / "data", one_feed_config(arxiv))
        database = open_service_database(settings)
        try:
            second = {"relevant": False, "score": 0.3}
            forgotten = insert_candidate(database, papers[0], first_seen_at=old, **second)
            kept = {
                "recent": insert_candidate(database, papers[1], first_seen_at=recent, **second),
                "posted": insert_candidate(database, papers[2], first_seen_at=old, discord_state="posted", **second),
                "reader": insert_candidate(database, papers[3], first_seen_at=old, reader_note="a good one", **second),
                "undone": insert_candidate(database, papers[4], first_seen_at=old, **second),
                "first tier": insert_candidate(database, papers[5], first_seen_at=old),
            }
            reviewer = Reviewer(database, settings)
            reviewer.decide(kept["undone"], "approve", Actor("ann", None, "cli"), "Steering")
            reviewer.decide(kept["undone"], "revert", Actor("ann", None, "cli"))
            await run_poll(settings, database, clock=FakeClock(now))
            with database.reading() as session:
                left = set(session.scalars(select(Candidate.id)))
        finally:
            database.dispose()
    assert forgotten not in left
    assert set(kept.values()) <= left


@pytest.mark.asyncio
@pytest.mark.parametrize("new_version", ["withdrawn", "off topic"])
async def test_a_pending_paper_a_new_version_puts_below_both_tiers_is_in_no_tier(
    settings: Settings, database: Database, data_dir: Path, capsys: pytest.CaptureFixture[str], new_version: str
) -> None:
    """Monday a paper waits for review; Tuesday arXiv announces v2, withdrawn (or now about something else, scored
    under both thresholds). It left the review queue but, kept as "not relevant", it counted as the second tier: the
    maintainers' weekly digest listed it under "Worth a look" with score 0.00 and a one-click approve link, and
    `digest candidates --second-tier` listed it. A paper below both tiers is in neither: it waits for no one."""
    from digest.arxiv.poll_pass import run_poll
    from tests.arxiv_answers import WITHDRAWN
    from tests.arxiv_server import ArxivServer, FakeClock, Reply
    from tests.feedbuild import build_rss
    from tests.poller_feeds import MONDAY, RELEVANT, UNRELATED, records

    paper = RELEVANT[0]
    if new_version == "withdrawn":
        text = {"abstract": WITHDRAWN}
    else:
        unrelated = records(UNRELATED[0])[0]
        text = {"title": unrelated["title"], "abstract": unrelated["abstract"]}
    v2 = records(paper, version=2, announce_type="replace", **text)
    async with ArxivServer() as server:
        url = server.program(
            "/rss/cs.CV",
            Reply(body=build_rss("cs.CV", records(paper), MONDAY)),
            Reply(body=build_rss("cs.CV", v2, date(2026, 4, 28))),
        )
        await run_poll(settings, database, sources=[url], clock=FakeClock())
        second = await run_poll(settings, database, sources=[url], clock=FakeClock())
    assert second.sources[0].updated == 1
    digest = ["--data-dir", str(data_dir)]

    assert main([*digest, "weekly", "--week", "2026-W18", "--edition", "maintainers", "--dry-run"]) == 0
    weekly = capsys.readouterr().out
    assert "## Worth a look" not in weekly and paper not in weekly, weekly
    assert main([*digest, "candidates", "--second-tier"]) == 0
    listed = capsys.readouterr().out
    # A withdrawn paper stays a candidate, listed as one (not as the second tier's): see test_withdrawn_in_list.py
    assert [line for line in listed.splitlines() if paper in line and "(second tier)" in line] == [], listed
    assert (paper in listed) == (new_version == "withdrawn"), listed
    assert main([*digest, "candidates"]) == 0
    assert "in the second tier" not in capsys.readouterr().out


@pytest.mark.asyncio
async def test_the_polls_log_line_counts_a_known_second_tier_paper_apart_from_the_matched_ones(
    settings: Settings, database: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A maintainer read "3 matched, 4 already known, 0 new candidates" at `digest run`: "already known" counted a
    second-tier paper the day's feed held again, so it outnumbered "matched". Known papers are now counted by tier."""
    import logging

    from digest.arxiv.poll_pass import run_poll
    from tests.arxiv_server import FakeClock
    from tests.feedbuild import build_rss
    from tests.poller_feeds import MONDAY, RELEVANT, UNRELATED, records

    just_under = records(UNRELATED[0], title="Probing vision-language models")  # scored in the second tier
    path = tmp_path / "cs.CV.xml"
    path.write_bytes(build_rss("cs.CV", [*records(*RELEVANT), *just_under, *records(*UNRELATED[1:])], MONDAY))
    await run_poll(settings, database, sources=[str(path)], clock=FakeClock())
    caplog.clear()  # the second poll's line alone
    with caplog.at_level(logging.INFO, logger="digest.arxiv"):
        await run_poll(settings, database, sources=[str(path)], clock=FakeClock())
    lines = [record.getMessage() for record in caplog.records if "fetched" in record.getMessage()]
    assert lines == [
        f"poll {path}: fetched, 7 entries, 3 matched (3 already known, 0 new candidates), "
        "1 for the weekly digest's second tier (1 already known, 0 new)"
    ], lines


def test_the_maintainers_weekly_counts_the_weeks_new_candidates_as_the_review_queue_does(
    settings: Settings, database: Database, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The maintainers' edition said "New candidates found on arXiv: 2" beside "1 candidate is waiting": the 2 counted
    a paper of the second tier, which waits for no one. The week's count is now of those for review, with the second
    tier said apart."""
    seen = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # in 2026-W48
    when = {"first_seen_at": seen, "updated_at": seen, "suggested_section": SECTION}
    insert_candidate(database, FIRST, score=1.7, relevant=True, **when)
    insert_candidate(database, SECOND, score=0.93, relevant=False, **when)

    assert (
        main(["--data-dir", str(data_dir), "weekly", "--week", "2026-W48", "--edition", "maintainers", "--dry-run"])
        == 0
    )
    weekly = capsys.readouterr().out
    waiting = "1 candidate found by Sunday 29 November 2026 is still waiting for a maintainer"
    assert f"{waiting} (when this edition was made)." in weekly, weekly
    found = next(line for line in weekly.splitlines() if line.startswith("- New candidates found on arXiv"))
    assert (
        found
        == "- New candidates found on arXiv: **1** for review, and 1 just under the review threshold (the second tier)"
    )
