"""The command line as a maintainer uses it every day: files saved by other tools, output piped to `head`, odd
arguments; each case is what a user saw on the real command, and is checked through the real entry point."""

from __future__ import annotations

import io
import json
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from digest.arxiv.additions import parse_arxiv_reference
from digest.cli import main
from digest.service.wiring import open_service_database
from tests.cli_runs import digest_command
from tests.conftest import ROOT, make_settings
from tests.factories import insert_candidate, real_papers
from tests.feedbuild import build_rss, load_records
from tests.list_edits import DAY_FIRST


def papers_file(path: Path, lines: list[bytes], prefix: bytes = b"") -> Path:
    path.write_bytes(prefix + b"\n".join(lines) + b"\n")
    return path


def paper_lines(count: int) -> list[bytes]:
    return [
        json.dumps({key: record[key] for key in ("arxiv_id", "title", "abstract")}).encode("utf-8")
        for record in real_papers()[:count]
    ]


def one_candidate(data_dir: Path) -> int:
    """A new data folder with the bundled list and the first real paper pending as a candidate; its id."""
    database = open_service_database(make_settings(data_dir))
    try:
        return insert_candidate(database, real_papers()[0])
    finally:
        database.dispose()


def scored_ids(out: str) -> list[str]:
    return [json.loads(line)["arxiv_id"] for line in out.splitlines()]


def test_score_reads_a_file_saved_with_a_byte_order_mark(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Notepad saves UTF-8 with a byte order mark: the first paper was skipped as "not valid JSON (Unexpected UTF-8
    BOM)". It is scored like the others, from a file and from standard input."""
    lines = paper_lines(2)
    expected = [json.loads(line)["arxiv_id"] for line in lines]
    path = papers_file(tmp_path / "papers.jsonl", lines, prefix=b"\xef\xbb\xbf")
    assert main(["--data-dir", str(data_dir), "score", str(path), "--json"]) == 0
    out = capsys.readouterr()
    assert scored_ids(out.out) == expected and "skipped" not in out.err
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(path.read_bytes()), encoding="utf-8"))
    assert main(["--data-dir", str(data_dir), "score", "-", "--json"]) == 0
    out = capsys.readouterr()
    assert scored_ids(out.out) == expected and "skipped" not in out.err


