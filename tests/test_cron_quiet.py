"""What cron mails a maintainer: a command run from a crontab (no HOME, no terminal, PATH and LANG alone) writes on a
quiet success its outcome alone, and on stderr nothing but warnings and errors. The service run in the foreground or
under systemd keeps its log."""

from __future__ import annotations

import asyncio
import io
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from digest.cli.logs import setup_logging
from digest.config import Settings
from digest.storage.db import Database
from tests.arxiv_server import ArxivServer
from tests.cli_runs import CRON, RSS, as_cron, polling
from tests.git_remote import Remote
from tests.publishing import approve, services
from tests.publishing import db as db  # the fixtures
from tests.publishing import remote as remote
from tests.publishing import st as st
from tests.smtp_server import free_port
from tests.terminal import at_terminal


@pytest.mark.asyncio
async def test_a_quiet_poll_from_cron_writes_its_report_alone(tmp_path: Path) -> None:
    """`digest poll` from cron wrote, besides its report on stdout, an INFO line per feed on stderr (the same words
    again), so every weekday's mail held them twice; and the report was a line per feed besides the outcome. Now a poll
    that went well writes its outcome line alone (as `digest run --once`), stderr warnings and errors alone, `--json`
    the JSON; a poll that did not go well still names each feed."""
    async with ArxivServer() as arxiv:
        sources = [arxiv.serve_file(path, RSS, today=True) for path in ("/rss/cs.CL", "/rss/cs.LG")]
        options = polling(tmp_path, sources)
        report = ["poll ok: 2 sources (2 fetched), 0 new candidates"]
        for _ in range(2):  # the first poll of a data folder, and a weekday's
            done = await asyncio.to_thread(as_cron, tmp_path, *options, "poll")
            assert (done.returncode, done.stderr, done.stdout.splitlines()) == (0, "", report), done.stderr

        done = await asyncio.to_thread(as_cron, tmp_path, *options, "poll", "--json")
        assert (done.returncode, done.stderr, json.loads(done.stdout)["outcome"]) == (0, "", "ok"), done.stderr

        missing = arxiv.url("/rss/missing")
        done = await asyncio.to_thread(as_cron, tmp_path, *options, "poll", "--source", sources[0], missing)
    lines = done.stderr.splitlines()
    assert done.returncode == 1 and len(lines) == 1, lines  # a feed that fails still says why
    assert " WARNING " in lines[0] and missing in lines[0], lines
    shown = done.stdout.splitlines()
    assert [line.split(": ")[0] for line in shown[:-1]] == [sources[0], missing], shown
    assert shown[-1].startswith("poll partial: "), shown


@pytest.mark.asyncio
async def test_a_poll_run_at_a_terminal_still_shows_its_log(tmp_path: Path) -> None:
    """Quiet for cron, not for a person: `digest poll` typed at a terminal still logs each feed as it comes (and the
    waits between tries, which would otherwise be a silent pause), and its report names each feed."""
    async with ArxivServer() as arxiv:
        sources = [arxiv.serve_file(path, RSS) for path in ("/rss/cs.CL", "/rss/cs.LG")]
        options = polling(tmp_path, sources)
        command = [sys.executable, "-m", "digest", *options, "poll"]
        done, shown = await asyncio.to_thread(at_terminal, command, tmp_path, CRON)
    assert done.returncode == 0, shown
    logged = [line for line in shown.splitlines() if " INFO " in line]
    assert [any(source in line for line in logged) for source in sources] == [True, True], shown
    report = [f"{source}: fetched, 3 entries, 0 matched (0 already known, 0 new candidates)" for source in sources]
    assert done.stdout.splitlines() == [*report, "poll ok: 2 sources (2 fetched), 0 new candidates"], done.stdout


