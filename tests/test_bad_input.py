"""A full disk and a database that cannot grow: every command says so in one line and changes nothing.

The disk is filled without root: a symlink to /dev/full stands for the file being written (every write gets ENOSPC),
and SQLite's `max_page_count` (set on each new connection by an event the test installs) keeps the database from
growing by a single page, which is what a full disk does to it. A regression that renames a temporary file over the
target only replaces the symlink in tmp_path, never the device.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError

from digest.cli import main
from digest.config import Settings
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
from digest.service.wiring import open_service_database
from tests.conftest import make_settings
from tests.disk import READ_ONLY_WARNING, read_only_view
from tests.factories import insert_candidate, real_papers
from tests.feedbuild import build_rss, load_records
from tests.printed import printed_command

FULL = Path("/dev/full")
pytestmark = pytest.mark.skipif(not FULL.exists(), reason="needs /dev/full (Linux)")
RELEVANT = ["2506.04706", "2504.11695", "2505.14071"]


def prepared(data_dir: Path) -> Settings:
    """A data folder with the bundled list imported and one real candidate pending."""
    settings = make_settings(data_dir)
    database = open_service_database(settings)
    try:
        paper = real_papers()[0]
        # An abstract longer than a page: approving it stores it in the list's paper row, on overflow pages, so the
        # decision needs new pages whatever room the pages already there have left.
        insert_candidate(database, paper, abstract=" ".join([str(paper["abstract"])] * 12))
        with database.engine.connect() as connection:
            connection.exec_driver_sql("VACUUM")  # no free pages left: any new row needs the disk to grow
    finally:
        database.dispose()
    return settings


def contents(database_file: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, sorted: what 'the database is exactly as it was' means."""
    connection = sqlite3.connect(f"file:{database_file}?mode=ro", uri=True)
    try:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: sorted(connection.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}
    finally:
        connection.close()


