"""`digest poll` and `digest candidates` on the command line, and a poll ended by its rules or by a stop: broken rules
fail it in one line, a stop while the model is built ends it at once, and neither stores anything."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from digest import resources
from digest.arxiv.poll_pass import run_poll
from digest.config import Settings
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from digest.storage.state import FeedState, PollRun
from tests.arxiv_server import ArxivServer, FakeClock, Reply
from tests.conftest import make_settings
from tests.poller_feeds import RELEVANT, UNRELATED, candidates, feed
from tests.poller_feeds import settings as settings  # the fixture


def test_poll_and_candidates_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from digest.cli import main

    path = tmp_path / "cs.CV.xml"
    path.write_bytes(feed(*RELEVANT, *UNRELATED))
    data_dir = str(tmp_path / "data")
    assert main(["--data-dir", data_dir, "poll", "--source", str(path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["outcome"] == "ok" and summary["sources"][0]["new_candidates"] == 3
    assert sorted(summary["sources"][0]["new"]) == sorted(RELEVANT)  # what to decide, for a script
    assert main(["--data-dir", data_dir, "poll", "--source", str(path)]) == 0
    assert capsys.readouterr().out == "poll ok: 1 source (1 fetched), 0 new candidates\n"  # off a terminal: the outcome
    assert main(["--data-dir", data_dir, "poll", "--source", str(path), "--json"]) == 0
    [again] = json.loads(capsys.readouterr().out)["sources"]
    assert (again["entries"], again["matched"], again["already_known"], again["new_candidates"]) == (7, 3, 3, 0)
    assert main(["--data-dir", data_dir, "candidates", "--status", "pending", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sorted(row["arxiv_id"] for row in rows) == sorted(RELEVANT)
    assert main(["--data-dir", data_dir, "candidates", "--status", "rejected"]) == 0
    assert capsys.readouterr().out.strip() == "no candidates with status rejected"


@pytest.mark.asyncio
async def test_rules_that_cannot_be_used_fail_the_poll_in_one_line_and_store_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The model is built while the first feed downloads; when its rules are broken the pass fails with their error,
    keeps no candidate, asks no further source, and leaves each source's state as it was, so the next poll with
    mended rules reads the feeds whole."""
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    shutil.copy(resources.feeds_dir() / "sources.toml", feeds / "sources.toml")
    (feeds / "rules.toml").write_text('[modality]\nstrong = "not a list"\n', encoding="utf-8")
    settings = make_settings(
        tmp_path / "data", f'feeds_dir = "{feeds}"\n[arxiv]\ncontact = "maintainers@example.org"\n'
    )
    database = open_service_database(settings)
    try:
        async with ArxivServer() as server:
            cv = server.program("/rss/cs.CV", Reply(body=feed(*RELEVANT), etag='"cv-0427"'))
            cl = server.program("/rss/cs.CL", Reply(body=feed(*UNRELATED, category="cs.CL"), etag='"cl-0427"'))
            with caplog.at_level(logging.ERROR, logger="digest.poller"):
                summary = await run_poll(settings, database, sources=[cv, cl], clock=FakeClock())
            asked = [request.path for request in server.requests]
        assert summary.outcome == "failed"
        errors = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
        assert len(errors) == 1 and errors[0].startswith("poll: the relevance rules cannot be used:")
        assert "\n" not in errors[0]
        assert candidates(database) == {}
        assert "/rss/cs.CL" not in asked
        with database.reading() as session:
            assert [row.etag for row in session.scalars(select(FeedState))] in ([], [None])
    finally:
        database.dispose()


