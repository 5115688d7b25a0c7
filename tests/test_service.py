"""The service's schedule: jobs kept in the database, a missed run made up once on start, and `digest run --once`."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from digest.cli import main
from digest.service.process import Service
from digest.storage.db import open_database
from digest.storage.models import Candidate
from digest.storage.state import PollRun
from tests.arxiv_server import ArxivServer, Reply
from tests.conftest import DATA_DIR, make_settings
from tests.feedbuild import build_rss, load_records
from tests.service_runs import (
    one_feed_config,
    poll_runs,
    pretend_the_machine_was_off,
    stored_jobs,
    wait_settled,
)


@pytest.mark.asyncio
async def test_jobs_survive_a_restart_and_a_missed_poll_runs_once(tmp_path: Path) -> None:
    async with ArxivServer() as arxiv:
        config = one_feed_config(arxiv)
        settings = make_settings(tmp_path / "data", config)

        first = Service(settings)
        await first.start(serve_web=False)
        await wait_settled(first)  # a data folder that never polled polls once now, to the end (a stop during
        # it would leave it interrupted, and the next start would rightly poll again)
        assert poll_runs(settings) == 1
        await first.stop()
        jobs = stored_jobs(settings)
        assert set(jobs) == {"poll", "poll-retry", "weekly"}
        assert all(when > datetime.now(UTC) for when in jobs.values())

        # A plain restart neither loses nor doubles anything: same jobs, same next runs, no extra poll.
        second = Service(settings)
        await second.start(serve_web=False)
        await wait_settled(second)
        await second.stop()
        assert stored_jobs(settings) == jobs
        assert poll_runs(settings) == 1

        # The machine was off when the poll was due: it runs once on start, then waits for its next slot.
        pretend_the_machine_was_off(settings, "poll")
        third = Service(settings)
        await third.start(serve_web=False)
        await wait_settled(third)  # the missed poll has run, and nothing else will run on start
        await third.stop()
        assert poll_runs(settings) == 2
        assert stored_jobs(settings)["poll"] == jobs["poll"]
        assert len([r for r in arxiv.requests if r.path == "/rss/cs.CL"]) == 2


def test_run_once_polls_and_exits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async def serve_and_run() -> int:
        async with ArxivServer() as arxiv:
            feed = arxiv.serve_file("/rss/cs.CL", "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml")
            config = tmp_path / "config.toml"
            config.write_text(f'[arxiv]\nsources = ["{feed}"]\n', encoding="utf-8")
            args = ["--config", str(config), "--data-dir", str(tmp_path / "data"), "run", "--once"]
            return await asyncio.to_thread(main, args)

    assert asyncio.run(serve_and_run()) == 0
    settings = make_settings(tmp_path / "data")
    assert poll_runs(settings) == 1
    database = open_database(settings.database_url)
    with database.reading() as session:
        assert session.scalar(select(func.count(Candidate.id))) == 0  # the cs.CL papers are off topic
    database.dispose()


@pytest.mark.asyncio
async def test_stopping_lets_a_running_scheduled_poll_finish(tmp_path: Path) -> None:
    # Today's feed in New York: the same feed read again on a later announcement day would be arXiv running late.
    body = build_rss("cs.CL", load_records()[:3], datetime.now(ZoneInfo("America/New_York")).date())
    async with ArxivServer() as arxiv:
        feed = arxiv.program("/rss/cs.CL", Reply(body=body))
        settings = make_settings(
            tmp_path / "data",
            f'[arxiv]\nsources = ["{feed}"]\nmin_interval_seconds = 0.01\napi_url = "http://127.0.0.1:9/api/query"\n',
        )
        service = Service(settings)
        await service.start(serve_web=False)
        await wait_settled(service)  # the first-start poll is over
        arxiv.program("/rss/cs.CL", Reply(body=body, delay_seconds=1.5))  # arXiv is slow today
        assert service.scheduler is not None
        service.scheduler.modify_job("poll", next_run_time=datetime.now(UTC))  # the scheduled poll is due now
        for _ in range(100):
            if len(arxiv.requests_to("/rss/cs.CL")) == 2:
                break
            await asyncio.sleep(0.05)
        assert len(arxiv.requests_to("/rss/cs.CL")) == 2  # the scheduled poll is waiting for arXiv
        await service.stop()  # SIGTERM arrives mid-poll
    database = open_database(settings.database_url)
    with database.reading() as session:
        outcomes = [run.outcome for run in session.scalars(select(PollRun).order_by(PollRun.id))]
    database.dispose()
    assert outcomes == ["ok", "ok"]


@pytest.mark.asyncio
async def test_the_later_try_polls_again_only_after_a_broken_answer(tmp_path: Path) -> None:
    async with ArxivServer() as arxiv:
        error_feed = (
            DATA_DIR / "arxiv" / "api" / "api_new_arxiv.py_id_abc_s0_m100_b79c8dcf6bc3_http400.xml"
        ).read_bytes()
        feed = arxiv.program("/rss/cs.CL", Reply(status=400, body=error_feed, content_type="application/atom+xml"))
        settings = make_settings(
            tmp_path / "data",
            f'[arxiv]\nsources = ["{feed}"]\nmin_interval_seconds = 0.01\napi_url = "http://127.0.0.1:9/api/query"\n',
        )
        service = Service(settings)
        await service.start(schedule=False, serve_web=False)
        try:
            await service.poll_now("schedule")  # arXiv answers with an error feed: broken
            await service.retry_poll_if_broken()  # so the later try asks again, and now gets the real feed
            arxiv.serve_file("/rss/cs.CL", "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml")
            await service.retry_poll_if_broken()
            await service.retry_poll_if_broken()  # today's last poll was fine: nothing more
        finally:
            await service.stop()
        assert len(arxiv.requests_to("/rss/cs.CL")) == 3
    database = open_database(settings.database_url)
    with database.reading() as session:
        outcomes = [run.outcome for run in session.scalars(select(PollRun).order_by(PollRun.id))]
    database.dispose()
    assert outcomes == ["failed", "failed", "ok"]


@pytest.mark.asyncio
async def test_the_later_try_that_comes_while_a_poll_runs_waits_for_it_and_polls_no_more_when_it_went_fine(
    tmp_path: Path,
) -> None:
    # A slow poll (the first start's after a restart at 05:59, arXiv slow) still runs when the 06:00 retry comes.
    async with ArxivServer() as arxiv:
        body = (DATA_DIR / "arxiv" / "rss" / "rss_cs.CL_2026-04-27_trimmed-3items.xml").read_bytes()
        feed = arxiv.program("/rss/cs.CL", Reply(body=body, delay_seconds=1.5))
        settings = make_settings(
            tmp_path / "data",
            f'[arxiv]\nsources = ["{feed}"]\nmin_interval_seconds = 0.01\napi_url = "http://127.0.0.1:9/api/query"\n',
        )
        service = Service(settings)
        await service.start(schedule=False, serve_web=False)
        try:
            polling = asyncio.ensure_future(service.poll_now("schedule"))
            for _ in range(100):
                if arxiv.requests_to("/rss/cs.CL"):
                    break
                await asyncio.sleep(0.05)
            await service.retry_poll_if_broken()  # the retry comes while the poll waits for arXiv
            await polling
        finally:
            await service.stop()
        assert len(arxiv.requests_to("/rss/cs.CL")) == 1  # was: 2, the retry polled again after the fine poll
    database = open_database(settings.database_url)
    with database.reading() as session:
        outcomes = [run.outcome for run in session.scalars(select(PollRun).order_by(PollRun.id))]
    database.dispose()
    assert outcomes == ["ok"]


@pytest.mark.asyncio
async def test_a_poll_of_another_feed_from_the_shell_does_not_stand_for_the_days_broken_poll(tmp_path: Path) -> None:
    """The scheduled poll found arXiv's feed broken; before the retry, a maintainer tried a saved feed file with
    `digest poll --source FILE`, which went well. The retry took that run for today's poll ("today's poll was fine;
    nothing to retry") and the day's feed, gone by the evening, was never read. A run over other sources than the
    configured ones says nothing of them: the retry asks arXiv again."""
    async with ArxivServer() as arxiv:
        error_feed = (
            DATA_DIR / "arxiv" / "api" / "api_new_arxiv.py_id_abc_s0_m100_b79c8dcf6bc3_http400.xml"
        ).read_bytes()
        feed = arxiv.program("/rss/cs.CL", Reply(status=400, body=error_feed, content_type="application/atom+xml"))
        config = (
            f'[arxiv]\nsources = ["{feed}"]\nmin_interval_seconds = 0.01\napi_url = "http://127.0.0.1:9/api/query"\n'
        )
        settings = make_settings(tmp_path / "data", config)
        saved = DATA_DIR / "arxiv" / "rss" / "rss_cs.AI_2026-04-27_trimmed-3items.xml"
        shell = ["--config", str(tmp_path / "data-config.toml"), "--data-dir", str(tmp_path / "data")]
        service = Service(settings)
        await service.start(schedule=False, serve_web=False)
        try:
            await service.poll_now("schedule")  # arXiv answers with an error feed: broken
            assert await asyncio.to_thread(main, [*shell, "poll", "--source", str(saved)]) == 0
            arxiv.serve_file("/rss/cs.CL", "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml")
            await service.retry_poll_if_broken()
        finally:
            await service.stop()
        assert len(arxiv.requests_to("/rss/cs.CL")) == 2
    database = open_database(settings.database_url)
    with database.reading() as session:
        runs = [(run.outcome, [s["source"] for s in run.summary["sources"]]) for run in session.scalars(
            select(PollRun).order_by(PollRun.id))]  # fmt: skip
    database.dispose()
    assert runs == [("failed", [feed]), ("ok", [str(saved)]), ("ok", [feed])]


@pytest.mark.asyncio
async def test_a_first_start_after_a_poll_of_a_saved_file_still_polls_arxiv(tmp_path: Path) -> None:
    """A new user tried the poll on a saved feed first (`digest poll --source FILE`), then started the service: it took
    that run for a poll of its own sources, did not poll on its first start as the README says, and the first papers
    came only with the next night's scheduled poll."""
    async with ArxivServer() as arxiv:
        settings = make_settings(tmp_path / "data", one_feed_config(arxiv))
        saved = DATA_DIR / "arxiv" / "rss" / "rss_cs.AI_2026-04-27_trimmed-3items.xml"
        shell = ["--config", str(tmp_path / "data-config.toml"), "--data-dir", str(tmp_path / "data")]
        assert await asyncio.to_thread(main, [*shell, "poll", "--source", str(saved)]) == 0
        service = Service(settings)
        await service.start(serve_web=False)
        try:
            await wait_settled(service)
        finally:
            await service.stop()
        assert len(arxiv.requests_to("/rss/cs.CL")) == 1
    assert poll_runs(settings) == 2


