"""`digest poll` and `digest backfill` as a maintainer runs them by hand: odd arguments (a page size, a date, a
source holding a password or a host that cannot be read), Ctrl-C, and what their report lines promise."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from datetime import date
from pathlib import Path

import pytest

from digest.cli import main
from digest.service.wiring import open_service_database
from tests.cli_runs import digest_command
from tests.conftest import ROOT, make_settings
from tests.feedbuild import build_rss, load_records
from tests.processes import Spawned


@pytest.mark.parametrize("size", ["0", "-5", "2001"])
def test_a_page_size_out_of_range_is_a_usage_error(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str], size: str
) -> None:
    """`digest backfill --page-size 0` exited 1, as a refusal or failure does, where `--page-size abc` exited 2 as
    the usage error it is (README: 2 on a usage error). It is now a usage error too, before the data folder."""
    with pytest.raises(SystemExit) as stopped:
        main(["--data-dir", str(data_dir), "backfill", "--since", "2026-01-01", f"--page-size={size}"])
    assert stopped.value.code == 2
    assert f"argument --page-size: '{size}' is not between 1 and 2000" in capsys.readouterr().err
    assert not data_dir.exists()


@pytest.mark.parametrize(
    ("since", "said"),
    [
        ("3026-01-01", "3026-01-01 is after today: give the first day to read, e.g. 2025-01-01"),
        (
            "0202-05-01",
            "0202-05-01 is before arXiv's first papers (August 1991): give the first day to read, e.g. 2025-01-01",
        ),
    ],
)
def test_a_backfill_date_arxiv_cannot_have_is_a_usage_error(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str], since: str, said: str
) -> None:
    """A typo in the year: `--since 3026-01-01` asked arXiv for papers submitted from then "TO 2999-12-31", got none,
    and said "backfill done" (the month marked done); `--since 0202-05-01` (for 2025-02-01) set out to ask about each
    of 21,000 months one request apiece, 3 s apart: most of a day of empty answers from arXiv. Both are usage errors
    now, before the data folder."""
    config = tmp_path / "config.toml"
    config.write_text('[arxiv]\napi_url = "http://127.0.0.1:9/api/query"\nmax_retries = 0\n', encoding="utf-8")
    with pytest.raises(SystemExit) as stopped:
        main(["--config", str(config), "--data-dir", str(data_dir), "backfill", "--since", since])
    assert stopped.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == f"digest backfill: error: argument --since: {said}"
    assert not data_dir.exists()


@pytest.mark.parametrize(
    "source", ["https://reader:hunter2pw@mirror.example/rss/cs.CV", "http://hunter2pw@127.0.0.1:1/rss/cs.CV"]
)
def test_a_source_holding_a_password_is_refused_without_repeating_it(
    data_dir: Path, capsys: pytest.CaptureFixture[str], source: str
) -> None:
    """`digest poll --source https://user:password@mirror/...` was polled, and the password went into every log line
    about the source, the printed summary, and the database (the feed's state and the poll's record, which /healthz
    shows), where [arxiv] sources refuses such an address. It is a usage error now, that does not repeat it."""
    with pytest.raises(SystemExit) as stopped:
        main(["--data-dir", str(data_dir), "poll", "--source", "feed.xml", source])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "must not hold a user or password" in err and "hunter2pw" not in err
    assert not data_dir.exists()


def test_ctrl_c_during_a_poll_stores_nothing_of_the_answer_and_says_so(
    tmp_path: Path, data_dir: Path, spawned: Spawned
) -> None:
    """Ctrl-C while `digest poll` waited for its relevance model said "digest: interrupted" (exit 130), but only after
    the pass had gone on to the end in its worker threads and stored every candidate; the run was recorded as failed,
    with no source. Ctrl-C now ends the pass as a stopping service does: the answer waiting for the model is not
    stored (the next poll reads it again), the run is recorded as interrupted, and the command says so."""
    settings = make_settings(data_dir)
    open_service_database(settings).dispose()  # a used folder: the poll builds the model from scratch (seconds)
    feed = tmp_path / "cs.CV.xml"
    feed.write_bytes(build_rss("cs.CV", load_records(), date(2026, 4, 27)))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    poll = [*digest_command(tmp_path), "poll", "--source", str(feed)]
    database_file = data_dir / "digest.sqlite3"

    def rows(query: str) -> list[tuple[object, ...]]:
        with sqlite3.connect(f"file:{database_file}?mode=ro", uri=True) as connection:
            return connection.execute(query).fetchall()

    running = spawned.add(
        subprocess.Popen(
            poll,
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as a terminal's Ctrl-C reaches it
        )
    )
    deadline = time.monotonic() + 60
    while not rows("SELECT id FROM poll_runs") and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # the feed is read; the model is still being built
    running.send_signal(signal.SIGINT)
    _, err = running.communicate(timeout=120)
    assert running.returncode == 130, err
    assert "Traceback" not in err and err.splitlines()[-1].startswith("digest: interrupted"), err
    assert rows("SELECT arxiv_id FROM candidates") == []
    assert rows("SELECT outcome FROM poll_runs") == [("interrupted",)]
    again = subprocess.run(poll, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert "3 new candidates" in again.stdout.splitlines()[-1]


def test_a_backfill_stopped_before_arxiv_said_its_total_says_so_in_words(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """arXiv's API refusing the first page: the log said 'backfill stopped at 0 of None', Python's word for the total
    no answer had given, and then, as the command's own line did, '0 of ?'. Both say it in words."""
    config = tmp_path / "config.toml"
    config.write_text('[arxiv]\napi_url = "http://127.0.0.1:9/api/query"\nmax_retries = 0\n', encoding="utf-8")
    status = main(["--config", str(config), "--data-dir", str(data_dir), "backfill", "--since", "2026-01-01"])
    assert status == 1
    out, err = capsys.readouterr()
    stopped = "stopped at result 0 in 2026-01-01 to 2026-01-31, before arXiv said how many results it holds: "
    assert f"backfill {stopped}" in out, out
    assert f"backfill {stopped}" in err and "None" not in err and "of ?" not in err, err