def test_poll_takes_several_sources_after_one_source_option_as_the_readme_writes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """README: `poll [--source URL_OR_PATH ...]`. `digest poll --source a.xml b.xml` was a usage error ('unrecognized
    arguments: b.xml', exit 2); both are polled now, as with `--source a.xml --source b.xml`."""
    from digest.cli import main

    monkeypatch.chdir(tmp_path)  # no stray .env
    first, second = tmp_path / "cs.CV.xml", tmp_path / "cs.CL.xml"
    first.write_bytes(feed(RELEVANT[0]))
    second.write_bytes(feed(RELEVANT[1], category="cs.CL"))
    data_dir = str(tmp_path / "data")
    assert main(["--data-dir", data_dir, "poll", "--source", str(first), str(second), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert [report["source"] for report in summary["sources"]] == [str(first), str(second)]
    assert summary["new_candidates"] == 2


def test_a_poll_failed_by_its_rules_says_so_not_that_there_was_nothing_to_poll(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """README: 'A data folder whose rules never worked has nothing to fall back on: its polls fail in one line.' The
    line `digest poll` printed (and /healthz showed) was 'nothing to poll: no feeds or API queries', sending the
    maintainer to sources.toml for a feed given on the command line; it names the rules file now."""
    from digest.cli import main

    monkeypatch.chdir(tmp_path)  # no stray .env
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    shutil.copy(resources.feeds_dir() / "sources.toml", feeds / "sources.toml")
    (feeds / "rules.toml").write_text('[modality]\nstrong = "not a list"\n', encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(f'feeds_dir = "{feeds}"\n', encoding="utf-8")
    path = tmp_path / "cs.CV.xml"
    path.write_bytes(feed(*RELEVANT))
    command = ["--config", str(config), "--data-dir", str(tmp_path / "data"), "poll", "--source", str(path)]
    status = main(command)
    out = capsys.readouterr().out
    assert status == 1
    assert "nothing to poll" not in out, out
    assert f"{feeds / 'rules.toml'}" in out and "rules" in out, out
    assert main([*command, "--json"]) == 1
    summary = json.loads(capsys.readouterr().out)
    assert summary["outcome"] == "failed" and "rules.toml" in summary["reason"]
    # /healthz, in the service beside it, reads the run from the database: it names the rules too.
    from digest.web.pages import poll_run_problem

    database = open_service_database(make_settings(tmp_path / "data", config.read_text(encoding="utf-8")))
    try:
        with database.reading() as session:
            last = session.scalars(select(PollRun).order_by(PollRun.id.desc())).first()
            problem = poll_run_problem(last, datetime.now(UTC))
    finally:
        database.dispose()
    assert problem is not None and "rules.toml" in problem, problem


@pytest.mark.asyncio
async def test_a_stop_while_the_model_is_built_ends_the_poll_at_once_and_stores_nothing(
    settings: Settings, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The feed is in, the model is still being built (seconds in the service's child process) and the service
    stops: the pass ends as interrupted without waiting for the build, keeps nothing of the answer and leaves the
    source's state as it was, so the next poll reads the feed whole."""
    from digest.arxiv import fetcher, poll_pass

    stopping, released = asyncio.Event(), threading.Event()
    real = poll_pass.ensure_thresholds

    def slow_build(*args: Any) -> Any:
        released.wait(60)  # a build that outlasts the stop
        return real(*args)

    async def stop_the_service() -> None:
        stopping.set()

    monkeypatch.setattr(poll_pass, "ensure_thresholds", slow_build)
    token = fetcher.STOP_WAITING.set(stopping)
    try:
        async with ArxivServer() as server:
            reply = Reply(body=feed(*RELEVANT), etag='"cv-0427"', before_answer=stop_the_service)
            url = server.program("/rss/cs.CV", reply)
            summary = await asyncio.wait_for(run_poll(settings, database, sources=[url], clock=FakeClock()), 30)
    finally:
        fetcher.STOP_WAITING.reset(token)
        released.set()
    assert summary.outcome == "interrupted"
    # Its line said "interrupted: nothing to poll: no feeds or API queries (feeds/sources.toml, or [arxiv] sources)",
    # sending the operator to a sources file that was fine.
    assert "nothing to poll" not in str(summary) and "before any source" in str(summary), str(summary)
    assert candidates(database) == {}
    with database.reading() as session:
        assert [row.etag for row in session.scalars(select(FeedState))] in ([], [None])
