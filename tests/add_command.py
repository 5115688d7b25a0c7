"""The set-up of the `digest add` tests: recorded arXiv answers (one paper, no such paper, one cut to a paper), the
command run against the loopback arXiv, and the state it left in the data folder."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from digest.cli import main
from digest.service.wiring import open_service_database
from digest.storage.models import Candidate, Decision, Entry
from tests.arxiv_server import ArxivServer, Reply
from tests.conftest import make_settings

HEAT_BATH = "api/api_new_arxiv.py_id_1605.08386_s0_m100_199195aa31ad_http200.xml"  # one entry: 1605.08386
NO_ENTRY = "api/api_new_arxiv.py_id_0000.0000_s0_m100_8b51d9633a68_http200.xml"  # arXiv's answer for no such id
API_PATH = "/api/query"


def add(data_dir: Path, *args: str, reply: Reply | None = None, retries: bool = False) -> tuple[int, list[Any]]:
    """Runs `digest add ARGS` against a loopback arXiv API answering `reply`; the exit status and the requests.
    No refusal is asked again unless `retries` (then the default retries and back-off hold)."""

    async def serve_and_run() -> tuple[int, list[Any]]:
        async with ArxivServer() as arxiv:
            if reply is not None:
                arxiv.program(API_PATH, reply)
            config = data_dir.parent / "config.toml"
            config.write_text(
                f'[arxiv]\nsources = ["{arxiv.url("/rss/unused")}"]\napi_url = "{arxiv.url(API_PATH)}"\n'
                "min_interval_seconds = 0\n" + ("" if retries else "max_retries = 0\n"),
                encoding="utf-8",
            )
            argv = ["--config", str(config), "--data-dir", str(data_dir), "add", *args]
            status = await asyncio.to_thread(main, argv)
            return status, list(arxiv.requests)

    return asyncio.run(serve_and_run())


def recorded(relative: str) -> Reply:
    from tests.arxiv_server import ARXIV_DATA

    return Reply(body=(ARXIV_DATA / relative).read_bytes(), content_type="application/atom+xml; charset=utf-8")


def state(data_dir: Path) -> tuple[Any, ...]:
    """What `add` may change: candidates, decisions, entries, and the list's Markdown file."""
    database = open_service_database(make_settings(data_dir))
    try:
        with database.reading() as session:
            counts = tuple(
                session.scalar(select(func.count()).select_from(model)) for model in (Candidate, Decision, Entry)
            )
    finally:
        database.dispose()
    return (*counts, (data_dir / "list.md").read_bytes())


def trimmed(relative: str, arxiv_id: str) -> Reply:
    """A real multi-entry API answer cut down to the one entry of `arxiv_id`, as arXiv answers an `id_list=`."""
    from tests.arxiv_server import ARXIV_DATA

    text = (ARXIV_DATA / relative).read_text(encoding="utf-8")
    head, _, rest = text.partition("<entry>")
    entries = ["<entry>" + part.split("</entry>")[0] + "</entry>" for part in rest.split("<entry>")]
    (kept,) = [entry for entry in entries if f"/abs/{arxiv_id}v" in entry]
    body = head.rstrip() + "\n  " + kept + "\n</feed>\n"
    return Reply(body=body.encode("utf-8"), content_type="application/atom+xml; charset=utf-8")


def waits_said(seconds: float, status: int, since: datetime, until: datetime) -> set[str]:
    """What a person is told of arXiv's wait of `seconds` (answered `status`) begun between `since` and `until`: the
    minute (UTC) it is over by, rounded up."""
    said = set()
    for start in (since, until):
        end = start + timedelta(seconds=seconds, minutes=1, microseconds=-1)
        shown = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M}"
        said.add(f"arXiv asks to wait until {shown} UTC ({status}); try again then")
    return said


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    """What the command said on standard error: one line, no traceback."""
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "Traceback" not in error, error
    return error
