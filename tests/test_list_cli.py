"""`digest list import|export|lint` as a user runs them: exit codes, output, files, JSON."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from digest.awesome.limits import MAX_LIST_BYTES
from digest.cli import main
from digest.resources import seed_list_path
from tests.list_edits import DAY_FIRST, repeated_probing
from tests.postgres_server import each_database, on_each_database, postgres_server, postgres_url  # noqa: F401  (fixtures)
from tests.processes import Spawned

SEED = seed_list_path().read_bytes()
ROOT = Path(__file__).resolve().parent.parent


def run(data_dir: Path, *args: str) -> int:
    return main(["--data-dir", str(data_dir), "list", *args])


def test_export_to_stdout_and_file_is_the_seed(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(data_dir, "export") == 0
    assert capsys.readouterr().out.encode("utf-8") == SEED
    assert run(data_dir, "export", "-o", str(tmp_path / "out.md"), "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert (tmp_path / "out.md").read_bytes() == SEED and summary["bytes"] == len(SEED)


def test_export_over_a_file_keeps_its_permissions(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest list export -o` over a file kept private (chmod 600) or shared with a group (640) gave the new list the
    permissions of a new file (644 under the usual umask): a private file became readable by every user. The list
    still replaces the file whole, and keeps the mode it had; the help says a hard link keeps the old list."""
    for mode in (0o600, 0o640, 0o664):
        target = tmp_path / f"list-{mode:o}.md"
        target.write_text("old\n", encoding="utf-8")
        target.chmod(mode)
        assert run(data_dir, "export", "-o", str(target)) == 0
        assert target.read_bytes() == SEED
        assert stat.S_IMODE(target.stat().st_mode) == mode, f"{mode:o} became {target.stat().st_mode:o}"
    # The data folder's own list.md, kept from other users with an edit by hand: it and the copy of the edit stay so.
    own = data_dir / "list.md"
    assert run(data_dir, "export", "-o", str(own)) == 0
    own.write_bytes(SEED + b"an edit by hand\n")
    own.chmod(0o640)
    assert run(data_dir, "export", "-o", str(own)) == 0
    assert own.read_bytes() == SEED and stat.S_IMODE(own.stat().st_mode) == 0o640
    assert stat.S_IMODE((data_dir / "list.md.edited.1").stat().st_mode) == 0o640
    capsys.readouterr()
    with pytest.raises(SystemExit):
        run(data_dir, "export", "--help")
    assert "a hard link to it keeps the old list" in " ".join(capsys.readouterr().out.split())


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root gives a file to another user")
def test_export_as_root_over_a_users_file_keeps_its_owner(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Run as root (`sudo digest list export -o`, a root cron job), a replace gave a user's file to root: the list
    kept its mode, 600, and its user could no longer read it. The new file keeps the owner and group, and so does the
    copy of a hand edit the data folder's list.md keeps."""
    user, group = 4321, 4322  # no account needed: ownership is numbers
    target = tmp_path / "list.md"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o600)
    os.chown(target, user, group)
    assert run(data_dir, "export", "-o", str(target)) == 0
    assert target.read_bytes() == SEED
    assert (target.stat().st_uid, target.stat().st_gid, stat.S_IMODE(target.stat().st_mode)) == (user, group, 0o600)
    own = data_dir / "list.md"
    assert run(data_dir, "export", "-o", str(own)) == 0
    own.write_bytes(SEED + b"an edit by hand\n")
    os.chown(own, user, group)
    assert run(data_dir, "export", "-o", str(own)) == 0
    for path in (own, data_dir / "list.md.edited.1"):
        assert (path.stat().st_uid, path.stat().st_gid) == (user, group), path
    capsys.readouterr()


