"""What a maintainer walking the README reads from the real commands: counts of one in the singular, an option named
once in its usage error, who decided said once, and `config check` trying a folder it is told to create."""

from __future__ import annotations

import asyncio
import logging
import os
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from digest.arxiv.backfill import backfill
from digest.cli import main
from digest.config import Settings
from digest.storage.db import Database
from tests.arxiv_answers import api_page, api_settings, without_entries
from tests.arxiv_server import ARXIV_DATA, ArxivServer, FakeClock, Reply
from tests.cli_runs import digest_command
from tests.factories import insert_candidate, real_papers
from tests.feedbuild import load_records
from tests.kept_model import with_kept_model
from tests.processes import Started
from tests.web_pages import candidate_feed_links
from tests.web_server import Site

ONE_ENTRY = (ARXIV_DATA / "api" / "api_old_search-1301.7746_2013-02-02_1entry.xml").read_bytes()
README = Path(__file__).resolve().parent.parent / "README.md"


def one_relevant_entry() -> bytes:
    """arXiv's recorded one-entry answer, its paper's title and abstract those of a paper on the list's topic."""
    paper = load_records()[0]
    page = re.sub(rb"(<entry>.*?<title>)[^<]*", rb"\g<1>" + paper["title"].encode(), ONE_ENTRY, flags=re.DOTALL)
    page = re.sub(rb"<summary>[^<]*", b"<summary>" + paper["abstract"].encode(), page)
    assert page.count(paper["title"].encode()) == 1
    return page