def test_a_one_shot_poll_does_not_promise_a_retry(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest poll --source FILE` logged "will retry later" for a broken file, and nothing ever polls it again."""
    source = tmp_path / "broken.xml"
    source.write_text("not a feed\n", encoding="utf-8")
    assert main(["--data-dir", str(data_dir), "poll", "--source", str(source)]) == 1
    out = capsys.readouterr()
    assert out.out.splitlines()[0].startswith(f"{source}: broken (not an RSS or Atom feed")
    [warning] = [line for line in out.err.splitlines() if "WARNING" in line]
    assert warning.endswith(f"poll {source}: not an RSS or Atom feed (<unknown>:2:0: syntax error)"), warning


def test_a_source_whose_host_cannot_be_read_is_a_usage_error_not_a_traceback(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest poll --source http://[::1/rss` (a bracket left out) ended in a traceback from the check of whether the
    source is on arxiv.org; it is a usage error in one line now, and nothing is polled."""
    with pytest.raises(SystemExit) as stopped:
        main(["--data-dir", str(data_dir), "poll", "--source", "http://[::1/rss/cs.CV"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == (
        "digest poll: error: argument --source: 'http://[::1/rss/cs.CV' is not an address: its host cannot be read "
        "(an IPv6 address goes whole in brackets: http://[::1]:80/) (nothing was polled)"
    )
    assert not data_dir.exists()


NO_ID_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>cs.CV updates on arXiv.org</title><link>http://rss.arxiv.org/rss/cs.CV</link>
<description>x</description><lastBuildDate>Mon, 27 Apr 2026 00:00:00 -0400</lastBuildDate>{items}</channel></rss>
"""


NO_ID_ITEM = "<item><title>Paper {n}</title><link>https://example.org/{n}</link><description>text</description></item>"


def test_a_feed_with_no_usable_item_says_its_first_problem_in_the_report_line(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The line read "broken (no usable item (1 problems))": a wrong plural, and which problem only the log said.
    Expected: the problem itself, or how many there were and the first."""
    source = tmp_path / "no-ids.xml"
    for count, said in (
        (1, "no usable item: item 1 (https://example.org/1, 'Paper 1'): no arXiv ID; skipped"),
        (2, "no usable item (2 problems; the first: item 1 (https://example.org/1, 'Paper 1'): no arXiv ID; skipped)"),
    ):
        items = "".join(NO_ID_ITEM.format(n=n) for n in range(1, count + 1))
        source.write_text(NO_ID_FEED.format(items=items), encoding="utf-8")
        assert main(["--data-dir", str(data_dir), "poll", "--source", str(source)]) == 1
        assert capsys.readouterr().out.splitlines()[0] == f"{source}: broken ({said})"
