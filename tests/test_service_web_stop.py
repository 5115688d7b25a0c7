"""`digest run` told to stop (SIGTERM: docker stop, systemd) while a web request is still in flight: a form whose body
never finishes arriving, or a page read by a client that hardly reads. The stop gives such a request the service's one
grace, then goes on: docker stop kills at 10 s, and aiohttp's own default waited a minute (two for a client that
hardly reads)."""

from __future__ import annotations

import asyncio
import logging
import re
import signal
import socket
import sqlite3
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from digest.service.process import Service
from tests.arxiv_server import ArxivServer, Reply
from tests.cli_runs import digest_command
from tests.conftest import ROOT, make_settings
from tests.feedbuild import build_rss, load_records
from tests.kept_model import with_kept_model
from tests.service_runs import assert_stopped_cleanly, started_service, wait_settled
from tests.smtp_server import free_port
from tests.waiting import until_now

HALF_SENT_FORM = (
    b"POST /suggest HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    b"Content-Length: 1000\r\n\r\npaper=2504.08729&note=half"
)
SLOWLY_READ_PAGE = b"GET /feeds/list.xml HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
# A list of 6,000 papers, all in its feed: some 5 MB, more than the kernel's socket buffers hold (4 MB at most, as
# net.ipv4.tcp_wmem allows), so that the server is still writing the answer when the stop comes. The bundled list's
# feed (90 kB) fitted in them: the request was over before the stop, and the test passed with aiohttp's minute.
LISTED_PAPERS = 6000
ALL_IN_THE_FEED = f"feed_items = {LISTED_PAPERS + 100}\n"
# Before docker stop's kill at 10 s: the grace (8 s; aiohttp waits its shutdown_timeout twice for a reader that
# hardly reads, so the web gets half of it each time) and the stop's own bookkeeping (0.1 s here). A bound of 25 s
# let a web grace of the full 8 s through: 16 s, killed by docker before "stopped"; aiohttp's default took 120 s.
STOPPED_WITHIN = 10.0


def import_a_long_list(tmp_path: Path) -> None:
    """The bundled list with LISTED_PAPERS more papers in a section, imported as a maintainer does (`list import`)."""
    bundled = (ROOT / "digest" / "data" / "awesome-lmms-mech-interp.md").read_text(encoding="utf-8")
    heading = " Sparse Autoencoder\n([Back to Table of Contents](#table-of-contents))\n\n"
    title = "Sparse Features of Vision Language Models Seen Through Their Layers, Heads and Tokens, Read One by One"
    entries = "".join(
        f"+ **Paper {number}** [{title}, Part {number}](https://arxiv.org/abs/2401.{10000 + number}) (Jan. 2, 2024)\n"
        f"  [![arXiv](https://img.shields.io/badge/arXiv-b31b1b.svg)](https://arxiv.org/abs/2401.{10000 + number})\n\n"
        for number in range(LISTED_PAPERS)
    )
    assert heading in bundled
    long_list = tmp_path / "long-list.md"
    long_list.write_text(bundled.replace(heading, heading + entries), encoding="utf-8")
    imported = subprocess.run(
        [*digest_command(tmp_path), "list", "import", str(long_list)], capture_output=True, text=True, timeout=300
    )
    assert imported.returncode == 0, imported.stderr


def unread_by_the_server(server_port: int, client: socket.socket) -> int | None:
    """The bytes `client` sent that the server's end of its connection has not read yet (/proc/net/tcp's rx_queue),
    or None while that end is not there (not accepted yet)."""
    client_port = client.getsockname()[1]
    for line in Path("/proc/net/tcp").read_text(encoding="ascii").splitlines()[1:]:
        fields = line.split()
        local, remote, queues = fields[1], fields[2], fields[4]
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) == client_port:
            return int(queues.split(":")[1], 16)
    return None


def read_to_the_end(client: socket.socket) -> tuple[int, int]:
    """The bytes of the answer's body `client` got until the server's end closed (what the kernel held for it comes
    still), and its Content-Length: fewer, and the server was still writing the answer when it stopped."""
    client.settimeout(30)
    answer = b"H"  # its first byte, read before the stop
    try:
        while chunk := client.recv(65536):
            answer += chunk
    except ConnectionResetError:
        pass  # the server's end dropped with bytes unsent
    head, _, body = answer.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length: *(\d+)", head)
    assert length is not None, head
    return len(body), int(length.group(1))


