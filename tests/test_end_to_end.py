"""The whole flow through `digest run` as a subprocess, with every outside party real and on loopback.

arXiv is a local server serving feeds in arXiv's format (a built one carrying a paper that belongs in the list and one
that does not, and a real recorded cs.CL feed), Discord is the protocol-level fake, SMTP is aiosmtpd.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiohttp
import feedparser
import pytest

from tests.arxiv_server import ArxivServer
from tests.factories import real_papers
from tests.fake_discord import MAINTAINER, FakeDiscord
from tests.feedbuild import build_rss
from tests.processes import Started
from tests.smtp_server import Inbox, free_port, smtp_server

REPO = Path(__file__).resolve().parent.parent
RELEVANT_ID = "2504.08729"  # Steering CLIP's vision transformer with sparse autoencoders
UNRELATED_ID = "2505.20667"  # How Do Experts Make Sense of Integrated Process Models?
SECRETS = {
    "DIGEST_SECRET_KEY": "e2e-secret-key-0123456789abcdef0123456789",
    "DIGEST_ADMIN_TOKEN": "e2e-admin-token-0123456789abcdef",
    "DIGEST_FEED_TOKEN": "e2e-feed-token-0123456789abcdef",
    "DISCORD_TOKEN": "e2e.discord.token",
}
# What the service logs once the work it does at once on start (a first poll, a missed one, the bot posting what they
# found) has finished.
STARTED_UP = "start-up: caught up"


def last_weekday(today: date) -> date:
    day = today
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def service_environment() -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "DISCORD_", "SMTP_"))}
    return {**keep, **SECRETS, "PYTHONUNBUFFERED": "1"}


async def wait_until(check: Callable[[], object], what: str, timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


async def fetch(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    try:
        async with session.get(url) as response:
            return response.status, await response.text()
    except aiohttp.ClientConnectionError:
        return 0, ""


async def start_service(config: Path, cwd: Path, log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as output:  # the child keeps its own copy of the descriptor
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "digest",
            "--config",
            str(config),
            "run",
            cwd=cwd,
            env=service_environment(),
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
        )


async def stop_service(process: asyncio.subprocess.Process) -> int:
    process.send_signal(signal.SIGTERM)
    return await asyncio.wait_for(process.wait(), timeout=20)


@pytest.mark.asyncio
async def test_poll_review_in_discord_list_feed_weekly_email_restart(tmp_path: Path, started: Started) -> None:
    papers = {record["arxiv_id"]: record for record in real_papers()}
    feed_day = last_weekday(datetime.now(UTC).date())
    inbox = Inbox()
    fake = FakeDiscord()
    await fake.start()
    log = tmp_path / "service.log"
    try:
        async with ArxivServer() as arxiv:
            from tests.arxiv_server import Reply

            built = build_rss("cs.CV", [papers[RELEVANT_ID], papers[UNRELATED_ID]], feed_day)
            cv_url = arxiv.program("/rss/cs.CV", Reply(body=built, etag='"cv-1"'))
            cl_url = arxiv.serve_file("/rss/cs.CL", "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml")
            with smtp_server(inbox) as smtp_port:
                # Chosen once the other servers listen: a port free_port() gave and let go of may be given again.
                web_port = free_port()
                base = f"http://127.0.0.1:{web_port}"
                config = tmp_path / "config.toml"
                config.write_text(
                    f'data_dir = "{tmp_path / "data"}"\n'
                    "[arxiv]\n"
                    f'sources = ["{cv_url}", "{cl_url}"]\nmin_interval_seconds = 0.05\n'
                    'api_url = "http://127.0.0.1:9/api/query"\n'
                    "[web]\n"
                    f"port = {web_port}\n"
                    "[smtp]\n"
                    f'host = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\n'
                    'recipients = ["readers@example.org"]\nsender = "digest@example.org"\n' + fake.config_toml(),
                    encoding="utf-8",
                )
                process = started.add(await start_service(config, tmp_path, log))
                async with aiohttp.ClientSession() as http:
                    try:
                        # First start: the list is imported, the pages are served, the first poll runs.
                        await wait_until(lambda: fetch_ok(http, f"{base}/healthz"), "the service to answer")
                        await wait_until(lambda: logged(log, STARTED_UP), "the first poll and its posting to end")
                        posted = fake.posted()
                        assert len(posted) == 1, [m.get("embeds") for m in posted]
                        embed = posted[0]["embeds"][0]
                        assert RELEVANT_ID in embed["url"]
                        assert papers[RELEVANT_ID]["title"].split()[0] in embed["title"]
                        assert posted[0]["allowed_mentions"]["parse"] == []

                        status, private = await fetch(
                            http, f"{base}/feeds/candidates.xml?token={SECRETS['DIGEST_FEED_TOKEN']}"
                        )
                        assert status == 200
                        parsed = feedparser.parse(private)
                        assert not parsed.bozo
                        links = " ".join(entry.get("link", "") + entry.get("id", "") for entry in parsed.entries)
                        assert RELEVANT_ID in links and UNRELATED_ID not in private

                        # A maintainer approves with a reaction; the list and the public feed show the paper.
                        message_id = next(iter(fake.messages))
                        await fake.react(message_id, MAINTAINER, "✅")
                        await wait_until(
                            lambda: contains(http, f"{base}/list.md", RELEVANT_ID), "the paper in /list.md"
                        )
                        status, public = await fetch(http, f"{base}/feeds/list.xml")
                        public_feed = feedparser.parse(public)
                        assert status == 200 and not public_feed.bozo
                        assert RELEVANT_ID in public_feed.entries[0].link
                        await wait_until(lambda: fake.requests("PATCH", str(message_id)), "the message edited")

                        # The weekly digest of this week lists it, by email.
                        week = datetime.now(UTC).isocalendar()
                        weekly = started.add(await asyncio.create_subprocess_exec(
                            sys.executable, "-m", "digest", "--config", str(config), "weekly",
                            "--week", f"{week.year}-W{week.week:02d}", "--send", "--now",
                            cwd=tmp_path, env=service_environment(),
                            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
                        ))  # fmt: skip
                        output, _ = await weekly.communicate()
                        assert weekly.returncode == 0, output.decode()
                        assert len(inbox.messages) == 1
                        assert RELEVANT_ID in inbox.messages[0].as_string()
                    finally:
                        exit_status = await stop_service(process)
                    assert exit_status == 0, log.read_text(encoding="utf-8")[-3000:]

                    # Starting again posts nothing twice.
                    fake.identified.clear()
                    restarted_at = log.stat().st_size
                    process = started.add(await start_service(config, tmp_path, log))
                    try:
                        await wait_until(lambda: fetch_ok(http, f"{base}/healthz"), "the service to answer again")
                        await asyncio.wait_for(fake.identified.wait(), timeout=30)
                        await wait_until(lambda: logged(log, STARTED_UP, restarted_at), "the restart to settle")
                        assert len(fake.posted()) == 1
                        assert await contains(http, f"{base}/list.md", RELEVANT_ID)
                    finally:
                        assert await stop_service(process) == 0
    finally:
        await fake.close()
    text = log.read_text(encoding="utf-8")
    assert "Traceback" not in text, text[-3000:]


def logged(log: Path, line: str, since: int = 0) -> bool:
    """Whether the service's log has the line, after the first `since` bytes (an earlier run's)."""
    with log.open("rb") as output:
        output.seek(since)
        return line in output.read().decode("utf-8", errors="replace")


async def fetch_ok(session: aiohttp.ClientSession, url: str) -> bool:
    status, _ = await fetch(session, url)
    return status == 200


async def contains(session: aiohttp.ClientSession, url: str, needle: str) -> bool:
    status, body = await fetch(session, url)
    return status == 200 and needle in body
