"""`digest database copy --from FILE`: a deployment moves from its SQLite file to another database (PostgreSQL, or a
new SQLite file) with its candidates, decisions and audit log, and what maintainers see is the same afterwards."""

from __future__ import annotations

import contextlib
import io
import json
import re
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select

from digest.cli import main
from digest.service.wiring import open_service_database
from digest.storage.models import Candidate, Decision
from tests.conftest import make_settings
from tests.database_moving import ANN, old_deployment, seen, target_url  # noqa: F401  (target_url: a fixture)
from tests.factories import insert_candidate, real_papers
from tests.postgres_server import postgres_server, postgres_url  # noqa: F401  (fixtures)


def test_everything_moves_and_the_new_database_carries_on(
    tmp_path: Path,
    target_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    old_file = old_deployment(tmp_path / "old")
    before = {
        what: seen(capsys, tmp_path / "old", *what.split())
        for what in (
            "candidates --json",
            "candidates --status approved --json",
            "candidates --status rejected --json",
            "history --json",
            "list export",
        )
    }
    monkeypatch.setenv("DIGEST_DATABASE_URL", target_url)
    new = tmp_path / "new"
    report = seen(capsys, new, "database", "copy", "--from", str(old_file), "--json")
    copied = json.loads(report)["copied"]
    assert copied["candidates"] == 4 and copied["decisions"] == 4 and copied["entries"] > 70
    # The same list, queue and audit log, read through the new database (not seeded again over the copy).
    for what, text in before.items():
        assert seen(capsys, new, *what.split()) == text, what
    # Work goes on: a new candidate and a new decision get ids of their own, after the copied ones.
    settings = make_settings(new, environ={"DIGEST_DATABASE_URL": target_url})
    database = open_service_database(settings)
    try:
        added = insert_candidate(database, real_papers()[4])
        assert added == 5
    finally:
        database.dispose()
    assert "approved" in seen(capsys, new, "approve", str(added), "--section", "Probing")
    history = json.loads(seen(capsys, new, "history", "--json"))
    assert len(history) == 5 and len({row["candidate_id"] for row in history}) == 4
    # The old file is left as it was.
    with sqlite3.connect(old_file) as old:
        assert old.execute("SELECT count(*) FROM decisions").fetchone() == (4,)


def test_a_deployment_on_postgresql_moves_back_to_a_sqlite_file(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The other way: a deployment that went to PostgreSQL and wants its file back (a smaller host, a backup one can
    copy). `--from` took only a file, and the database's URL was 'no such file'."""
    old_deployment(tmp_path / "old", postgres_url)
    monkeypatch.setenv("DIGEST_DATABASE_URL", postgres_url)
    commands = ("candidates --json", "candidates --status rejected --json", "history --json", "list export")
    before = {what: seen(capsys, tmp_path / "old", *what.split()) for what in commands}
    new_file = tmp_path / "new" / "digest.sqlite3"
    monkeypatch.setenv("DIGEST_DATABASE_URL", f"sqlite:///{new_file}")
    refused = service_running_on(tmp_path / "old", postgres_url, ["database", "copy", "--from", postgres_url])
    assert "stop it first" in refused and not new_file.exists()
    report = seen(capsys, tmp_path / "new", "database", "copy", "--from", postgres_url, "--json")
    assert json.loads(report)["copied"]["decisions"] == 4
    monkeypatch.delenv("DIGEST_DATABASE_URL")  # the new folder's own file, as a deployment on SQLite runs
    for what, text in before.items():
        assert seen(capsys, tmp_path / "new", *what.split()) == text, what
    assert "approved" in seen(capsys, tmp_path / "new", "approve", "4", "--section", "Probing")
    assert len(json.loads(seen(capsys, tmp_path / "new", "history", "--json"))) == 5


def service_running_on(folder: Path, database_url: str, arguments: list[str]) -> str:
    """The one line `digest <arguments>` (run from a new folder) answers while a service runs on `database_url`."""
    from digest.storage.datalock import lock_data_folder, lock_database

    settings = make_settings(folder, environ={"DIGEST_DATABASE_URL": database_url})
    database = open_service_database(settings)
    running = lock_data_folder(settings.data_dir)
    try:
        lock_database(running, database)  # as `digest run` holds it
        with contextlib.redirect_stderr(io.StringIO()) as error:
            assert main(["--data-dir", str(folder.parent / "new"), *arguments]) == 1
    finally:
        running.release()
        database.dispose()
    assert error.getvalue().strip().count("\n") == 0
    return error.getvalue()


def test_a_database_that_holds_data_is_refused_and_left_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    old_file = old_deployment(tmp_path / "old")
    target = tmp_path / "other" / "digest.sqlite3"
    old_deployment(tmp_path / "other")  # a database in use: its own list and decisions
    with sqlite3.connect(target) as other:
        kept = other.execute("SELECT count(*) FROM decisions").fetchone()
    monkeypatch.setenv("DIGEST_DATABASE_URL", f"sqlite:///{target}")
    capsys.readouterr()
    assert main(["--data-dir", str(tmp_path / "new"), "database", "copy", "--from", str(old_file)]) == 1
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "already holds data" in error and "empty database" in error
    with sqlite3.connect(target) as other:
        assert other.execute("SELECT count(*) FROM decisions").fetchone() == kept


def test_a_row_the_target_cannot_hold_copies_nothing(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """SQLite does not enforce a column's length; PostgreSQL does. The failure names it, and nothing is written."""
    old_file = old_deployment(tmp_path / "old")
    with sqlite3.connect(old_file) as old:
        old.execute("UPDATE decisions SET channel = ? WHERE id = 4", ("x" * 40,))
    monkeypatch.setenv("DIGEST_DATABASE_URL", postgres_url)
    capsys.readouterr()
    assert main(["--data-dir", str(tmp_path / "new"), "database", "copy", "--from", str(old_file)]) == 1
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "left as it was" in error and "too long" in error
    assert "at decisions (rows 1-4)" in error  # where to look
    settings = make_settings(tmp_path / "new", environ={"DIGEST_DATABASE_URL": postgres_url})
    database = open_service_database(settings)  # empty, so seeded now: no copied candidate or decision is there
    try:
        with database.reading() as session:
            assert session.scalar(select(func.count()).select_from(Decision)) == 0
    finally:
        database.dispose()


def test_a_nul_character_an_older_release_stored_is_copied_as_a_space_and_said(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """SQLite keeps a NUL character in text (an abstract polled before the service blanked them); PostgreSQL refuses
    it. The copy failed with 'the copy failed at candidates (rows 1-1000) ...: PostgreSQL text fields cannot contain
    NUL (0x00) bytes', and SQLite's string functions stop at a NUL, so no UPDATE in the file could take it out."""
    old_file = old_deployment(tmp_path / "old")
    with sqlite3.connect(old_file) as old:
        old.execute("UPDATE candidates SET abstract = 'Sparse' || char(0) || 'autoencoders' WHERE id = 3")
    monkeypatch.setenv("DIGEST_DATABASE_URL", postgres_url)
    capsys.readouterr()
    assert main(["--data-dir", str(tmp_path / "new"), "database", "copy", "--from", str(old_file), "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["copied"]["candidates"] == 4
    # A warning of the command's log, as its others: with its time and level.
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d WARNING +digest\.cli\.database: candidates id 3: abstract held a NUL "
        r"character \(0x00\), which the target cannot store: copied as a space\n",
        captured.err,
    ), captured.err
    settings = make_settings(tmp_path / "new", environ={"DIGEST_DATABASE_URL": postgres_url})
    database = open_service_database(settings)
    try:
        with database.reading() as session:
            assert session.get(Candidate, 3).abstract == "Sparse autoencoders"  # type: ignore[union-attr]
    finally:
        database.dispose()


def test_the_configured_database_itself_or_a_missing_file_is_refused_in_one_line(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seen(capsys, data_dir, "candidates")  # the data folder's own database exists
    stranger = tmp_path / "another-program.db"
    with sqlite3.connect(stranger) as other:
        other.execute("CREATE TABLE notes (body TEXT)")
    refusals = (
        (data_dir / "digest.sqlite3", "is the configured database"),
        (tmp_path / "no.db", "no such"),
        (stranger, "is not a digest database"),
        (stranger, "Point --from at"),  # what named it, not the data folder the copy goes to
    )
    for source, words in refusals:
        assert main(["--data-dir", str(data_dir), "database", "copy", "--from", str(source)]) == 1
        error = capsys.readouterr().err.strip()
        assert error.count("\n") == 0 and words in error
    with sqlite3.connect(stranger) as other:  # nothing of ours was written into another program's file
        assert [row[0] for row in other.execute("SELECT name FROM sqlite_master")] == ["notes"]


def test_a_running_service_on_the_old_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Decisions made during the copy would stay behind in the old file: the service must be stopped first."""
    from digest.storage.datalock import lock_data_folder

    old_file = old_deployment(tmp_path / "old")
    monkeypatch.setenv("DIGEST_DATABASE_URL", f"sqlite:///{tmp_path / 'new.sqlite3'}")
    running = lock_data_folder(tmp_path / "old")  # as `digest run` holds it
    try:
        capsys.readouterr()
        assert main(["--data-dir", str(tmp_path / "new"), "database", "copy", "--from", str(old_file)]) == 1
    finally:
        running.release()
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "stop it first" in error
    assert not (tmp_path / "new.sqlite3").exists()


def test_a_backup_cut_short_is_said_to_be_damaged_not_another_programs_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A backup copied off a full disk, or a download cut off: SQLite reads none of it. The copy said the file "is not a
    digest database (it has no schema revision)", sending the maintainer looking for another file."""
    old_file = old_deployment(tmp_path / "old")
    backup = tmp_path / "backups" / "digest-2026-11-20.sqlite3"
    backup.parent.mkdir()
    backup.write_bytes(old_file.read_bytes()[: old_file.stat().st_size // 2])
    monkeypatch.setenv("DIGEST_DATABASE_URL", f"sqlite:///{tmp_path / 'new.sqlite3'}")
    capsys.readouterr()
    assert main(["--data-dir", str(tmp_path / "new"), "database", "copy", "--from", str(backup)]) == 1
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "not a digest database" not in error, error
    assert f"{backup} cannot be read" in error and "malformed" in error and "nothing was copied" in error
    assert not (tmp_path / "new.sqlite3").exists()


def test_a_file_that_is_no_database_is_refused_before_anything_is_changed(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--from data/list.md` (the wrong file of the old folder) was made owner-only (0644 to 0600, "readable by other
    users; owner-only now"), so the web server reading it got 403s, and a lock file was left in its folder; another
    program's SQLite file got the lock file beside it too. Run as root, `--from /etc/passwd` made that 0600."""
    seen(capsys, data_dir, "candidates")
    web = tmp_path / "www"
    web.mkdir()
    listed = web / "list.md"
    listed.write_bytes((data_dir / "list.md").read_bytes())
    listed.chmod(0o644)
    stranger = tmp_path / "other" / "another-program.db"
    stranger.parent.mkdir()
    with sqlite3.connect(stranger) as other:
        other.execute("CREATE TABLE notes (body TEXT)")
    stranger.chmod(0o644)
    for source, words in (
        (listed, f"{listed} is not a SQLite database file; nothing was copied"),
        (stranger, f"{stranger} is not a digest database"),
    ):
        capsys.readouterr()
        assert main(["--data-dir", str(data_dir), "database", "copy", "--from", str(source)]) == 1
        captured = capsys.readouterr()
        assert captured.err.strip().count("\n") == 0 and words in captured.err, captured.err
        assert "owner-only" not in captured.out + captured.err
        assert source.stat().st_mode & 0o777 == 0o644
        assert sorted(path.name for path in source.parent.iterdir()) == [source.name]


def test_the_report_keeps_its_counts_in_one_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The table of rows copied was laid out for names of 20 characters: `discord_held_reactions` and
    `discord_owed_messages` pushed their counts out of the column, and a table of one row read "1 rows". Every count
    now ends in the same column, and one row is "1 row"."""
    old_file = old_deployment(tmp_path / "old")
    papers = tmp_path / "papers.jsonl"
    papers.write_text(json.dumps({"arxiv_id": "2401.00001", "title": "A paper", "abstract": "Words."}) + "\n")
    seen(capsys, tmp_path / "old", "score", str(papers))  # stores the review threshold: relevance_state's one row
    lines = seen(capsys, tmp_path / "new", "database", "copy", "--from", str(old_file)).splitlines()
    rows = {line.split()[0]: line for line in lines[:-1]}
    assert "discord_held_reactions" in rows and rows["relevance_state"].endswith(" 1 row"), lines
    assert rows["discord_held_reactions"].endswith(" 0 rows"), lines
    ends = {len(line.removesuffix(" rows").removesuffix(" row")) for line in rows.values()}
    assert len(ends) == 1, lines  # each count's last digit in one column
    assert lines[-1].startswith("copied ") and lines[-1].endswith(
        f" rows in {len(rows)} tables; start the service on it"
    )


def test_a_copy_leaves_nothing_beside_the_backup_it_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest database copy --from backups/digest.sqlite3`, refused (the target holds data) or done, left a
    `service.lock` beside the backup: the lock that keeps a service off the folder during the copy stayed as litter."""
    old_file = old_deployment(tmp_path / "old")
    backup = tmp_path / "backups" / "digest-2026-11-20.sqlite3"
    backup.parent.mkdir()
    backup.write_bytes(old_file.read_bytes())
    old_deployment(tmp_path / "other")  # a database in use: the copy into it is refused
    monkeypatch.setenv("DIGEST_DATABASE_URL", f"sqlite:///{tmp_path / 'other' / 'digest.sqlite3'}")
    capsys.readouterr()
    assert main(["--data-dir", str(tmp_path / "new"), "database", "copy", "--from", str(backup)]) == 1
    assert "already holds data" in capsys.readouterr().err
    assert sorted(path.name for path in backup.parent.iterdir()) == [backup.name]
    monkeypatch.setenv("DIGEST_DATABASE_URL", f"sqlite:///{tmp_path / 'new.sqlite3'}")
    assert "copied " in seen(capsys, tmp_path / "new", "database", "copy", "--from", str(backup))
    assert sorted(path.name for path in backup.parent.iterdir()) == [backup.name]
    # A stopped service's folder keeps the lock file it had: only the one the copy made is taken away.
    (tmp_path / "old" / "service.lock").write_text("")
    monkeypatch.setenv("DIGEST_DATABASE_URL", f"sqlite:///{tmp_path / 'newer.sqlite3'}")
    assert "copied " in seen(capsys, tmp_path / "newer", "database", "copy", "--from", str(old_file))
    assert (tmp_path / "old" / "service.lock").exists()