def test_score_names_a_line_that_is_not_utf8_instead_of_scoring_altered_text(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A line saved as Latin-1 was scored with its accented letters replaced by '\ufffd', unsaid; `decisions import`
    names such a line. It is now skipped with its number and the reason, the others scored, exit 1."""
    good = paper_lines(2)
    latin = json.dumps({"arxiv_id": "2501.00001", "title": "Café probing", "abstract": "naïve"}, ensure_ascii=False)
    path = papers_file(tmp_path / "papers.jsonl", [good[0], latin.encode("latin-1"), good[1]])
    assert main(["--data-dir", str(data_dir), "score", str(path), "--json"]) == 1
    out = capsys.readouterr()
    assert scored_ids(out.out) == [json.loads(line)["arxiv_id"] for line in good]
    assert f"{path}:2: skipped: not UTF-8 text" in out.err


def test_score_names_a_damaged_gzip_file_instead_of_a_traceback(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A .gz file of papers damaged inside (a bad copy, a download cut and resumed) ended `digest score` in a zlib.error
    traceback, where `digest decisions import` names the file. It now says in one line that it cannot read the file."""
    import gzip

    damaged = bytearray(gzip.compress(b"\n".join(paper_lines(2)) + b"\n"))
    damaged[10] = 0x07  # the first deflate block's type: 3, which no block has
    path = tmp_path / "papers.jsonl.gz"
    path.write_bytes(bytes(damaged))
    assert main(["--data-dir", str(data_dir), "score", str(path), "--json"]) == 1
    out = capsys.readouterr()
    reason = f"{path}: not a readable gzip file (Error -3 while decompressing data: invalid block type)"
    assert json.loads(out.out) == {"error": reason, "exit_status": 1}  # no paper scored: only the reason, as JSON
    assert out.err == f"digest: {reason}\n"


def test_score_words_a_file_it_cannot_read_as_the_other_commands_do(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest score` said "cannot read X: ..." where `digest decisions import` and the others say "X: cannot read:
    ..." (and "X: not a readable gzip file (...)"): one wording now, whichever command was given the file."""
    import gzip

    missing = tmp_path / "missing.jsonl"
    cut = tmp_path / "papers.jsonl.gz"
    cut.write_bytes(gzip.compress(b"\n".join(paper_lines(2)) + b"\n")[:-12])  # its end, and the check, cut off
    for command in ("score", "decisions import"):
        assert main(["--data-dir", str(data_dir), *command.split(), str(missing)]) == 1
        assert capsys.readouterr().err == f"digest: {missing}: cannot read: No such file or directory\n", command
    assert main(["--data-dir", str(data_dir), "score", str(cut), "--json"]) == 1
    assert capsys.readouterr().err == (
        f"digest: {cut}: not a readable gzip file (Compressed file ended before the end-of-stream marker was reached)\n"
    )


def test_score_names_the_field_that_is_wrong_on_a_skipped_line(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An exporter that writes `"abstract": null` for a paper without one, or the categories as one string, had the
    line skipped with "abstract must be a string and categories a list" either way: the maintainer was left to guess
    which of the two was wrong. Each skipped line now names its field, as `digest decisions import` does."""
    good = paper_lines(1)
    row = json.loads(good[0])
    no_abstract = json.dumps({**row, "abstract": None}).encode()
    one_string = json.dumps({**row, "categories": "cs.CV cs.LG"}).encode()
    path = papers_file(tmp_path / "papers.jsonl", [no_abstract, one_string, good[0]])
    assert main(["--data-dir", str(data_dir), "score", str(path), "--json"]) == 1
    out = capsys.readouterr()
    assert scored_ids(out.out) == [row["arxiv_id"]]
    assert out.err.splitlines() == [
        f"{path}:1: skipped: abstract must be a string (it may be empty)",
        f'{path}:2: skipped: categories must be a list of strings, such as ["cs.CV", "cs.LG"]',
    ]


def test_score_names_a_line_whose_categories_are_not_strings(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A category written as null (an exporter's missing value) or as a nested list was scored as the text "None"
    or "['cs.CV']": an off-topic category, which lowered the paper's score and decision with no word of why. The line
    is now skipped and named, as a list that is no list is."""
    good = paper_lines(1)
    row = json.loads(good[0])
    with_null = json.dumps({**row, "categories": ["cs.CV", None]}).encode()
    nested = json.dumps({**row, "categories": [["cs.CV"]]}).encode()
    path = papers_file(tmp_path / "papers.jsonl", [with_null, nested, good[0]])
    assert main(["--data-dir", str(data_dir), "score", str(path), "--json"]) == 1
    out = capsys.readouterr()
    assert scored_ids(out.out) == [row["arxiv_id"]]
    assert out.err.splitlines() == [
        f'{path}:1: skipped: categories must be a list of strings, such as ["cs.CV", "cs.LG"]',
        f'{path}:2: skipped: categories must be a list of strings, such as ["cs.CV", "cs.LG"]',
    ]


def test_score_piped_to_head_ends_quietly(tmp_path: Path) -> None:
    """`digest score papers.jsonl | head -1` said "digest: cannot read papers.jsonl: [Errno 32] Broken pipe" and
    exited 1, blaming the input file. It now ends as the other commands do when the reader goes away: 141, silent."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    path = papers_file(tmp_path / "papers.jsonl", paper_lines(3) * 3000)  # far more than a pipe holds
    command = digest_command(tmp_path)
    reader_gone = subprocess.Popen(
        [*command, "score", str(path)], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert reader_gone.stdout is not None and reader_gone.stderr is not None
    reader_gone.stdout.readline()
    reader_gone.stdout.close()
    with reader_gone.stderr:
        err = reader_gone.stderr.read().decode()
    assert reader_gone.wait(timeout=120) == 141 and err == ""


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
    assert capsys.readouterr().out == f"candidate {candidate_id} ({record['arxiv_id']}): rejected\n"


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


def test_ctrl_c_during_a_poll_stores_nothing_of_the_answer_and_says_so(tmp_path: Path, data_dir: Path) -> None:
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

    running = subprocess.Popen(
        poll,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as a terminal's Ctrl-C reaches it
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


def test_score_says_which_papers_the_model_learnt_from_and_their_held_out_score(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A maintainer checking the model scored a paper of the list: `digest score` gave it a high score and said
    nothing of the model having learnt from that very paper, so it looked like proof the model finds such papers.
    Expected: the paper is marked as learnt from, with the score the model keeps for it from the parts that never saw
    it (the one it would have had as news); a new paper is marked as not learnt from; the summary says it in words."""
    from digest.resources import curated_papers_path

    listed = json.loads(curated_papers_path().read_text(encoding="utf-8").splitlines()[0])
    new = real_papers()[0]
    lines = [json.dumps({key: row[key] for key in ("arxiv_id", "title", "abstract")}).encode() for row in (listed, new)]
    path = papers_file(tmp_path / "papers.jsonl", lines)
    assert main(["--data-dir", str(data_dir), "score", str(path)]) == 0
    out = capsys.readouterr()
    seen, fresh = (json.loads(line) for line in out.out.splitlines())
    assert seen["arxiv_id"] == listed["arxiv_id"] and seen["learnt_from"] is True
    assert isinstance(seen["held_out_score"], float) and seen["held_out_score"] != seen["score"]
    assert fresh["learnt_from"] is False and fresh["held_out_score"] is None
    assert "1 of these papers the model learnt from" in out.err


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


def test_score_reads_a_file_with_old_mac_line_endings_line_by_line_as_decisions_import_does(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file whose lines end in a carriage return alone was one line of bad JSON to `digest score` (nothing scored),
    while `digest decisions import` read it line by line: each paper is scored, and a bad line named by its number."""
    good = paper_lines(2)
    path = tmp_path / "papers.jsonl"
    path.write_bytes(b"\r".join([good[0], b'{"title": ""}', good[1]]) + b"\r")
    assert main(["--data-dir", str(data_dir), "score", str(path), "--json"]) == 1
    out = capsys.readouterr()
    assert scored_ids(out.out) == [json.loads(line)["arxiv_id"] for line in good]
    assert out.err == f"{path}:2: skipped: no title\n"
    path.write_bytes(b"\r".join(good) + b"\r")
    assert main(["--data-dir", str(data_dir), "score", str(path), "--json"]) == 0
    assert len(scored_ids(capsys.readouterr().out)) == 2


def test_score_says_once_that_a_json_array_is_not_json_lines(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A JSON array (as `json.dump` writes a list) had each of its lines skipped, none saying why: it is named once."""
    papers = [json.loads(line) for line in paper_lines(2)]
    for written in (json.dumps(papers, indent=2), json.dumps(papers)):
        path = tmp_path / "papers.json"
        path.write_text(written + "\n", encoding="utf-8")
        assert main(["--data-dir", str(data_dir), "score", str(path)]) == 1
        out = capsys.readouterr()
        assert out.out == ""
        assert out.err.splitlines() == [
            f"digest: {path}: looks like a JSON array (it starts with '['): one JSON object a line is wanted; "
            "`jq -c '.[]' FILE` writes it so; nothing was scored"
        ]


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


def test_score_of_standard_input_names_it_as_decisions_import_does(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`digest score -` named a bad line '-:2: skipped: ...' where `decisions import -` and `list import -` say
    '<stdin>:2'; it says <stdin> too."""
    lines = paper_lines(1)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(lines[0] + b"\nnot json\n"), encoding="utf-8"))
    assert main(["--data-dir", str(data_dir), "score", "-", "--json"]) == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("note:")]
    assert errors[0].startswith("<stdin>:2: skipped: not valid JSON"), errors


def test_counts_of_one_read_in_the_singular(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A maintainer following the README read "scored 1 papers: ..., 1 bad lines", "poll ok: 1 sources" and
    "list.md: 1 errors, 1 warnings"; then, polling one paper, "fetched, 1 entries, ..., 1 new candidates" on the
    source's line and the summary's. One of a thing is now named in the singular; other counts keep the plural."""
    path = papers_file(tmp_path / "papers.jsonl", [*paper_lines(1), b"not json"])
    assert main(["--data-dir", str(data_dir), "score", str(path)]) == 1
    assert "\nscored 1 paper: 1 relevant, 1 bad line\n" in capsys.readouterr().err

    feed = tmp_path / "feed.xml"
    feed.write_bytes(build_rss("cs.CV", load_records()[:1], date(2026, 4, 27)))
    assert main(["--data-dir", str(data_dir), "poll", "--source", str(feed)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{feed}: fetched, 1 entry, 1 matched, 0 already known, 1 new candidate",
        "poll ok: 1 source (1 fetched), 1 new candidate",
    ]

    listed = tmp_path / "list.md"
    listed.write_text(DAY_FIRST + "+ [Alpha paper](https://arxiv.org/abs/2403.00001) (1 Jan 2024)\n", encoding="utf-8")
    assert main(["--data-dir", str(data_dir), "list", "lint", str(listed)]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == f"{listed}: 1 error, 1 warning"


def test_score_says_why_a_paper_on_the_topic_was_not_flagged(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README promises `digest score` prints per paper the top three sections and why: a paper on the topic
    scored under the threshold (the one a maintainer trying a change of the rules asks about) came back with
    "sections": [] and "why": [], so nothing said what it matched near. Its sections and why are now given, the
    decision, tier and score unchanged."""
    haystack = ROOT / "tests" / "data" / "relevance_haystack_sample.jsonl"
    line = next(line for line in haystack.read_text(encoding="utf-8").splitlines() if '"2404.16085"' in line)
    path = papers_file(tmp_path / "papers.jsonl", [line.encode("utf-8")])
    assert main(["--data-dir", str(data_dir), "score", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["relevant"], result["tier"], result["matched"]) == (False, None, ["interpretab*", "internal*"])
    assert len(result["sections"]) == 3 and result["section"] == result["sections"][0]
    assert result["why"][0] == "matched: interpretab*, internal*"
    assert any(reason.startswith("nearest in the list: ") for reason in result["why"]), result["why"]


def test_the_kept_list_is_named_as_the_list_is(data_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    """With `--data-dir data`, rejecting an approved paper said "list: data/list.md goes from 73 to 72 entries; the
    previous file is kept as /tmp/.../data/list.md.1": one folder named two ways in one line. The copy is named as
    the list."""
    candidate = one_candidate(data_dir)
    assert main(["--data-dir", "data", "approve", str(candidate), "--section", "Probing"]) == 0
    assert main(["--data-dir", "data", "reject", str(candidate)]) == 0
    # The command sets no log handler: the line goes to standard error as Python's last resort prints it.
    warning = next(record.getMessage() for record in caplog.records if "goes from" in record.getMessage())
    assert warning.endswith("the previous file is kept as data/list.md.1"), warning
    assert (data_dir / "list.md.1").is_file()
