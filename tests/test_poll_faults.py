"""The poll under faults: an odd HTTP answer, a local source that is no file, a name that does not resolve, a
killed or stopped poll, `run --once` after a failure. Each failure is one line for its source and the rest goes on.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import math
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from digest import health
from digest.arxiv.fetcher import Fetcher, FetchError
from digest.arxiv.poll_pass import health_line, run_poll
from digest.cli import main
from digest.config import ArxivSettings, Settings
from digest.service.process import Service
from digest.service.wiring import open_service_database
from digest.storage.db import open_database
from digest.storage.state import PollRun
from tests.arxiv_server import ARXIV_DATA, ArxivServer, FakeClock, RawServer, Reply
from tests.conftest import make_settings
from tests.poll_faults import dead_pid, feed_states, poll_sources
from tests.processes import Started

CL = "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml"
ARXIV = ArxivSettings(contact="maintainers@example.org", min_interval_seconds=3.0, max_retries=4)


def redirect(location: str) -> bytes:
    return f"HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n".encode()


ODD_ANSWERS = {
    "redirect-loop": redirect("/redirect-loop"),
    "redirect-file": redirect("file:///etc/passwd"),
    "redirect-javascript": redirect("javascript:alert(1)"),
    "redirect-ftp": redirect("ftp://example.org/feed"),
    "redirect-no-host": redirect("http:///feed"),
    "garbage-status": b"HTTP/1.1 abc def\r\n\r\n",
    "no-http-at-all": b"GARBAGE\r\n\r\n",
    "length-abc": b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nxx",
    "header-70kb": b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 70_000 + b"\r\nContent-Length: 2\r\n\r\nxx",
    "300-headers": b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(300)) + b"\r\n",
    "bad-chunk": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n0\r\n\r\n",
    "brotli": b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 4\r\n\r\n\x00abc",
    # half of a gzip'd feed, its Content-Length matching what was sent
    "gzip-cut": b'HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nETag: "half"\r\nContent-Length: 20\r\n\r\n'
    + gzip.compress((ARXIV_DATA / CL).read_bytes())[:20],
}


@pytest.mark.asyncio
@pytest.mark.parametrize("case", sorted(ODD_ANSWERS))
async def test_an_odd_answer_is_one_line_for_its_source_and_the_next_source_is_polled(
    case: str, tmp_path: Path
) -> None:
    config = (
        '[arxiv]\nsources = ["http://127.0.0.1:9/unused"]\nmin_interval_seconds = 0\n'
        'api_url = "http://127.0.0.1:9/api/query"\nmax_retries = 1\n'
    )
    settings = make_settings(tmp_path / "data", config)
    from digest.service.wiring import open_service_database

    database = open_service_database(settings)
    try:
        async with RawServer() as raw, ArxivServer() as arxiv:
            bad = raw.program(f"/{case}", ODD_ANSWERS[case])
            good = arxiv.serve_file("/rss/cs.CL", CL)
            summary = await run_poll(settings, database, sources=[bad, good], clock=FakeClock())
        assert [report.source for report in summary.sources] == [bad, good]
        failed, fetched = summary.sources
        assert failed.outcome == "error" and "\n" not in failed.message and len(failed.message) < 400
        assert failed.message.startswith(bad)
        assert health_line(summary).count(bad) == 1  # the /healthz line names the failing source once
        assert fetched.outcome == "fetched" and summary.outcome == "partial"
        states = feed_states(database)
        assert states[bad].failures == 1 and states[bad].last_message == failed.message
        assert states[bad].etag is None  # nothing of the broken answer is kept: the retry asks for all of it
    finally:
        database.dispose()


@pytest.mark.asyncio
async def test_a_redirect_to_http_is_followed_a_few_hops(tmp_path: Path) -> None:
    async with ArxivServer() as arxiv, Fetcher(ARXIV, clock=FakeClock()) as fetcher:
        target = arxiv.serve_file("/rss/cs.CL", CL)
        start = arxiv.program("/moved", Reply(status=301, headers={"Location": "/moved-again"}))
        arxiv.program("/moved-again", Reply(status=307, headers={"Location": target}))
        result = await fetcher.fetch(start)
    assert result.status == 200 and result.source == start and b"Source-Modality" in result.body


@pytest.mark.asyncio
async def test_local_sources_are_regular_files_within_the_size_limit(tmp_path: Path) -> None:
    fifo = tmp_path / "feed.fifo"
    os.mkfifo(fifo)  # no writer: opening it for reading the usual way would wait for ever
    big = tmp_path / "big.xml"
    big.write_bytes(b"x" * 2048)
    settings = ARXIV.model_copy(update={"max_response_bytes": 1024})
    async with Fetcher(settings, clock=FakeClock()) as fetcher:
        for source, reason in [
            ("/dev/zero", "a device"),
            (str(fifo), "a pipe"),
            (str(tmp_path), "a folder"),
            (str(big), "over the 1 KiB limit"),
        ]:
            with pytest.raises(FetchError, match=reason) as raised:
                await asyncio.wait_for(fetcher.fetch(source), timeout=20)
            assert str(raised.value).startswith(source)


@pytest.mark.asyncio
async def test_a_name_that_does_not_resolve_is_tried_once_and_said_in_health(tmp_path: Path) -> None:
    async with ArxivServer() as arxiv:
        good = arxiv.serve_file("/rss/cs.CL", CL)
        sources = ["http://arxiv.invalid/rss/cs.CV", "http://arxiv.invalid/rss/cs.CL", good]
        config = (
            f"[arxiv]\nsources = {sources!r}\nmin_interval_seconds = 0\n"
            "api_url = 'http://127.0.0.1:9/api/query'\n".replace("'", '"')
        )
        settings = make_settings(tmp_path / "data", config)
        health.forget()
        service = Service(settings)
        await service.start(schedule=False, serve_web=False)
        try:
            outcome = await asyncio.wait_for(service.poll("test"), timeout=60)
        finally:
            await service.stop()
    assert outcome == "partial"
    database = open_database(settings.database_url)
    try:
        states = feed_states(database)
    finally:
        database.dispose()
    assert "cannot resolve arxiv.invalid" in (states[sources[0]].last_message or "")
    assert "not tried, arxiv.invalid could not be resolved" in (states[sources[1]].last_message or "")
    assert states[good].last_outcome == "fetched"
    poll = {component.name: component for component in health.components()}["poll"]
    assert not poll.ok and "cannot resolve arxiv.invalid" in poll.message


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("reply", "said"),
    [
        (Reply(status=503, retry_after="3600", body=b"busy"), "asked to retry after 3600 s"),
        (Reply(status=429, body=b"slow down"), "HTTP 429 after 5 attempts"),
    ],
)
async def test_a_host_that_asks_to_be_left_alone_is_not_asked_again_in_the_pass(
    tmp_path: Path, reply: Reply, said: str
) -> None:
    """A 503 asking for an hour's wait, or 429s past the retries, gave up on that feed alone: the next feed on the
    same host was asked 3 s later, each feed with its own round of retries from a server that said it was busy."""
    async with ArxivServer() as arxiv:
        busy = arxiv.program("/rss/cs.CV", reply)
        same_host = arxiv.serve_file("/rss/cs.LG", CL)
        elsewhere = arxiv.serve_file("/rss/cs.CL", CL).replace("127.0.0.1", "localhost")
        assert "127.0.0.1" in busy and "localhost" in elsewhere
        summary, states = await poll_sources(tmp_path / "data", [busy, same_host, elsewhere])
        assert len(arxiv.requests_to("/rss/cs.CV")) >= 1 and arxiv.requests_to("/rss/cs.LG") == []
        assert len(arxiv.requests_to("/rss/cs.CL")) == 1
    assert summary.outcome == "partial"
    assert said in (states[busy].last_message or "")
    assert "not tried, 127.0.0.1 asked to be left alone" in (states[same_host].last_message or "")
    assert states[elsewhere].last_outcome == "fetched"


@pytest.mark.asyncio
async def test_a_dead_network_is_retried_for_one_feed_not_for_each(tmp_path: Path, unused_tcp_port: int) -> None:
    """arXiv's address refused every connection: each of its categories went through its own round of retries and
    back-off (minutes of waiting per category in a real pass), though the first round had shown nothing answers."""
    dead = [f"http://127.0.0.1:{unused_tcp_port}/rss/{category}" for category in ("cs.CV", "cs.LG", "cs.AI")]
    async with ArxivServer() as arxiv:
        elsewhere = arxiv.serve_file("/rss/cs.CL", CL).replace("127.0.0.1", "localhost")
        sources = [*dead, elsewhere]
        config = (
            f"[arxiv]\nsources = {sources!r}\nmin_interval_seconds = 0\nmax_retries = 2\n"
            "api_url = 'http://127.0.0.1:9/api/query'\n".replace("'", '"')
        )
        settings = make_settings(tmp_path / "data", config)
        database = open_service_database(settings)
        clock = FakeClock()
        try:
            summary = await run_poll(settings, database, clock=clock)
            states = feed_states(database)
        finally:
            database.dispose()
    assert summary.outcome == "partial"
    assert "after 3 attempts" in (states[dead[0]].last_message or "")
    for later in dead[1:]:
        assert f"not tried, 127.0.0.1:{unused_tcp_port} could not be reached" in (states[later].last_message or "")
    assert states[elsewhere].last_outcome == "fetched"
    assert sum(clock.sleeps) == 15.0  # one round of back-off (5 s, 10 s), not one per category


@pytest.mark.parametrize("feed_host", ["localhost", "127.0.0.1"])
@pytest.mark.asyncio
async def test_a_dead_api_host_found_by_the_abstract_fetch_is_not_asked_again_by_the_poll(
    tmp_path: Path, unused_tcp_port: int, caplog: pytest.LogCaptureFixture, feed_host: str
) -> None:
    """Before each poll the service fetches the abstracts of new list papers from export.arxiv.org. With that host
    refusing every connection, the fetch went through its round of retries and back-off (minutes in a real pass),
    then the poll asked the same dead host for its API queries and waited through another round. Now the abstract
    fetch gives up at the first refused connection, and the poll's sources on that host are not tried this pass.
    A refused connection is a port nothing listens on: a feed served from another port of the same machine
    (127.0.0.1) was skipped too, though it answers."""
    from digest.awesome import store as liststore
    from digest.service.poll_job import run_poll_pass

    caplog.set_level("INFO")
    api = f"http://127.0.0.1:{unused_tcp_port}/api/query"
    dead = f"{api}?search_query=abs%3Aprobing&start=0&max_results=100"
    async with ArxivServer() as arxiv:
        elsewhere = arxiv.serve_file("/rss/cs.CL", CL).replace("127.0.0.1", feed_host)
        config = (
            f"[arxiv]\nsources = {[dead, elsewhere]!r}\nmin_interval_seconds = 0\nmax_retries = 1\n"
            f"api_url = {api!r}\n".replace("'", '"')
        )
        settings = make_settings(tmp_path / "data", config)
        database = open_service_database(settings)
        try:
            with database.transaction() as session:  # a paper added to the list by hand: its abstract is asked
                liststore.add_paper_entry(
                    session, section_name="Representation", title="Exploring the Limits of Weakly Supervised "
                    "Pretraining", arxiv_id="1707.08567", url="https://arxiv.org/abs/1707.08567", code_url=None,
                    published=None, authors=[], abstract=None, now=datetime(2026, 4, 1, tzinfo=UTC),
                )  # fmt: skip
            summary = await run_poll_pass(settings, database, "a test", asyncio.Event())
            states = feed_states(database)
        finally:
            database.dispose()
    assert summary is not None and summary.outcome == "partial"
    said = [record.getMessage() for record in caplog.records]
    fetched = [line for line in said if line.startswith("relevance examples: ") and "id_list=1707.08567" in line]
    assert len(fetched) == 1 and "not tried again; the rest waits for the next run" in fetched[0]
    assert [line for line in said if "retrying in" in line] == []  # no round of back-off, before the poll or in it
    assert f"not tried, 127.0.0.1:{unused_tcp_port} could not be reached (arXiv unreachable)" in (
        states[dead].last_message or ""
    )
    assert states[elsewhere].last_outcome == "fetched"


async def outcomes_after_a_run_left_running(settings: Settings, process: dict[str, object]) -> list[str]:
    """The poll runs' outcomes, oldest first, once the service started on a data folder whose poll run `process` left
    "running" has polled fine (or after 30 s)."""
    database = open_database(settings.database_url)
    with database.transaction() as session:
        session.add(PollRun(started_at=datetime.now(UTC), outcome="running", summary={"process": process}))
    health.forget()
    service = Service(settings)
    await service.start(serve_web=False)
    try:
        for _ in range(600):
            with database.reading() as session:
                outcomes = [run.outcome for run in session.scalars(select(PollRun).order_by(PollRun.id))]
            if outcomes[-1:] == ["ok"]:
                break
            await asyncio.sleep(0.05)
    finally:
        await service.stop()
        database.dispose()
    return outcomes


@pytest.mark.asyncio
async def test_a_run_a_dead_process_left_running_is_marked_interrupted_and_polled_again(tmp_path: Path) -> None:
    async with ArxivServer() as arxiv:
        feed = arxiv.serve_file("/rss/cs.CL", CL)
        settings = make_settings(
            tmp_path / "data",
            f'[arxiv]\nsources = ["{feed}"]\nmin_interval_seconds = 0\napi_url = "http://127.0.0.1:9/api/query"\n',
        )
        # What kill -9 during the first-start poll leaves.
        outcomes = await outcomes_after_a_run_left_running(settings, {"host": os.uname().nodename, "pid": dead_pid()})
    assert outcomes == ["interrupted", "ok"]
    assert len(arxiv.requests_to("/rss/cs.CL")) == 1
    # The killed run's row gave the restart as its end, as if it had run until then: its end is unknown.
    database = open_database(settings.database_url)
    with database.reading() as session:
        killed, again = session.scalars(select(PollRun).order_by(PollRun.id)).all()
    database.dispose()
    assert killed.finished_at is None and again.finished_at is not None
    assert killed.summary["end"].startswith("unknown (its process stopped; found so at 20"), killed.summary


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "recorded",
    [{"boot": "the boot before the power cut"}, {"started": 1}],  # a reboot; a restarted container (the same boot)
    ids=["rebooted", "container-restarted"],
)
async def test_a_run_left_running_by_a_process_whose_pid_was_reused_is_marked_interrupted_and_polled_again(
    tmp_path: Path, recorded: dict[str, object]
) -> None:
    """A power cut during a poll, then a reboot: the dead service's pid now belongs to another process (pids start
    low again at boot), so its "running" row was taken for a poll still going: the starting service did not poll
    again, and the row held the bot's posting back for two hours. The row names the boot its process ran in (or when
    it started), not this one's (or the new holder's), so that process is gone whatever holds its pid now: told from
    the row alone, the poll lock untouched (taking it for an instant at the start made a `digest poll` starting then
    refuse)."""
    async with ArxivServer() as arxiv:
        feed = arxiv.serve_file("/rss/cs.CL", CL)
        settings = make_settings(
            tmp_path / "data",
            f'[arxiv]\nsources = ["{feed}"]\nmin_interval_seconds = 0\napi_url = "http://127.0.0.1:9/api/query"\n',
        )
        other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])  # holds the pid now
        try:  # what the power cut left, by a service of this data folder
            process = {"host": os.uname().nodename, "pid": other.pid, **recorded}
            outcomes = await outcomes_after_a_run_left_running(settings, process)
        finally:
            other.kill()
            other.wait()
    assert outcomes == ["interrupted", "ok"]
    assert len(arxiv.requests_to("/rss/cs.CL")) == 1


@pytest.mark.asyncio
async def test_stopping_while_a_retry_sleeps_ends_at_once(tmp_path: Path) -> None:
    async with ArxivServer() as arxiv:
        feed = arxiv.program("/rss/cs.CL", Reply(status=503))
        settings = make_settings(
            tmp_path / "data",
            f'[arxiv]\nsources = ["{feed}"]\nmin_interval_seconds = 0\napi_url = "http://127.0.0.1:9/api/query"\n',
        )
        service = Service(settings)
        await service.start(serve_web=False)  # the first-start poll meets a 503 and sleeps 5 s before retrying
        for _ in range(600):
            if arxiv.requests_to("/rss/cs.CL"):
                break
            await asyncio.sleep(0.05)
        assert len(arxiv.requests_to("/rss/cs.CL")) == 1
        loop = asyncio.get_running_loop()
        began = loop.time()
        await service.stop()  # what SIGTERM does
        took = loop.time() - began
    assert took < 2.0, f"stopping took {took:.1f} s"  # it took the whole grace (10.5 s) before
    database = open_database(settings.database_url)
    with database.reading() as session:
        outcomes = [run.outcome for run in session.scalars(select(PollRun))]
    database.dispose()
    assert outcomes == ["interrupted"]  # so the next start polls again


def test_run_once_exits_1_when_the_poll_failed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async def serve_and_run() -> int:
        async with ArxivServer() as arxiv:
            feed = arxiv.program("/rss/cs.CL", Reply(status=404, body=b"gone"))
            config = tmp_path / "config.toml"
            config.write_text(f'[arxiv]\nsources = ["{feed}"]\n', encoding="utf-8")
            args = ["--config", str(config), "--data-dir", str(tmp_path / "data"), "run", "--once"]
            return await asyncio.to_thread(main, args)

    assert asyncio.run(serve_and_run()) == 1


def test_run_once_does_not_promise_a_retry_it_never_makes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`digest run --once` (one poll, for cron) logged "will retry later" for a source that failed and exited: no retry
    ever came of it, as `digest poll` had stopped saying. It says what failed only."""
    source = tmp_path / "broken.xml"
    source.write_text("not a feed\n", encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(f'[arxiv]\nsources = ["{source}"]\n', encoding="utf-8")
    assert main(["--config", str(config), "--data-dir", str(tmp_path / "data"), "run", "--once"]) == 1
    [warning] = [line for line in capsys.readouterr().err.splitlines() if "WARNING" in line and str(source) in line]
    assert warning.endswith(f"poll {source}: not an RSS or Atom feed (<unknown>:2:0: syntax error)"), warning


@pytest.mark.asyncio
async def test_a_short_retry_after_kept_for_the_next_poll_names_the_second_it_ends(
    tmp_path: Path, started: Started
) -> None:
    """arXiv answered 503 with "Retry-After: 90" to `digest poll`; the next `digest poll` a moment later said the host
    "asked to be left alone until 20:21 UTC" at 20:21:44: a time already past, with no poll allowed before it. The
    line now names the second the wait ends (as the data folder's arxiv.turn keeps it)."""
    config = tmp_path / "config.toml"
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "DISCORD_", "SMTP_"))}
    environment["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    command = [sys.executable, "-m", "digest", "--config", str(config), "--data-dir", str(tmp_path / "data"), "poll"]
    async with ArxivServer() as arxiv:
        feed = arxiv.program("/rss/cs.CL", Reply(status=503, retry_after="90"))
        config.write_text(
            f'[arxiv]\nsources = ["{feed}"]\nmin_interval_seconds = 0\nmax_retries = 0\n'
            'api_url = "http://127.0.0.1:9/api/query"\n',
            encoding="utf-8",
        )
        outs = []
        for _ in range(2):
            poll = started.add(
                await asyncio.create_subprocess_exec(
                    *command, env=environment, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
                )
            )
            out, _err = await poll.communicate()
            assert poll.returncode == 1
            outs.append(out.decode())
    assert len(arxiv.requests_to("/rss/cs.CL")) == 1  # the second poll asked nothing
    kept = json.loads((tmp_path / "data" / "arxiv.turn").read_text(encoding="utf-8"))["left_alone"]["127.0.0.1"]
    ends = datetime.fromtimestamp(math.ceil(kept), UTC)
    shown = f"{ends:%Y-%m-%d %H:%M}" + (f":{ends:%S}" if ends.second else "")  # a whole minute is said without
    assert f"127.0.0.1 asked to be left alone until {shown} UTC (Retry-After)" in outs[1], outs