@pytest.mark.parametrize("request_sent", [HALF_SENT_FORM, SLOWLY_READ_PAGE], ids=["half-sent form", "slow reader"])
def test_a_request_in_flight_does_not_hold_the_stop_past_its_grace(
    tmp_path: Path, kept_model: Path, request_sent: bytes
) -> None:
    """A POST whose body was still arriving (a client on a bad line, or one that never sends it), or a feed read a
    byte at a time, held SIGTERM's stop for a minute: docker stop killed the service at 10 s, before it recorded
    anything or said "stopped". The request now gets the service's grace; the stop ends with exit 0 and "stopped",
    and the half-sent form changed nothing."""
    with_kept_model(tmp_path / "data", kept_model)  # the first start's poll builds no model: not what this is about
    slow_reader = request_sent.startswith(b"GET")
    web = ALL_IN_THE_FEED if slow_reader else ""
    # The long list is imported while the service starts, as a maintainer may: the feed is read from the database at
    # each request. (Imported first, it cost its own time and then the start's, which went through its papers.)
    meanwhile = (lambda: import_a_long_list(tmp_path)) if slow_reader else None
    with started_service(tmp_path, "http://127.0.0.1:9/unused", web, meanwhile) as (service, log):
        match = re.search(r"port = (\d+)", (tmp_path / "config.toml").read_text(encoding="utf-8"))
        assert match is not None
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as client:
            client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)  # a reader that hardly reads
            port = int(match.group(1))
            client.connect(("127.0.0.1", port))
            client.sendall(request_sent)
            # The server has read all that was sent (the request's head): its handler is waiting for the rest.
            until_now(lambda: unread_by_the_server(port, client) == 0, "the server reading the request")
            if slow_reader:
                assert client.recv(1) == b"H"  # the answer's first byte, and then no more
            started = time.monotonic()
            service.send_signal(signal.SIGTERM)
            status = service.wait(timeout=120)
            took = time.monotonic() - started
            if slow_reader:
                received, length = read_to_the_end(client)
                assert received < length, f"all the answer ({length} bytes) was written before the stop"
    assert_stopped_cleanly(status, log)
    assert took < STOPPED_WITHIN, f"the stop took {took:.1f} s"
    with sqlite3.connect(f"file:{tmp_path / 'data' / 'digest.sqlite3'}?mode=ro", uri=True) as connection:
        assert connection.execute("SELECT count(*) FROM candidates").fetchone() == (0,)


def candidates_in(tmp_path: Path) -> int:
    """The candidates in the data folder's database, read as a second process would."""
    with sqlite3.connect(f"file:{tmp_path / 'data' / 'digest.sqlite3'}?mode=ro", uri=True) as connection:
        counted: int = connection.execute("SELECT count(*) FROM candidates").fetchone()[0]
    return counted


@pytest.mark.asyncio
async def test_a_half_sent_form_and_a_poll_waiting_on_arxiv_share_one_grace(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A stop that came while a scheduled poll waited on a slow arXiv and a form's body was still arriving gives both
    the one grace side by side: the web's wait (half of it, for a form) after the poll's would have made it 12 s, past
    docker stop's 10 s. The poll is recorded as interrupted, nothing is logged as an error (the scheduler cancelled the
    poll, an ERROR with a traceback), and the service's last line is "stopped"."""
    body = build_rss("cs.CL", load_records()[:3], datetime.now(ZoneInfo("America/New_York")).date())
    async with ArxivServer() as arxiv:
        feed = arxiv.program("/rss/cs.CL", Reply(body=body))
        port = free_port()
        settings = make_settings(
            tmp_path / "data",
            f'[arxiv]\nsources = ["{feed}"]\nmin_interval_seconds = 0.01\napi_url = "http://127.0.0.1:9/api/query"\n'
            f"max_retries = 0\n[web]\nport = {port}\n",
        )
        service = Service(settings)
        await service.start()
        await wait_settled(service)  # the first-start poll is over
        candidates = candidates_in(tmp_path)
        arxiv.program("/rss/cs.CL", Reply(body=body, delay_seconds=60))  # arXiv hardly answers today
        assert service.scheduler is not None
        service.scheduler.modify_job("poll", next_run_time=datetime.now(UTC))  # the scheduled poll is due now
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as client:
            client.connect(("127.0.0.1", port))
            client.sendall(HALF_SENT_FORM)
            for _ in range(200):
                if len(arxiv.requests_to("/rss/cs.CL")) == 2 and unread_by_the_server(port, client) == 0:
                    break
                await asyncio.sleep(0.05)
            assert len(arxiv.requests_to("/rss/cs.CL")) == 2, "the scheduled poll did not ask arXiv"
            assert unread_by_the_server(port, client) == 0, "the server did not read the form's head"
            caplog.set_level(logging.INFO)  # every logger's lines, APScheduler's too
            started = time.monotonic()
            await service.stop()  # SIGTERM arrives mid-poll and mid-form
            took = time.monotonic() - started
    assert took < STOPPED_WITHIN, f"the stop took {took:.1f} s"
    said = [f"{record.levelname} {record.name}: {record.getMessage()}" for record in caplog.records]
    # An ordinary stop: the poll cancelled by the scheduler's shutdown was an ERROR with a traceback after "stopped".
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR or record.exc_info], said
    assert said[-1] == "INFO digest.service: stopped", said[-3:]
    with sqlite3.connect(f"file:{tmp_path / 'data' / 'digest.sqlite3'}?mode=ro", uri=True) as connection:
        outcomes = [row[0] for row in connection.execute("SELECT outcome FROM poll_runs ORDER BY id")]
    assert candidates_in(tmp_path) == candidates  # the half-sent form suggested nothing
    assert outcomes == ["ok", "interrupted"], outcomes
