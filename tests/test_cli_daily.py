"""The command line as a maintainer uses it every day: the data folder argument, candidates and sections named as
shown, several IDs decided at once, counts and files named as a user reads them; each case is what a user saw on the
real command, checked through the real entry point. `digest score` is in test_cli_daily_score.py, poll and backfill
by hand in test_cli_daily_poll.py."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import sys
from datetime import date
from pathlib import Path

import pytest

from digest.arxiv.additions import parse_arxiv_reference
from digest.cli import main
from digest.service.wiring import open_service_database
from tests.cli_daily import one_candidate, paper_lines, papers_file
from tests.conftest import ROOT, make_settings
from tests.factories import insert_candidate, real_papers
from tests.feedbuild import build_rss, load_records
from tests.list_edits import DAY_FIRST
from tests.terminal import at_terminal


@pytest.mark.parametrize("inside", ["", "sub"])
def test_a_data_folder_that_is_a_file_is_named_as_the_problem(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str], inside: str
) -> None:
    """`--data-dir` naming a file (a typo for the database file, say) said only "digest: /path: File exists" (or
    "Not a directory"). It now says the data folder is a file and what to give instead, in one line, exit 2 as a
    settings problem, as a folder that cannot be created is (it was exit 1); `digest run` says it as well (it said
    it could not write the data folder, naming "File exists", exit 1)."""
    mistaken = tmp_path / "digest.sqlite3"
    mistaken.write_bytes(b"")
    folder = mistaken / inside if inside else mistaken
    for command in (["candidates"], ["approve", "1"], ["history"], ["run"], ["run", "--once"]):
        assert main(["--data-dir", str(folder), *command]) == 2, command
        err = capsys.readouterr().err
        assert err == (
            f"digest: configuration: the data folder {folder} cannot be used: {mistaken} is a file, not a folder; "
            "give --data-dir (or DIGEST_DATA_DIR) a folder\n"
        ), command
    assert mistaken.read_bytes() == b""


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc, where no folder can be created")
def test_a_data_folder_that_cannot_be_created_says_which_and_why(capsys: pytest.CaptureFixture[str]) -> None:
    """`--data-dir /proc/nope` said only "digest: /proc/nope: No such file or directory", as if a file were missing.
    It now says the data folder could not be created, which, and why, in one line, exit 2 as a settings problem; so
    does `digest run` (it said the data lock's "cannot write the data folder ... keeps its database, list and lock
    there", exit 1)."""
    for command in (["candidates"], ["decisions", "list"], ["history"], ["run"]):
        assert main(["--data-dir", "/proc/nope", *command]) == 2, command
        assert capsys.readouterr().err == (
            "digest: configuration: the data folder /proc/nope could not be created: No such file or directory; "
            "give --data-dir (or DIGEST_DATA_DIR) a folder this user can create\n"
        )


def test_an_empty_data_folder_argument_is_a_usage_error_not_the_working_folder(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest --data-dir "$DATA" candidates` with DATA unset made the working folder the data folder: a new
    database and list.md were written beside whatever was there. An empty path is now a usage error (exit 2)."""
    for argv in (["--data-dir", "", "candidates"], ["--data-dir=", "history"], ["--config", "", "candidates"]):
        with pytest.raises(SystemExit) as stopped:
            main(argv)
        assert stopped.value.code == 2
        err = capsys.readouterr().err
        assert "empty" in err.splitlines()[-1] and "Traceback" not in err
    assert sorted(path.name for path in tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "address",
    [
        "https://arxiv.org/abs/{id}?context=cs.CV",  # arXiv's own link from a listing of another category
        "https://arxiv.org/abs/{id}v2#",
        "https://arxiv.org/pdf/{id}v1?utm_source=share",
        "https://arxiv.org/html/{id}v1",  # the HTML version arXiv offers beside the PDF
        "https://arxiv.org/html/{id}v1/#S3",
    ],
)
def test_an_arxiv_address_as_the_browser_shows_it_names_the_candidate(
    data_dir: Path, capsys: pytest.CaptureFixture[str], address: str
) -> None:
    """The address bar's arXiv link with a query or a fragment, or the paper's HTML version, was refused as "not a
    candidate id" (exit 2) by approve, reject and pending, as "not an arXiv ID or URL" by `digest add`, /suggest and
    Discord's /add, while the same paper's plain address worked. They now name the paper."""
    record = real_papers()[0]
    candidate_id = one_candidate(data_dir)
    given = address.format(id=record["arxiv_id"])
    assert parse_arxiv_reference(given) == record["arxiv_id"]
    assert main(["--data-dir", str(data_dir), "reject", given]) == 0, capsys.readouterr().err
    said = f"candidate {candidate_id} ({record['arxiv_id']}): rejected\n"
    if "v2" in address:  # the queue holds v1: a decision is the paper's, and the other version is said
        said += (
            f"  you named v2 of {record['arxiv_id']}; the queue holds v1: the decision is the paper's, any version\n"
        )
    assert capsys.readouterr().out == said


@pytest.mark.parametrize("heading", ["\uf8ffüìú Probing", "### \uf8ffüìú Probing:", "📜 Probing"])
def test_a_section_named_as_its_heading_is_written_in_the_list(
    data_dir: Path, capsys: pytest.CaptureFixture[str], heading: str
) -> None:
    """The bundled list's headings hold emoji saved as Mac Roman mojibake ("### \uf8ffüìú Probing"); the list is kept
    as written. `--section` with the heading copied from list.md was refused as "no section named '\uf8ffüìú Probing'"
    although the real emoji ("📜 Probing") worked. The heading as written now names its section."""
    settings = make_settings(data_dir)
    candidate_id = one_candidate(data_dir)
    assert "\n### \uf8ffüìú Probing\n" in settings.list_markdown_path.read_text(encoding="utf-8")
    assert main(["--data-dir", str(data_dir), "approve", str(candidate_id), "--section", heading]) == 0
    out = capsys.readouterr()
    assert out.out == f"candidate {candidate_id} ({real_papers()[0]['arxiv_id']}): approved into Probing\n", out.err


def test_export_to_dash_is_standard_output(tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`digest list export -o - | less` (as `score -` and `decisions import -` read standard input) wrote a file
    named "-" in the working folder and printed "wrote - (29,228 bytes)" into the pager. "-" now means standard
    output, as without -o."""
    assert main(["--data-dir", str(data_dir), "list", "export"]) == 0
    expected = capsys.readouterr().out
    assert main(["--data-dir", str(data_dir), "list", "export", "-o", "-"]) == 0
    assert capsys.readouterr().out == expected
    assert not (tmp_path / "-").exists()


def candidates_whose_second_decision_fails(data_dir: Path, count: int, reason: str) -> list[int]:
    """`count` pending candidates in a new data folder whose database fails every decision after the first with
    SQLite's `reason` (through a trigger), as a disk that fills or a lock held past the busy timeout fails it."""
    database = open_service_database(make_settings(data_dir))
    try:
        ids = [insert_candidate(database, paper) for paper in real_papers()[:count]]
    finally:
        database.dispose()
    with sqlite3.connect(data_dir / "digest.sqlite3") as connection:
        connection.execute(
            "CREATE TRIGGER second_fails BEFORE INSERT ON decisions WHEN (SELECT count(*) FROM decisions) >= 1 "
            f"BEGIN SELECT RAISE(ABORT, '{reason}'); END"
        )
    return ids


def test_a_database_failure_midway_through_several_ids_names_what_was_decided(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest approve 1 2 3` makes one decision per ID. When the database failed on the second (a full disk, a lock
    held too long), the command ended with "(nothing was changed)" although the first was approved, and the third was
    never tried. It now says which were decided and which to run again. The second write fails through a trigger, as
    a disk that fills after the first decision would fail it."""
    ids = candidates_whose_second_decision_fails(data_dir, 3, "database or disk is full")
    status = main(["--data-dir", str(data_dir), "approve", *map(str, ids), "--section", "Probing"])
    out = capsys.readouterr()
    assert status == 1
    assert out.out == f"candidate {ids[0]} ({real_papers()[0]['arxiv_id']}): approved into Probing\n"
    assert "nothing was changed" not in out.err and len(out.err.splitlines()) == 1
    assert "database or disk is full" in out.err
    assert f"the 1 decision printed above was made, {ids[1]} and the 1 after it were not" in out.err
    with sqlite3.connect(data_dir / "digest.sqlite3") as connection:
        statuses = dict(connection.execute("SELECT id, status FROM candidates"))
    assert [statuses[number] for number in ids] == ["approved", "pending", "pending"]


def test_a_lock_held_midway_through_several_ids_says_what_holds_it(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest approve 1 2` with the database's write lock held past the busy timeout on the second ID: every other
    command says another process has held the lock, how to find it and to try again; this line said only
    "database is locked". The lock is seen through a trigger, as a held lock fails the second write."""
    ids = candidates_whose_second_decision_fails(data_dir, 2, "database is locked")
    status = main(["--data-dir", str(data_dir), "approve", *map(str, ids), "--section", "Probing"])
    err = capsys.readouterr().err
    assert status == 1 and len(err.splitlines()) == 1, err
    assert f"the 1 decision printed above was made, {ids[1]} were not" in err, err
    assert "another process has held its write lock" in err and "`fuser`" in err, err


def test_a_command_waits_for_a_held_lock_only_as_long_as_the_busy_timeout(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The busy timeout (storage/failures.py's BUSY_TIMEOUT_MS) is how long a write waits for another process's lock.
    The tests that shorten it to see a held lock quickly patched a copy of it: each connection's PRAGMA busy_timeout
    read a copy of its own, so `digest approve` still waited the full 10 s. One value, read where it is kept."""
    import time

    from digest.storage import failures

    monkeypatch.setattr(failures, "BUSY_TIMEOUT_MS", 1000)
    candidate = one_candidate(data_dir)
    holder = sqlite3.connect(data_dir / "digest.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a sqlite3 shell left inside a transaction
    began = time.monotonic()
    try:
        assert main(["--data-dir", str(data_dir), "approve", str(candidate)]) == 1
    finally:
        took = time.monotonic() - began
        holder.execute("ROLLBACK")
        holder.close()
    err = capsys.readouterr().err
    assert "database is locked" in err and "another process has held its write lock for over 1 s" in err, err
    assert took < 6, f"waited {took:.1f} s for a lock the busy timeout gives up on after 1 s"


def test_counts_of_one_read_in_the_singular(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A maintainer following the README read "scored 1 papers: ..., 1 bad lines", "poll ok: 1 sources" and
    "list.md: 1 errors, 1 warnings"; then, polling one paper, "fetched, 1 entries, ..., 1 new candidates" on the
    source's line and the summary's. One of a thing is now named in the singular; other counts keep the plural."""
    path = papers_file(tmp_path / "papers.jsonl", [*paper_lines(1), b"not json"])
    assert main(["--data-dir", str(data_dir), "score", str(path)]) == 1
    assert "\nscored 1 paper: 1 relevant, 1 bad line\n" in capsys.readouterr().err

    feed = tmp_path / "feed.xml"
    feed.write_bytes(build_rss("cs.CV", load_records()[:1], date(2026, 4, 27)))
    command = [sys.executable, "-m", "digest", "--data-dir", str(data_dir), "poll", "--source", str(feed)]
    done, shown = at_terminal(command, tmp_path, {**os.environ, "PYTHONPATH": str(ROOT)})  # the source's line too
    assert (done.returncode, done.stdout.splitlines()) == (0, [
        f"{feed}: fetched, 1 entry, 1 matched (0 already known, 1 new candidate)",
        "poll ok: 1 source (1 fetched), 1 new candidate",
    ]), shown  # fmt: skip

    listed = tmp_path / "list.md"
    listed.write_text(DAY_FIRST + "+ [Alpha paper](https://arxiv.org/abs/2403.00001) (1 Jan 2024)\n", encoding="utf-8")
    assert main(["--data-dir", str(data_dir), "list", "lint", str(listed)]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == f"{listed}: 1 error, 1 warning"


def test_the_kept_list_is_named_as_the_list_is(data_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    """With `--data-dir data`, rejecting an approved paper said "list: data/list.md goes from 73 to 72 entries; the
    previous file is kept as /tmp/.../data/list.md.1": one folder named two ways in one line. The copy is named as
    the list."""
    caplog.set_level(logging.INFO, logger="digest.awesome.listfile")  # the shrink a decision made is said at INFO
    candidate = one_candidate(data_dir)
    assert main(["--data-dir", "data", "approve", str(candidate), "--section", "Probing"]) == 0
    assert main(["--data-dir", "data", "reject", str(candidate)]) == 0
    warning = next(record.getMessage() for record in caplog.records if "goes from" in record.getMessage())
    assert warning.endswith("the previous file is kept as data/list.md.1"), warning
    assert (data_dir / "list.md.1").is_file()


def test_approving_a_candidate_with_no_suggested_section_names_the_way_and_the_sections(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest approve N` on a candidate the model suggested no section for said "candidate N has no suggested
    section: name one", naming neither `--section` nor the list's sections, which a section the list does not have
    is refused with. It names both now, and the candidate stays pending."""
    database = open_service_database(make_settings(data_dir))
    try:
        candidate = insert_candidate(database, real_papers()[0], suggested_section=None)
    finally:
        database.dispose()
    assert main(["--data-dir", str(data_dir), "approve", str(candidate)]) == 1
    err = capsys.readouterr().err
    said = f"digest: candidate {candidate} has no suggested section: name one with --section (sections: "
    assert err.startswith(said) and ", Probing, " in err and err.count("\n") == 1, err
    assert main(["--data-dir", str(data_dir), "candidates", "--status", "pending"]) == 0
    assert f"{candidate} " in capsys.readouterr().out


def test_candidates_lists_the_newest_poll_first_and_each_poll_by_score(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest candidates` sorted by the moment each paper was stored, which one poll gives each source a moment
    apart: a poll's candidates came out in source order (seen: 4 (0.17), 3 (0.00), 1 (0.63), 2 (0.11)), not by score
    as /review shows them. The newest poll comes first now, each poll's papers by score; `--json` in the same order."""
    records = load_records()  # the first three are relevant, scored 2.41, 3.73 and 3.27
    feeds = []
    for number, chosen in enumerate((records[1], records[0], records[2])):
        feed = tmp_path / f"feed{number}.xml"
        feed.write_bytes(build_rss("cs.CV", [chosen], date(2026, 4, 27 + number)))
        feeds.append(str(feed))
    assert main(["--data-dir", str(data_dir), "poll", "--source", feeds[0], "--source", feeds[1]]) == 0
    assert main(["--data-dir", str(data_dir), "poll", "--source", feeds[2]]) == 0
    capsys.readouterr()
    assert main(["--data-dir", str(data_dir), "candidates", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    # The later poll first; within the first, the higher score first though its source was read first.
    assert [row["arxiv_id"] for row in listed] == [records[index]["arxiv_id"] for index in (2, 1, 0)], listed
    assert main(["--data-dir", str(data_dir), "candidates"]) == 0
    shown = [line.split()[0] for line in capsys.readouterr().out.splitlines() if line.strip()[:1].isdigit()]
    assert shown == [str(row["id"]) for row in listed], shown