@contextmanager
def full_database() -> Iterator[None]:
    """Every SQLite connection opened meanwhile may not grow its file by one page."""

    def cap(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        pages = cursor.execute("PRAGMA page_count").fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {max(pages, 1)}")
        cursor.close()

    event.listen(Engine, "connect", cap)
    try:
        yield
    finally:
        event.remove(Engine, "connect", cap)


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_export_to_a_full_disk_is_one_line_and_the_device_is_not_replaced(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "export.md"
    target.symlink_to(FULL)
    assert main(["--data-dir", str(data_dir), "list", "export", "-o", str(target)]) == 1
    assert "No space left on device" in one_line_error(capsys)
    assert target.is_symlink() and target.resolve() == FULL


def test_export_through_a_symlink_writes_the_file_it_names(data_dir: Path, tmp_path: Path) -> None:
    real = tmp_path / "repo" / "README.md"
    real.parent.mkdir()
    real.write_text("old\n", encoding="utf-8")
    link = tmp_path / "list-link.md"
    link.symlink_to(real)
    assert main(["--data-dir", str(data_dir), "list", "export", "-o", str(link)]) == 0
    assert link.is_symlink() and real.read_text(encoding="utf-8").startswith("# ")


def test_weekly_markdown_on_a_full_disk_is_one_line_and_records_nothing(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = prepared(data_dir)
    settings.weekly_dir.mkdir(parents=True, exist_ok=True)
    (settings.weekly_dir / "2026-W48.md").symlink_to(FULL)
    before = contents(settings.data_dir / "digest.sqlite3")
    assert main(["--data-dir", str(data_dir), "weekly", "--week", "2026-W48", "--format", "md"]) == 1
    assert "No space left on device" in one_line_error(capsys)
    assert contents(settings.data_dir / "digest.sqlite3") == before


def test_import_of_an_edited_list_into_a_full_database_changes_nothing(
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = prepared(data_dir)
    database_file = settings.data_dir / "digest.sqlite3"
    before, markdown = contents(database_file), settings.list_markdown_path.read_bytes()
    # An edit a maintainer makes: real papers added at the top of the first section, in the list's own style.
    text = markdown.decode("utf-8")
    first = text.index("\n+ [")
    added = "".join(
        f"\n+ [{r['title']}](https://arxiv.org/abs/{r['arxiv_id']}) (Nov. 23, 2026)\n"
        f"  [![arXiv](https://img.shields.io/badge/arXiv-b31b1b.svg)](https://arxiv.org/abs/{r['arxiv_id']})\n"
        for r in load_records("weekly_papers.jsonl") + real_papers()
    )
    edited = tmp_path / "edited.md"
    edited.write_text(text[:first] + added + text[first:], encoding="utf-8")
    with full_database():
        assert main(["--data-dir", str(data_dir), "list", "import", str(edited)]) == 1
    line = one_line_error(capsys)
    assert "database or disk is full" in line and "nothing was changed" in line
    assert contents(database_file) == before
    assert settings.list_markdown_path.read_bytes() == markdown


def test_a_poll_into_a_full_database_stores_nothing(
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = prepared(data_dir)
    by_id = {record["arxiv_id"]: record for record in load_records()}
    source = tmp_path / "cs.CV.xml"
    source.write_bytes(build_rss("cs.CV", [by_id[i] for i in RELEVANT], date(2026, 4, 27)))
    before = contents(settings.data_dir / "digest.sqlite3")
    with full_database():
        status = main(["--data-dir", str(data_dir), "poll", "--source", str(source)])
    captured = capsys.readouterr()
    assert status == 1, captured
    assert "Traceback" not in captured.err and "[SQL:" not in captured.out + captured.err
    report = captured.out.splitlines()[0]
    # The disk has room: what is full is the database's size limit, and the line does not call the disk full.
    assert report.startswith(f"{source}: error (cannot store the results: database or disk is full ("), report
    assert "max_page_count" in report and "has no room" not in report, report
    after = contents(settings.data_dir / "digest.sqlite3")
    assert after["candidates"] == before["candidates"]  # nothing half-stored
    # What may fit in a page already there: the failed run, and the source marked for a full fetch next time.
    assert [row[4] for row in after["feed_state"]] == ["error"] and after["feed_state"][0][1:3] == (None, None)


def test_a_decision_into_a_full_database_changes_nothing(data_dir: Path) -> None:
    settings = prepared(data_dir)
    database_file = settings.data_dir / "digest.sqlite3"
    before, markdown = contents(database_file), settings.list_markdown_path.read_bytes()
    database = open_service_database(settings)
    try:
        reviewer = Reviewer(database, settings)
        database.engine.dispose()  # the next connection is opened on the full disk
        with full_database(), pytest.raises(OperationalError, match="database or disk is full"):
            reviewer.decide(1, "approve", Actor("ann", None, "cli"))
    finally:
        database.dispose()
    assert contents(database_file) == before
    assert settings.list_markdown_path.read_bytes() == markdown


def test_approve_on_the_command_line_into_a_full_database_is_one_line(
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = prepared(data_dir)
    before = contents(settings.data_dir / "digest.sqlite3")
    with full_database():
        assert main(["--data-dir", str(data_dir), "approve", "1"]) == 1
    assert "database or disk is full" in one_line_error(capsys)
    assert contents(settings.data_dir / "digest.sqlite3") == before


def test_approve_into_a_read_only_database_is_one_line(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = prepared(data_dir)
    database_file = settings.data_dir / "digest.sqlite3"
    before = contents(database_file)
    monkeypatch.setenv("DIGEST_DATABASE_URL", f"sqlite:///file:{database_file}?mode=ro&uri=true")
    assert main(["--data-dir", str(data_dir), "approve", "1"]) == 1
    assert "readonly" in one_line_error(capsys).replace("read-only", "readonly").replace(" ", "")
    assert contents(database_file) == before


def test_a_decision_whose_markdown_cannot_be_written_is_kept_and_written_later(
    data_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list's file could not be written (a full disk): the decision is kept, and the line said to write it now by
    the bare `digest list export -o PATH`, which run from a maintainer's shell elsewhere read ./data there. It names
    the service's own invocation, which run as printed from another folder writes the list from its database."""
    settings = prepared(data_dir)
    settings.list_markdown_path.unlink()
    settings.list_markdown_path.symlink_to(FULL)
    database = open_service_database(settings)
    try:
        outcome = Reviewer(database, settings).decide(1, "approve", Actor("ann", None, "cli"))
        assert outcome.changed and outcome.status == "approved"
        said = [r.getMessage() for r in caplog.records if "No space left on device" in r.getMessage()]
        assert said and "the decision is kept" in said[0], said
        export = printed_command(said[0], "list export -o")
        assert settings.list_markdown_path.is_symlink()
        settings.list_markdown_path.unlink()  # the disk has room again: the export the message names brings it back
    finally:
        database.dispose()
    path = str(settings.list_markdown_path)
    assert export == ["digest", "--data-dir", str(data_dir), "list", "export", "-o", path], export
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(export[1:]) == 0
    assert real_papers()[0]["title"] in settings.list_markdown_path.read_text(encoding="utf-8")
    assert not (elsewhere / "data").exists()


def test_a_read_only_data_folder_is_named_as_the_reason(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """SQLite writes its journal beside the database even to read it: a read-only folder stopped every command with
    "unable to open database file" and nothing said why. A command that changes something says why it cannot; one
    that only reads reads the database as it stands, and says why it is read-only (not "free space": the disk is not
    full). The one that changes something says it as any other data folder problem, exit 2, naming the folder."""
    prepared(data_dir)
    with read_only_view(data_dir, tmp_path / "read-only") as view:
        assert main(["--data-dir", str(view), "reject", "1"]) == 2
        line = one_line_error(capsys)
        assert main(["--data-dir", str(view), "candidates"]) == 0
        read = capsys.readouterr()
    assert line.startswith(
        f"digest: configuration: the data folder {view} cannot be used: it is on a read-only file system; remount it "
        "read-write"
    ), line
    assert "pending" in read.out
    warning = read.err.strip()
    assert warning.count("\n") == 0 and READ_ONLY_WARNING.match(warning), warning
    assert f"{view} is read-only" in warning and "make the folder writable" in warning and "free space" not in warning


def test_a_weekly_dry_run_reads_a_read_only_data_folder_with_one_warning(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest weekly --dry-run` ("print the result; write and send nothing") on a data folder it may not write (a
    read-only mount, a backup looked at) stopped with "cannot open the database", where `digest candidates` reads on
    with one warning. Now it prints the week's digest from the database as it stands, with that one warning."""
    prepared(data_dir)
    capsys.readouterr()
    with read_only_view(data_dir, tmp_path / "read-only") as view:
        status = main(["--data-dir", str(view), "weekly", "--edition", "readers", "--dry-run", "--format", "md"])
        out, err = capsys.readouterr()
    assert status == 0, err
    assert out.startswith("#") and "Traceback" not in err
    assert err.count("\n") == 1 and READ_ONLY_WARNING.match(err), err