async def run_backfill(started: Started, tmp_path: Path, api_url: str) -> tuple[int, str, str]:
    """`digest backfill` run as a maintainer runs it, since the first of this month (one date window)."""
    config = tmp_path / "config.toml"
    config.write_text(
        f'[arxiv]\napi_url = "{api_url}"\nmax_retries = 0\ncontact = "maintainers@example.org"\n',
        encoding="utf-8",
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "DISCORD_", "SMTP_"))}
    environment["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    since = datetime.now(UTC).date().replace(day=1).isoformat()
    command = [*digest_command(tmp_path), "--config", str(config), "backfill", "--since", since]
    process = started.add(
        await asyncio.create_subprocess_exec(
            *command, env=environment, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.mark.asyncio
async def test_a_backfill_of_one_paper_and_a_fetch_of_one_attempt_say_it_in_the_singular(
    tmp_path: Path, kept_model: Path, started: Started
) -> None:
    """`digest backfill` said "1 papers read, ..., 1 new candidates", and with max_retries = 0 an answer of 503 was
    "HTTP 503 after 1 attempts". One of a thing is now said in the singular."""
    with_kept_model(tmp_path / "data", kept_model)  # the model's build is not what this is about
    async with ArxivServer() as arxiv:
        url = arxiv.program("/api/query", Reply(status=503))
        status, _out, err = await run_backfill(started, tmp_path, url)
        assert status == 1, err
        assert "HTTP 503 after 1 attempt; run the same command again to resume" in err, err

        arxiv.program("/api/query", Reply(body=one_relevant_entry()))
        # The 503's back-off, kept in the turn file for the next command, is test_arxiv_back_off's: not waited out here.
        (tmp_path / "data" / "arxiv.turn").unlink()
        status, out, err = await run_backfill(started, tmp_path, url)
    assert status == 0, err
    assert out.startswith("backfill done: 1 paper read, 1 matched, 0 already known, 1 new candidate ("), out


@pytest.mark.asyncio
async def test_the_backfill_log_its_last_line_and_the_readme_count_a_short_page_s_tries_alike(
    settings: Settings, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """An empty page asked again: the log counted "(1/3)" to "(3/3)", the run then stopped "4 times in a row", and the
    README said it stops after three such answers. The page is asked four times: the log counts "try 2 of 4" to "try 4
    of 4", the last line says 4 times, and the README four answers."""
    caplog.set_level(logging.INFO, logger="digest.arxiv.api")
    async with ArxivServer() as server:
        server.program("/api/query", Reply(body=api_page("s0_m10_bc5a6c384fe9")),
                       Reply(body=without_entries(api_page("s10_m10_34e56e15aaac"))))  # fmt: skip
        report = await backfill(api_settings(settings, server), database, date(2026, 4, 1), page_size=10,
                                clock=FakeClock())  # fmt: skip
        asked = [r.query for r in server.requests_to("/api/query") if "start=10&" in r.query]
    tries = [
        re.search(r"\(try (\d) of (\d)\)", r.getMessage()) for r in caplog.records if "asking again" in r.getMessage()
    ]
    assert [(m[1], m[2]) for m in tries if m] == [("2", "4"), ("3", "4"), ("4", "4")], caplog.text
    assert len(asked) == 4
    assert report.stopped is not None and "at 10 of 214881, 4 times in a row;" in report.stopped, report.stopped
    readme = " ".join(README.read_text(encoding="utf-8").split())
    assert "after four such answers in a row the backfill stops" in readme
    assert "three such answers" not in readme


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["backfill", "--since", "3026-01-01"], "argument --since: 3026-01-01 is after today: give the first day to"),
        (["backfill", "--since", "0202-05-01"], "argument --since: 0202-05-01 is before arXiv's first papers"),
        (["backfill", "--since", "2026-01-01", "--page-size", "0"], "argument --page-size: '0' is not between 1 and"),
        (
            ["backfill", "--since", "2026-01-01", "--page-size", "１０"],
            "argument --page-size: '１０' is written in digits",
        ),
        (["run", "--port", "８０"], "argument --port: '８０' is written in digits other than 0-9"),
    ],
)
def test_a_usage_error_names_the_option_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    """`digest backfill --since 2030-01-01` said "argument --since: --since 2030-01-01 is after today"."""
    with pytest.raises(SystemExit) as stopped:
        main(["--data-dir", str(tmp_path / "data"), *argv])
    assert stopped.value.code == 2
    line = capsys.readouterr().err.splitlines()[-1]
    assert said in line and line.count("--") == 1, line


@pytest.mark.asyncio
async def test_a_reject_through_a_feed_link_names_the_link_once(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    """A reject through a private-feed link read "rejected by feed approval link via feed" on the link's page, on the
    page a second press gets and in `digest history`: the link's name says its channel, and now it is said once."""
    paper = real_papers()[3]
    insert_candidate(site.database, paper)
    reject = next(path for path, label in await candidate_feed_links(site) if label == "Reject")
    async with site.client.post(reject) as done:
        assert done.status == 200
        assert "Done: rejected by feed approval link on " in " ".join((await done.text()).split())
    async with site.client.post(reject) as twice:  # the same press again (a retry): answered as the first was
        assert twice.status == 200
        text = " ".join((await twice.text()).split())
    assert "Done: rejected by feed approval link on " in text and "via" not in text, text

    assert main(["--data-dir", str(site.settings.data_dir), "history"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if paper["arxiv_id"] in line)
    assert f" rejected by feed approval link: {paper['title']}" in line, line
    assert "via" not in line, line


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc, where no folder can be created")
def test_config_check_tries_the_data_folder_it_would_create(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`digest config check --data-dir /proc/nope` said "configuration OK" (exit 0) where every other command says the
    data folder could not be created: its check asked os.access, which says yes to root under /proc too. It now tries,
    says which folder cannot be created and why (exit 1, as for any problem it lists), and leaves nothing behind in a
    folder it can write. The weekly digest's folder, by default in the data folder, was listed too, a second problem
    for the one cause: it is said once, for the data folder; a weekly.out_dir elsewhere is still tried on its own."""
    assert main(["--data-dir", "/proc/nope", "config", "check"]) == 1
    out = capsys.readouterr().out
    assert "problem: --data-dir /proc/nope cannot be created: No such file or directory (in /proc)\n" in out, out
    assert "configuration OK" not in out
    assert "weekly.out_dir" not in out and "\n1 problem: fix it" in out, out
    settings = data_dir.parent / "settings.toml"
    settings.write_text('[weekly]\nout_dir = "/proc/weekly"\n', encoding="utf-8")
    assert main(["--config", str(settings), "--data-dir", "/proc/nope", "config", "check"]) == 1
    out = capsys.readouterr().out
    assert "problem: weekly.out_dir /proc/weekly cannot be created: " in out and "\n2 problems: " in out, out

    data_dir.mkdir()
    assert main(["--data-dir", str(data_dir), "config", "check"]) == 0
    assert capsys.readouterr().out.endswith("configuration OK\n")
    assert list(data_dir.iterdir()) == []