@pytest.mark.asyncio
async def test_a_changed_time_zone_moves_the_stored_jobs(tmp_path: Path) -> None:
    """The stored jobs were compared with the config by their cron text alone, which names no zone: a data folder
    kept its old zones after `timezone` or `[arxiv] poll_timezone` changed."""
    async with ArxivServer() as arxiv:
        config = one_feed_config(arxiv)
        settings = make_settings(tmp_path / "data", config)
        first = Service(settings)
        await first.start(serve_web=False)
        await wait_settled(first)
        await first.stop()
        before = stored_jobs(settings)
        moved = make_settings(
            tmp_path / "data", f'timezone = "Asia/Tokyo"\n\n{config}poll_timezone = "Europe/London"\n'
        )
        second = Service(moved)
        await second.start(serve_web=False)
        await wait_settled(second)
        await second.stop()
    after = stored_jobs(moved)
    assert after["poll"] != before["poll"] and after["weekly"] != before["weekly"]
    assert after["poll"].astimezone(ZoneInfo("Europe/London")).strftime("%H:%M") == "00:30"
    assert after["weekly"].astimezone(ZoneInfo("Asia/Tokyo")).strftime("%a %H:%M") == "Mon 08:00"


@pytest.mark.asyncio
async def test_a_list_file_left_behind_by_a_killed_decision_is_written_again_on_start(tmp_path: Path) -> None:
    """A process killed between a decision's commit and its write of list.md left the file behind the database, and
    only the next decision would have written it; the service now writes it again when it starts."""
    from digest.review.reviewer import Reviewer
    from digest.review.rules import Actor
    from digest.service.wiring import open_service_database
    from tests.factories import insert_candidate, real_papers

    settings = make_settings(tmp_path / "data")
    database = open_service_database(settings)
    before = settings.list_markdown_path.read_bytes()
    paper = real_papers()[0]
    try:
        Reviewer(database, settings).decide(insert_candidate(database, paper), "approve", Actor("ann", None, "cli"))
    finally:
        database.dispose()
    settings.list_markdown_path.write_bytes(before)  # as if the process had died before writing it
    service = Service(settings)
    await service.start(schedule=False, serve_web=False)
    await service.stop()
    assert paper["arxiv_id"] in settings.list_markdown_path.read_text(encoding="utf-8")
    kept = settings.list_markdown_path.with_name("list.md.1")  # what the file held is kept, never lost
    assert kept.read_bytes() == before
    exported = tmp_path / "exported.md"
    assert main(["--data-dir", str(settings.data_dir), "list", "export", "-o", str(exported)]) == 0
    assert exported.read_bytes() == settings.list_markdown_path.read_bytes()