def test_import_reports_unchanged_then_the_edits(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_copy = tmp_path / "list.md"
    seed_copy.write_bytes(SEED)
    assert run(data_dir, "import", str(seed_copy)) == 0
    assert "unchanged (72 entries in 12 sections)" in capsys.readouterr().out
    removed_line = b"+ **SAE-V** [SAE-V: Interpreting Multimodal Models for Enhanced Alignment]"
    start = SEED.index(removed_line)
    edited = SEED[:start] + SEED[SEED.index(b"+ **SAE 4 Scientifically", start) :]
    seed_copy.write_bytes(edited)
    assert run(data_dir, "import", str(seed_copy), "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["changed"] and report["entries_total"] == 71 and report["added"] == []
    assert [(r["section"], r["title"]) for r in report["removed"]] == [
        ("Sparse Autoencoder", "SAE-V: Interpreting Multimodal Models for Enhanced Alignment")
    ]
    assert (data_dir / "list.md").read_bytes() == edited  # the service's copy follows
    assert run(data_dir, "export") == 0
    assert capsys.readouterr().out.encode("utf-8") == edited


def test_lint_exits_1_on_the_seed_with_line_numbers(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(data_dir, "lint", "--json") == 1
    report = json.loads(capsys.readouterr().out)
    codes = {(f["code"], f["line"]) for f in report["findings"]}
    assert ("arxiv-id-conflict", 92) in codes and ("badge-mismatch", 87) in codes
    assert report["source"] == "database" and report["errors"] == 8
    assert report["path"] == str(data_dir / "list.md")


def test_lint_of_the_database_names_the_list_file_whose_lines_it_gives(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest list lint` without a file labelled each finding `database:92:`, no file a maintainer can open, though
    the lines were those of data/list.md. Expected: the list file's path as the settings give it, at that line the
    entry the finding is about, and the counts under the same name."""
    assert run(data_dir, "lint") == 1
    lines = capsys.readouterr().out.splitlines()
    listing = data_dir / "list.md"
    conflict = next(line for line in lines if line.endswith("[arxiv-id-conflict]"))
    assert conflict.startswith(f"{listing}:92: error: "), conflict
    assert "arxiv.org/abs/" in listing.read_text(encoding="utf-8").splitlines()[91]
    assert lines[-1].startswith(f"{listing}: 8 errors"), lines[-1]
    assert not any(line.startswith("database") for line in lines), lines


def test_lint_of_a_clean_file_exits_0(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = tmp_path / "clean.md"
    clean.write_text("## Papers\n+ **A** [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n")
    assert run(data_dir, "lint", str(clean)) == 0
    assert capsys.readouterr().out.strip().endswith("0 errors, 0 warnings")


def test_lint_names_a_bad_link_after_the_title_on_an_entrys_own_line(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A code link or badge written after the title on the entry's line was never checked (only its title link and
    arXiv badge were), where the same link on the line under it was: 'javascript:' went out in a clean lint."""
    listed = tmp_path / "list.md"
    listed.write_text(
        "## Papers\n"
        "+ [Alpha paper](https://arxiv.org/abs/2401.00001) [Code](javascript:alert(1)) (Jan. 5, 2024)\n\n"
        "+ [![Hub](https://img.shields.io/hub.svg)](javascript:alert(2)) [Beta paper](https://arxiv.org/abs/2401.00002)"
        " (Jan. 4, 2024)\n\n"
        "+ [Gamma paper](https://arxiv.org/abs/2401.00003) [Code](./gamma) (Jan. 3, 2024)\n"
    )
    assert run(data_dir, "lint", str(listed)) == 1
    out = capsys.readouterr().out.splitlines()
    assert [line.split(": ", 2)[0] for line in out[:-1]] == [f"{listed}:2", f"{listed}:4"]
    assert "'javascript:alert(1)'" in out[0] and "'javascript:alert(2)'" in out[1]  # a relative link stays fine
    assert out[-1] == f"{listed}: 2 errors, 0 warnings"


def test_lint_finds_a_paper_listed_twice_whose_one_entry_names_it_by_its_badge_or_in_its_text(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A paper listed twice, once under its venue's page with its arXiv badge (or 'arXiv:ID' beside the link) and once
    under its arXiv, pdf or Hugging Face page with another title: lint compared the title links' arXiv IDs alone, and
    said nothing, though the import reads both entries as the one paper."""
    listed = tmp_path / "list.md"
    listed.write_text(
        "## Papers\n"
        "+ [Sparse Probing of VLMs](https://openreview.net/forum?id=abc) (Jan. 5, 2024)\n"
        "  [![arXiv](https://img.shields.io/badge/arXiv-b31b1b.svg)](https://arxiv.org/pdf/2401.00001v1)\n\n"
        "+ [Sparse probing of vision-language models](https://arxiv.org/abs/2401.00001v2) (Jan. 4, 2024)\n\n"
        "+ [Gamma paper](https://openreview.net/forum?id=g) arXiv:2401.00003 (Jan. 3, 2024)\n\n"
        "+ [Gamma: the extended version](https://huggingface.co/papers/2401.00003) (Jan. 2, 2024)\n"
    )
    assert run(data_dir, "lint", str(listed)) == 1
    out = capsys.readouterr().out.splitlines()
    step = "; link this entry's own arXiv page, or delete it if it is the same paper"
    assert out == [
        f"{listed}:5: error: arXiv 2401.00001 is linked from 'Sparse probing of vision-language models' and from"
        f" 'Sparse Probing of VLMs' (line 2){step} [arxiv-id-conflict]",
        f"{listed}:9: error: arXiv 2401.00003 is linked from 'Gamma: the extended version' and from 'Gamma paper'"
        f" (line 7){step} [arxiv-id-conflict]",
        f"{listed}: 2 errors, 0 warnings",
    ]


def test_lint_reads_dates_written_day_first(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A list dating its entries day first, as most of the world writes dates ('(5 Jan 2024)', '(12 March 2024)'): lint
    warned of every entry that its date 'is not a calendar day', and could not see one out of order."""
    listed = tmp_path / "list.md"
    listed.write_text(DAY_FIRST, encoding="utf-8")
    assert run(data_dir, "lint", str(listed)) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{listed}:4: warning: 20 Feb. 2024 is newer than 5 Jan 2024 above it (line 3); Papers is newest first:"
        " move this entry above line 3 [date-order]",
        f"{listed}: 0 errors, 1 warning",
    ]


def test_lint_takes_a_venue_or_a_note_in_parentheses_after_the_title_for_no_date(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Entries ending in their venue or a note ('(ICLR 2024)', '(oral)'), as many lists write them: lint warned of each
    that its date 'ICLR 2024' 'is not a calendar day', a date it never was. A list of such entries writes no dates, and
    among dated entries such an entry is one without a date."""
    listed = tmp_path / "list.md"
    venues = (
        "## Papers\n"
        "+ [Alpha paper](https://arxiv.org/abs/2401.00001) (ICLR 2024)\n"
        "+ [Beta paper](https://arxiv.org/abs/2301.00002) (NeurIPS 2023)\n"
        "+ [Gamma paper](https://arxiv.org/abs/2201.00003) (oral)\n"
    )
    listed.write_text(venues)
    assert run(data_dir, "lint", str(listed)) == 0
    assert capsys.readouterr().out.splitlines() == [f"{listed}: 0 errors, 0 warnings"]
    listed.write_text(venues.replace("(NeurIPS 2023)", "(Jan. 4, 2023)").replace("(oral)", "(Feb. 30, 2022)"))
    assert run(data_dir, "lint", str(listed)) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{listed}:2: warning: entry has no date in parentheses after the title [no-date]",
        f"{listed}:4: warning: date 'Feb. 30, 2022' is not a calendar day written like 'Apr. 4, 2025' or '2025-04-04'"
        " [bad-date]",
        f"{listed}: 0 errors, 2 warnings",
    ]


def test_lint_of_the_list_saved_with_a_byte_order_mark_names_the_same_lines(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The seed list saved by a Windows editor, with a byte order mark: lint's mojibake finding counted 17 lines and
    named line 18, the mark hiding the mojibake of the title on line 1."""
    plain, marked = tmp_path / "plain.md", tmp_path / "marked.md"
    plain.write_bytes(SEED)
    marked.write_bytes("\ufeff".encode() + SEED)
    assert run(data_dir, "lint", str(plain)) == 1
    expected = capsys.readouterr().out.replace(str(plain), str(marked))
    assert run(data_dir, "lint", str(marked)) == 1
    out = capsys.readouterr().out
    assert out == expected and f"{marked}:1: warning: 18 lines hold emoji saved as UTF-8 read as Mac Roman" in out


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8"),
        (b"# Read me\n\nNothing to see.\n", "not an awesome list"),
        (b"## P\n+ **A** Alpha paper, link lost (Jan. 5, 2024)\n", "bad.md:2: entry has no [Title](url) link"),
        (b" " * (10 * 1024 * 1024), "over the 5 MiB limit"),
    ],
    ids=["binary", "not-a-list", "no-link", "10MB"],
)
def test_bad_import_is_one_line_exit_1_and_nothing_changes(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, expected: str
) -> None:
    bad = tmp_path / "bad.md"
    bad.write_bytes(content)
    assert run(data_dir, "import", str(bad)) == 1
    captured = capsys.readouterr()
    assert expected in captured.err and captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert run(data_dir, "export") == 0
    assert capsys.readouterr().out.encode("utf-8") == SEED


def test_missing_file_and_usage_errors(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(data_dir, "import", str(tmp_path / "nope.md")) == 1
    assert "cannot read" in capsys.readouterr().err
    with pytest.raises(SystemExit) as caught:
        run(data_dir, "import")
    assert caught.value.code == 2


def test_subprocess_export_and_lint(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    python = ROOT / ".venv" / "bin" / "python"
    command = [str(python if python.exists() else sys.executable), "-m", "digest", "--data-dir", str(tmp_path / "d")]
    out = tmp_path / "exported.md"
    done = subprocess.run([*command, "list", "export", "-o", str(out)], cwd=tmp_path, env=env, capture_output=True)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == SEED
    lint = subprocess.run([*command, "list", "lint", str(out)], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert lint.returncode == 1 and f"{out}:92: error:" in lint.stdout and "Traceback" not in lint.stderr


def test_export_to_dev_stdout_into_a_pipe_writes_the_list(tmp_path: Path) -> None:
    """`digest list export -o /dev/stdout | gzip > list.md.gz` in a backup script: /dev/stdout was followed to the
    pipe's name ("/proc/<pid>/fd/pipe:[…]"), which is no file, and the export failed with "cannot write: No such file
    or directory"; and "wrote /dev/stdout" followed the list in the pipe."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    python = ROOT / ".venv" / "bin" / "python"
    command = [str(python if python.exists() else sys.executable), "-m", "digest", "--data-dir", str(tmp_path / "d")]
    done = subprocess.run([*command, "list", "export", "-o", "/dev/stdout"], cwd=tmp_path, env=env, capture_output=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == SEED  # the list alone: what was written is said on standard error
    assert done.stderr.decode().startswith("wrote /dev/stdout")


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path: Path, spawned: Spawned) -> None:
    """`digest list export | head -1`: the pipe closes early; the command printed "digest: Broken pipe". It now ends
    as a command killed by the broken pipe does (128 + SIGPIPE), saying nothing."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    python = ROOT / ".venv" / "bin" / "python"
    command = [str(python if python.exists() else sys.executable), "-m", "digest", "--data-dir", str(tmp_path / "d")]
    assert subprocess.run([*command, "list", "export", "-o", str(tmp_path / "seeds.md")], env=env).returncode == 0
    reader_gone = spawned.add(
        subprocess.Popen(
            [*command, "list", "export"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
    )
    assert reader_gone.stdout is not None and reader_gone.stderr is not None
    reader_gone.stdout.close()
    with reader_gone.stderr:
        err = reader_gone.stderr.read().decode()
    assert reader_gone.wait(timeout=60) == 141 and err == ""


def test_a_nul_character_in_the_list_file_is_one_line_naming_its_line_and_nothing_changes(
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    on_each_database: dict[str, str],  # noqa: F811
) -> None:
    """A NUL in a hand-edited list (a bad paste, an editor's mishap): PostgreSQL cannot hold it, and refused the whole
    import as "the database could not be written or read: PostgreSQL text fields cannot contain NUL (0x00) bytes"
    without saying where; SQLite kept it in the list."""
    assert run(data_dir, "export") == 0
    before = capsys.readouterr().out.encode("utf-8")
    assert before == SEED
    lines = SEED.split(b"\n")
    line = next(n for n, text in enumerate(lines, 1) if b"(Mar. 18, 2025)" in text)
    bad = tmp_path / "edited.md"
    bad.write_bytes(SEED.replace(b"(Mar. 18, 2025)", b"(Mar. 18,\x00 2025)", 1))
    assert run(data_dir, "import", str(bad)) == 1
    err = capsys.readouterr().err
    assert f"edited.md:{line}: " in err and "NUL" in err and err.count("\n") == 1, err
    assert run(data_dir, "export") == 0
    assert capsys.readouterr().out.encode("utf-8") == SEED


def test_headings_within_the_length_limit_import_alike_on_either_database(
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    on_each_database: dict[str, str],  # noqa: F811
) -> None:
    """A heading of 200 characters or fewer imports, but its section's slug could be longer: a heading repeated in
    each year's block gets '-2', a Hangul one is keyed by its letters (80 syllables, 240 letters). PostgreSQL refused
    the import ('value too long for type character varying(200)') where SQLite kept the list."""
    assert run(data_dir, "export", "-o", str(tmp_path / "before.md")) == 0
    long_name = "Probing " + "and more probing " * 11 + "x" * 5  # 200 characters
    assert len(long_name) == 200
    text = repeated_probing(SEED.decode("utf-8"), long_name, "한" * 80)  # a block headed in Hangul
    edited = tmp_path / "edited.md"
    edited.write_text(text, encoding="utf-8")
    capsys.readouterr()
    assert run(data_dir, "import", str(edited)) == 0, capsys.readouterr().err
    assert "in 13 sections: 7 added, 0 moved, 0 removed, 1 section renamed" in capsys.readouterr().out
    assert run(data_dir, "export") == 0
    assert capsys.readouterr().out == text


def test_export_over_the_database_or_the_secrets_is_refused_and_both_are_kept(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest list export -o data/d<Tab>` completes to the database: it was replaced by the Markdown ("wrote
    data/digest.sqlite3"), and every later command said "file is not a database"."""
    assert run(data_dir, "export", "-o", str(tmp_path / "backup.sqlite3")) == 0  # a new file: written
    database = data_dir / "digest.sqlite3"
    backup = tmp_path / "old-backup.sqlite3"
    backup.write_bytes(database.read_bytes())
    secrets = data_dir / "secrets.json"
    secrets.write_text('{"secret_key": "kept"}', encoding="utf-8")
    capsys.readouterr()
    for target in (database, backup, secrets):
        before = target.read_bytes()
        assert run(data_dir, "export", "-o", str(target)) == 1
        error = capsys.readouterr().err.strip()
        assert error.count("\n") == 0 and str(target) in error and "nothing was written" in error, error
        assert target.read_bytes() == before
    assert run(data_dir, "export") == 0
    assert capsys.readouterr().out.encode("utf-8") == SEED


def test_export_over_the_databases_write_ahead_log_is_refused_and_the_decisions_in_it_kept(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """While the service runs, its latest decisions are in data/digest.sqlite3-wal, a Tab away from the database
    itself; the WAL has no SQLite file header, so `digest list export -o data/digest.sqlite3-wal` replaced it with
    the Markdown and the decisions it held were gone. Now it is refused as the database is."""
    import sqlite3

    assert run(data_dir, "export") == 0  # the data folder and its database exist
    database = data_dir / "digest.sqlite3"
    service = sqlite3.connect(database)  # the running service: its commits wait in the WAL for a checkpoint
    try:
        service.execute("PRAGMA journal_mode=WAL")
        service.execute("PRAGMA wal_autocheckpoint=0")
        service.execute("CREATE TABLE decided_meanwhile (id INTEGER)")
        service.execute("INSERT INTO decided_meanwhile VALUES (7)")
        service.commit()
        capsys.readouterr()
        for suffix in ("-wal", "-shm"):
            target = database.with_name(database.name + suffix)
            before = target.read_bytes()
            assert run(data_dir, "export", "-o", str(target)) == 1
            error = capsys.readouterr().err.strip()
            assert str(target) in error and "nothing was written" in error, error
            assert target.read_bytes() == before
    finally:
        service.close()
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT id FROM decided_meanwhile").fetchall() == [(7,)]


def test_a_heading_holding_terminal_escapes_is_printed_without_them(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A heading or title in the list's file (a contributor's pull request merged upstream, brought back by publishing)
    holding terminal escapes went raw to the maintainer's terminal in every line `list import` and `list lint` print
    about it: one retitled the terminal window, another coloured or hid the rest of the output, and a carriage return
    wrote over the line. Those characters are blanked in what is printed; the file keeps its bytes. (The carriage
    return ends the heading's line, as in CommonMark: what follows it is a line of text under the heading.)"""
    hostile = " \x1b]0;pwned\x07\x1b[8m\rfake line \u202e"
    heading = next(line for line in SEED.splitlines(keepends=True) if line.startswith(b"### ") and b"Probing\n" in line)
    edited = tmp_path / "list.md"
    edited.write_bytes(SEED.replace(heading, heading.rstrip(b"\n") + hostile.encode("utf-8") + b"\n", 1))
    assert run(data_dir, "import", str(edited)) == 0
    imported = capsys.readouterr().out
    assert run(data_dir, "lint") == 1
    linted = capsys.readouterr().out
    for out in (imported, linted):
        assert "Probing" in out and not {"\x1b", "\x07", "\r", "\u202e"} & set(out), out
    assert "moved" in imported
    assert hostile.encode("utf-8") in (data_dir / "list.md").read_bytes()


def test_a_heading_keeps_a_hash_that_ends_its_name_as_commonmark_reads_it(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A closing sequence of '#'s ends a heading only after a space: '## C# ##' is 'C#', '## Papers#' is 'Papers#'
    (the sections were 'C' and 'Papers', so approvals and reports named a section the list does not show)."""
    edited = tmp_path / "list.md"
    added = (
        "\n## C# ##\n\n+ [Sharp paper](https://arxiv.org/abs/2501.00001) (Jan. 5, 2025)\n"
        "\n## Papers#\n\n+ [Hash paper](https://arxiv.org/abs/2501.00002) (Jan. 5, 2025)\n"
        "\n## Closed ##   \n\n+ [Closed paper](https://arxiv.org/abs/2501.00003) (Jan. 5, 2025)\n"
    )
    edited.write_bytes(SEED + added.encode("utf-8"))
    assert run(data_dir, "import", str(edited), "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert [(item["section"], item["title"]) for item in report["added"]] == [
        ("C#", "Sharp paper"),  # was: 'C'
        ("Papers#", "Hash paper"),  # was: 'Papers'
        ("Closed", "Closed paper"),
    ]
    assert run(data_dir, "export") == 0
    assert capsys.readouterr().out.encode("utf-8") == SEED + added.encode("utf-8")


def test_a_list_given_as_dash_is_read_from_standard_input(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`digest list lint -` and `digest list import -` said "-: cannot read: No such file or directory", where `score -`
    and `decisions import -` read standard input and `list export -o -` writes standard output; '-' is now standard
    input here too, named <stdin> in what is printed, and a list over the size limit is still refused."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(SEED)))
    assert run(data_dir, "lint", "-") == 1  # the seed as shipped has errors: what lint of the file says
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("<stdin>: ") and last.endswith(" warnings") and " errors, " in last, last
    edited = SEED.replace(b"\n+ [", b"\n+ [Renamed ", 1)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(edited)))
    assert run(data_dir, "import", "-") == 0
    assert capsys.readouterr().out.startswith("<stdin>: imported 72 entries"), capsys.readouterr()
    assert run(data_dir, "export") == 0
    assert capsys.readouterr().out.encode("utf-8") == edited
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"x" * (MAX_LIST_BYTES + 1))))
    assert run(data_dir, "import", "-") == 1
    assert capsys.readouterr().err == "digest: <stdin>: over the 5 MiB limit for a list file\n"