def test_a_publish_from_cron_says_what_it_pushed_once(
    tmp_path: Path, remote: Remote, st: Settings, db: Database
) -> None:
    """`digest publish` from cron said what it pushed twice: "published <commit>: ..." on stdout and "publish: pushed
    <commit> to main: ..." on stderr. Now the stdout line alone; the service's log keeps its line."""
    reviewer, publisher = services(db, st)
    approve(db, reviewer, 0)
    done = as_cron(tmp_path, "--config", str(tmp_path / "data-config.toml"), "--data-dir", str(st.data_dir), "publish")
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    [line] = done.stdout.splitlines()
    assert line.startswith(f"published {remote.head()[:12]}: "), line

    log = io.StringIO()
    setup_logging(stream=log)  # as `digest run` logs, in the foreground or under systemd
    approve(db, reviewer, 1)
    publisher.publish()
    assert f"INFO    digest.publish: publish: pushed {remote.head()[:12]} to main: Add 1 paper: " in log.getvalue()


def started_and_stopped(tmp_path: Path) -> list[str]:
    """What `digest run` (the port a free one) logs from its start to a SIGTERM once it is ready."""
    config = tmp_path / "config.toml"
    config.write_text(f'[arxiv]\ncontact = "m@example.net"\n[web]\nport = {free_port()}\n', encoding="utf-8")
    log = tmp_path / "service.log"
    command = [sys.executable, "-m", "digest", "--config", str(config), "--data-dir", str(tmp_path / "data"), "run"]
    with log.open("wb") as output:
        service = subprocess.Popen(command, cwd=tmp_path, env=CRON, stdin=subprocess.DEVNULL, stderr=output)
    try:
        deadline = time.monotonic() + 120
        while "digest.service: ready" not in log.read_text(encoding="utf-8", errors="replace"):
            assert service.poll() is None, log.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, "the service did not start"
            time.sleep(0.1)
        service.send_signal(signal.SIGTERM)
        assert service.wait(timeout=60) == 0, log.read_text(encoding="utf-8")
    finally:
        if service.poll() is None:
            service.kill()
            service.wait()
    return log.read_text(encoding="utf-8").splitlines()


def test_the_service_says_once_where_its_secrets_are(tmp_path: Path) -> None:
    """`digest run` logged "using DIGEST_SECRET_KEY, ... from data/secrets.json" twice at every start (and after
    "generated ... and stored them in data/secrets.json" on the first): once for the service, once for its web pages.
    Now one line says it; the rest of the service's log is as it was."""
    for said in ("WARNING digest.config.secretstore: generated ", "INFO    digest.config.secretstore: using "):
        lines = started_and_stopped(tmp_path)  # the first start of a data folder, then every later one
        secrets = [line for line in lines if "secrets.json" in line]
        assert len(secrets) == 1 and said in secrets[0], lines
        assert any(" INFO    digest.service: web: serving the list on " in line for line in lines), lines
        assert lines[-1].endswith(" INFO    digest.service: stopped"), lines


@pytest.mark.parametrize(
    ("command", "said"),
    [
        (("weekly", "--week", "2026-W48", "--send"), "email is off: set [smtp] host and recipients in the config"),
        (("publish",), "publishing is off: set [publish] repository in the config"),
    ],
)
def test_a_feature_that_is_off_is_a_settings_problem_said_before_anything_is_done(
    tmp_path: Path, command: tuple[str, ...], said: str
) -> None:
    """`digest weekly --send` from cron with email off wrote the week's Markdown, then failed (exit 1) with "email
    not sent: email is off", every day. Now it is what `digest publish` with publishing off is too: a settings problem
    (exit 2, as the README's exit statuses say) in one line naming the setting that turns it on, nothing written."""
    config = tmp_path / "config.toml"
    config.write_text('[arxiv]\ncontact = "m@example.net"\n', encoding="utf-8")
    done = as_cron(tmp_path, "--config", str(config), "--data-dir", str(tmp_path / "data"), *command)
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith(f"digest: {said}"), line
    assert not (tmp_path / "data" / "weekly").exists()
