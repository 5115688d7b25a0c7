"""The running service under faults an operator meets over the years: a disk that fills up, a database file that is
not this service's, a data folder it cannot write. Each is one line saying what and what to do, and nothing is lost.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from digest import health
from digest.cli import main
from digest.clock import zoned
from digest.service.process import Service
from digest.service.schedule import SteadyScheduler
from digest.service.wiring import open_service_database
from tests.arxiv_server import ArxivServer
from tests.conftest import DATA_DIR, fill_disk, make_settings, mounted_tmpfs
from tests.service_runs import (
    one_feed_config,
    open_job_store,
    poll_runs,
    pretend_the_machine_was_off,
    stored_jobs,
    wait_settled,
)
from tests.waiting import until

CL = DATA_DIR / "arxiv" / "rss" / "rss_cs.CL_2026-04-27_trimmed-3items.xml"


@pytest.mark.asyncio
async def test_a_scheduled_poll_on_a_full_disk_is_one_line_in_the_log_and_in_healthz(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with mounted_tmpfs(tmp_path / "disk", "24m") as disk:
        settings = make_settings(disk / "data", f'[arxiv]\nsources = ["{CL}"]\napi_url = "http://127.0.0.1:9/api"\n')
        open_service_database(settings).dispose()
        service = Service(settings)
        await service.start(schedule=False, serve_web=False)
        try:
            fill_disk(disk)
            caplog.clear()
            with caplog.at_level(logging.INFO):
                outcome = await service.poll("schedule")  # the scheduled job: it must not raise out of it
        finally:
            await service.stop()
    assert outcome == "failed"
    poll = next(part for part in health.components() if part.name == "poll")
    assert not poll.ok
    assert "database or disk is full" in poll.message and f"the disk holding {disk / 'data'} is full" in poll.message
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is None, [r.getMessage() for r in errors]
    line = errors[0].getMessage()
    assert "\n" not in line and "database or disk is full" in line and "tries again" in line


def test_a_database_file_of_another_application_is_refused_and_left_as_it_was(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir.mkdir()
    foreign = data_dir / "digest.sqlite3"
    connection = sqlite3.connect(foreign)
    connection.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    connection.execute("INSERT INTO users (name) VALUES ('ann')")
    connection.commit()
    connection.close()
    before = foreign.read_bytes()
    assert main(["--data-dir", str(data_dir), "candidates"]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and str(foreign) in error and "users" in error, error
    assert "is not a digest database" in error and "DIGEST_DATABASE_URL" in error
    assert foreign.read_bytes() == before  # not a table added to it


def test_a_database_url_naming_a_file_that_is_no_database_is_refused_and_leaves_it_as_it_was(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """DIGEST_DATABASE_URL mistyped to the list a web server serves (sqlite:////srv/www/list.md): every command made
    that file owner-only (0644 to 0600: the web server's readers got 403s) and then said only "the database could
    not be written or read: file is not a database", naming neither the file nor the setting."""
    served = tmp_path / "www" / "list.md"
    served.parent.mkdir()
    served.write_text("# Awesome list\n\n## Papers\n\n+ [A paper](https://arxiv.org/abs/2501.01234)\n", "utf-8")
    served.chmod(0o644)
    before = served.read_bytes()
    monkeypatch.setenv("DIGEST_DATABASE_URL", f"sqlite:///{served}")
    for command in (["candidates"], ["approve", "1"], ["list", "export"]):
        assert main(["--data-dir", str(data_dir), *command]) == 1, command
        captured = capsys.readouterr()
        assert captured.err.count("\n") == 1 and "owner-only" not in captured.err, captured.err
        assert f"{served} is not a SQLite database file" in captured.err and "DIGEST_DATABASE_URL" in captured.err
        assert served.read_bytes() == before and served.stat().st_mode & 0o777 == 0o644
        assert sorted(path.name for path in served.parent.iterdir()) == ["list.md"]


def test_digest_run_on_a_read_only_data_folder_says_what_to_do_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with mounted_tmpfs(tmp_path / "disk", "24m") as disk:
        data = disk / "data"
        assert main(["--data-dir", str(data), "candidates"]) == 0
        before = {path.name: path.read_bytes() for path in data.iterdir() if path.is_file()}
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        capsys.readouterr()
        assert main(["--data-dir", str(data), "run"]) == 2  # a data folder problem, as every other one is
        error = capsys.readouterr().err
        assert {path.name: path.read_bytes() for path in data.iterdir() if path.is_file()} == before
    assert error.count("\n") == 1 and "Traceback" not in error, error
    assert str(data) in error and "read-only" in error.lower() and "--data-dir" in error, error


def test_an_in_process_run_leaves_later_commands_training_and_upgrading_in_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`main(["run", ...])` called in-process switched training into a child process and never back, so every later
    command of that process (a test, a script driving the CLI) trained in a child. Both modes end with the run."""
    from digest.relevance import training_place
    from digest.storage import db

    data = tmp_path / "data"
    data.mkdir()
    (data / "digest.sqlite3").write_bytes(b"not a database at all, but long enough to be read as one\n" * 4)
    assert main(["--data-dir", str(data), "run", "--once"]) == 1
    assert "is not a SQLite database file" in capsys.readouterr().err
    assert (training_place.trains_in_child(), db._upgrade) == (False, db.upgrade_schema)


def test_digest_run_on_a_full_disk_names_the_disk_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A new data folder on a disk with no room left: `digest run` said only "digest: No space left on device" (the
    pid written into its lock file), naming neither the folder nor what to do."""
    with mounted_tmpfs(tmp_path / "disk", "2m") as disk:
        fill_disk(disk)
        data = disk / "data"
        assert main(["--data-dir", str(data), "run"]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "Traceback" not in error, error
    assert f"the disk holding {data} is full" in error, error


@pytest.mark.asyncio
async def test_the_scheduled_poll_runs_when_due_after_the_clock_jumped_ahead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A machine suspended overnight (or a clock set right by NTP after boot): the scheduler's timer counts the
    monotonic time it meant to sleep, which stood still meanwhile. The poll due at 00:30 must still run when the clock
    says it is due, not a suspension's length later (a day's papers leave the feed at midnight)."""
    monkeypatch.setattr(SteadyScheduler, "longest_sleep_seconds", 0.5)  # stands for the service's minute
    async with ArxivServer() as arxiv:
        settings = make_settings(tmp_path / "data", one_feed_config(arxiv))
        service = Service(settings)
        await service.start(serve_web=False)
        try:
            await wait_settled(service)  # the first-start poll is over; the timer now sleeps till the next slot
            assert poll_runs(settings) == 1
            pretend_the_machine_was_off(settings, "poll")  # the wall clock is now past the slot the timer waits for
            for _ in range(100):
                if poll_runs(settings) == 2:
                    break
                await asyncio.sleep(0.1)
            assert poll_runs(settings) == 2, "the poll due by the clock did not run"
        finally:
            await service.stop()


@pytest.mark.asyncio
async def test_jobs_set_by_a_clock_that_was_ahead_come_back_to_their_schedule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A machine that booted with its clock a month ahead (a flat RTC battery, a VM's host) until NTP set it right: the
    jobs that ran meanwhile computed their next runs from the wrong date. The poll and the weekly digest must come
    back to their schedule, not wait a month of real time."""
    monkeypatch.setattr(SteadyScheduler, "longest_sleep_seconds", 0.5)  # stands for the service's minute
    async with ArxivServer() as arxiv:
        settings = make_settings(tmp_path / "data", one_feed_config(arxiv))
        service = Service(settings)
        await service.start(serve_web=False)
        try:
            await wait_settled(service)
            scheduled = stored_jobs(settings)
            store, database = open_job_store(settings)
            try:
                ahead = {job_id: scheduled[job_id] + timedelta(days=31) for job_id in ("poll", "weekly")}
                for job_id in ("poll", "weekly"):
                    job = store.lookup_job(job_id)
                    assert job is not None
                    job.next_run_time = ahead[job_id]  # as the clock a month ahead left it
                    store.update_job(job)
            finally:
                database.dispose()
            with caplog.at_level(logging.WARNING, logger="digest.service"):
                for _ in range(100):
                    if stored_jobs(settings) == scheduled:
                        break
                    await asyncio.sleep(0.1)
            assert stored_jobs(settings) == scheduled, "a job still waits for the date the wrong clock gave it"
            said = [record.getMessage() for record in caplog.records if "the clock was ahead" in record.getMessage()]
            zone = ZoneInfo(settings.timezone)
            for job_id in ("poll", "weekly"):  # in the schedule's form, not 2026-12-07 05:30:00+00:00
                set_to, runs_at = (zoned(when.astimezone(zone)) for when in (ahead[job_id], scheduled[job_id]))
                assert (
                    f"schedule: {job_id} was set to run at {set_to}, after its next time by the schedule (the clock "
                    f"was ahead and has been set back); it runs at {runs_at}"
                ) in said, said
        finally:
            await service.stop()


FLAKY_RUNS: list[int] = []


async def background_once_it_says(*, failed: bool) -> health.Component:
    """/healthz's background part, once it says a failure (`failed`) or that all is well again."""

    def saying() -> health.Component | None:
        part = {part.name: part for part in health.components()}.get("background")
        return part if part is not None and part.ok != failed else None

    part = await until(saying, f"/healthz's background part {'failed' if failed else 'well again'}", 10.0)
    assert part is not None  # `until` returns what held
    return part


def fails_the_first_time() -> None:
    """A scheduled job that fails once (a transient fault) and goes well the next time."""
    FLAKY_RUNS.append(len(FLAKY_RUNS))
    if len(FLAKY_RUNS) == 1:
        raise RuntimeError("a transient fault")


@pytest.mark.asyncio
async def test_healthz_recovers_once_a_job_that_failed_goes_well_again(tmp_path: Path) -> None:
    """One failed run of a scheduled job (or of the model build) marked the service's background work failed for the
    rest of the process's life: /healthz stayed 503 "degraded" after months of good runs, and monitoring learnt to
    ignore it. The failure now stands until the same work goes well again."""
    health.forget()
    FLAKY_RUNS.clear()
    async with ArxivServer() as arxiv:
        settings = make_settings(tmp_path / "data", one_feed_config(arxiv))
        service = Service(settings)
        await service.start(serve_web=False)
        try:
            await wait_settled(service)
            assert service.scheduler is not None
            for fails in (True, False):
                service.scheduler.add_job(
                    f"{__name__}:fails_the_first_time", "date", run_date=datetime.now(UTC), id="flaky"
                )
                background = await background_once_it_says(failed=fails)  # the scheduler's listeners have run
                if fails:
                    assert "scheduled job flaky failed" in background.message
            assert len(FLAKY_RUNS) == 2
            assert background.ok, background.message
            assert [part.name for part in health.components() if not part.ok] == []
        finally:
            await service.stop()
            health.forget()


def test_decisions_on_a_full_data_disk_push_no_kept_copy_of_the_list_out(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The database on another disk (PostgreSQL, or a volume of its own), the data folder's disk full: a decision that
    takes entries out (an undo) or a paper the file links moved the kept copies up (list.md.2 to .3, the oldest gone)
    before writing the new list.md.1, which failed; each such decision until the disk had room pushed one more copy
    out, and two left none of the three. The new copy is on disk before any older one moves."""
    from tests.factories import insert_candidate, real_papers

    monkeypatch.setenv("DIGEST_DATABASE_URL", f"sqlite:///{tmp_path / 'digest.sqlite3'}")
    with mounted_tmpfs(tmp_path / "disk", "8m") as disk:
        data = disk / "data"
        settings = make_settings(data, environ={"DIGEST_DATABASE_URL": f"sqlite:///{tmp_path / 'digest.sqlite3'}"})
        database = open_service_database(settings)
        try:
            ids = [str(insert_candidate(database, record)) for record in real_papers()[:4]]
        finally:
            database.dispose()

        def decide(*argv: str) -> None:
            assert main(["--data-dir", str(data), *argv]) == 0, capsys.readouterr().err

        for candidate in ids[:3]:
            decide("approve", candidate)
        for candidate in reversed(ids[:3]):
            decide("pending", candidate)  # each undo keeps the longer file: list.md.1 to .3
        decide("approve", ids[3])
        kept = {path.name: path.read_bytes() for path in data.glob("list.md.*")}
        assert sorted(kept) == ["list.md.1", "list.md.2", "list.md.3"]
        fill_disk(disk)
        capsys.readouterr()
        decide("pending", ids[3])  # fewer entries
        decide("approve", ids[0])  # as many, without the paper the file links
        said = capsys.readouterr().out
        assert said.count("approved into") == 1 and caplog.text.count("the decision is kept, but") == 2, caplog.text
        assert {path.name: path.read_bytes() for path in data.glob("list.md.*")} == kept
        assert not [path.name for path in data.iterdir() if path.name.endswith(".tmp")]
