"""Running the service over years from the shell: a settings file with relative paths, a restored backup, a full disk.
Each through the command line, as an operator meets it."""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from digest.cli import main
from digest.config.invocation import digest_command
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
from digest.service.wiring import open_service_database
from tests.config_cmd import clean_environment as clean_environment  # the fixture, shared
from tests.conftest import fill_disk, make_settings, mounted_tmpfs
from tests.factories import insert_candidate, real_papers


# 4 ------------------------------------------------------------------------------------------------------------------
def test_relative_paths_in_the_config_file_are_read_from_its_folder_wherever_digest_runs(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`data_dir = "data"` in /srv/list/digest.toml: `digest --config /srv/list/digest.toml ...` run from the home
    folder made a new, empty data folder (and database) there, while the service had its own beside the config; a
    `digest approve` went into the wrong database. Now a relative path in the file is read from the file's folder."""
    site = clean_environment / "site"
    site.mkdir()
    config = site / "digest.toml"
    config.write_text('data_dir = "data"\n[weekly]\nout_dir = "digests"\n', encoding="utf-8")
    elsewhere = clean_environment / "home"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["--config", str(config), "candidates"]) == 0
    assert (site / "data" / "digest.sqlite3").is_file()
    assert not (elsewhere / "data").exists(), "a second data folder was made in the working folder"
    monkeypatch.chdir(site)
    capsys.readouterr()
    assert main(["--config", "digest.toml", "config", "show"]) == 0
    shown = capsys.readouterr().out
    assert str(site / "data") in shown and str(site / "digests") in shown, shown


@pytest.mark.parametrize("setting", ['data_dir = "data"', 'database_url = "sqlite:///data/list.sqlite3"'])
def test_an_upgrade_does_not_start_on_an_empty_data_folder_beside_the_config_file(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], setting: str
) -> None:
    """A service run from /srv/digest with `--config /etc/digest/digest.toml` and `data_dir = "data"` kept its data in
    /srv/digest/data (releases before this one read a relative path from the working folder). After the upgrade the
    same setting names /etc/digest/data: the service must not start there on a new, empty database (the list, the
    decisions and the readers would seem gone) but say in one line what to write."""
    etc, srv = clean_environment / "etc", clean_environment / "srv"
    etc.mkdir()
    srv.mkdir()
    config = etc / "digest.toml"
    config.write_text(setting + "\n", encoding="utf-8")
    monkeypatch.chdir(srv)
    (srv / "data").mkdir()
    (srv / "data" / "list.sqlite3").write_bytes(b"")  # the database in use, where the last release put it
    assert main(["--config", str(config), "candidates"]) == 2
    error = capsys.readouterr().err
    assert "read from the config file's folder" in error and str(srv / "data") in error, error
    assert "absolute path" in error
    assert not (etc / "data").exists(), "an empty data folder was made beside the config file"
    in_full = setting.replace('"data', f'"{srv}/data').replace("sqlite:///data", f"sqlite:///{srv}/data")
    config.write_text(in_full + "\n", encoding="utf-8")
    assert main(["--config", str(config), "config", "check"]) == 0


@pytest.mark.parametrize(
    ("table", "key", "folder"), [("weekly", "out_dir", "digests"), ("publish", "repository", "list.git")]
)
def test_an_upgrade_does_not_move_the_weekly_folder_or_the_local_repository_beside_the_config_file(
    clean_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    table: str,
    key: str,
    folder: str,
) -> None:
    """Run from /srv/digest with `--config /etc/digest/digest.toml`, the last release wrote the weekly digests into
    /srv/digest/digests (`[weekly] out_dir = "digests"`) and published to /srv/digest/list.git (`[publish] repository
    = "list.git"`). After the upgrade `config check` said OK while the same settings named /etc/digest/digests (a new,
    empty folder the digests silently went to) and /etc/digest/list.git (every publish then failed: 'does not appear
    to be a git repository'). Like the data folder, such a path is refused in one line that says to write it in full."""
    etc, srv = clean_environment / "etc", clean_environment / "srv"
    etc.mkdir()
    srv.mkdir()
    monkeypatch.chdir(srv)
    (srv / "data").mkdir()
    if key == "repository":
        subprocess.run(["git", "init", "-q", "--bare", str(srv / folder)], check=True)
    else:
        (srv / folder).mkdir()
    config = etc / "digest.toml"
    config.write_text(f'data_dir = "{srv}/data"\n[{table}]\n{key} = "{folder}"\n', encoding="utf-8")
    assert main(["--config", str(config), "config", "check"]) == 1
    out = capsys.readouterr()
    said = out.out + out.err
    assert f"{table}.{key}" in said and str(srv / folder) in said and "absolute path" in said, said
    assert main(["--config", str(config), "candidates"]) == 2
    assert not (etc / folder).exists(), "a new folder was made beside the config file"
    config.write_text(f'data_dir = "{srv}/data"\n[{table}]\n{key} = "{srv}/{folder}"\n', encoding="utf-8")
    assert main(["--config", str(config), "config", "check"]) == 0


def test_config_check_names_the_moved_data_folder_with_the_other_problems(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The last release's config (run from /srv/digest, `data_dir = "data"`, and another setting refused, here a pause
    under arXiv's 3 seconds) after the upgrade: `config check` listed the other problem and said nothing of the data
    folder, so the operator fixed that, ran it again and only then learnt the data folder would be a new one. Every
    problem comes at once. (A poll_cron polling arxiv.org too often was the other problem; it is now kept to the
    announcement's times with a warning, not refused.)"""
    etc, srv = clean_environment / "etc", clean_environment / "srv"
    etc.mkdir()
    srv.mkdir()
    monkeypatch.chdir(srv)
    (srv / "data").mkdir()
    config = etc / "digest.toml"
    config.write_text('data_dir = "data"\n[arxiv]\nmin_interval_seconds = 1\n', encoding="utf-8")
    assert main(["--config", str(config), "config", "check"]) == 1
    out = capsys.readouterr()
    said = out.out + out.err
    assert "arxiv.min_interval_seconds" in said, said
    assert "data_dir 'data' is read from the config file's folder now" in said and str(srv / "data") in said, said
    assert "2 problems" in said, said
    monkeypatch.setenv("DIGEST_DATA_DIR", str(srv / "data"))  # the folder given in full: only the pause is left
    assert main(["--config", str(config), "config", "check"]) == 1
    said = "".join(capsys.readouterr())
    again = digest_command("config", "check", config=config)  # the --config given: run as printed, the same check
    assert f"1 problem: fix it and run `{again}` again" in said and "data_dir" not in said.split("problem:")[-1], said


# 5 ------------------------------------------------------------------------------------------------------------------
def test_a_cli_approval_after_a_restore_keeps_the_list_file_with_the_papers_the_backup_lacks(
    clean_environment: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A backup restored (as the README says: service stopped, -wal and -shm removed, file copied), then a
    `digest approve` before the service's first start: the approval wrote list.md from the restored database, and as
    it held as many entries as before, the file with the papers approved after the backup was replaced without a
    copy; the service's start then found nothing to keep. Now a file that links a paper the new one does not is
    kept as list.md.1, and the log names the papers."""
    data = clean_environment / "data"
    settings = make_settings(data)
    database = open_service_database(settings)
    first, second = (insert_candidate(database, real_papers()[index]) for index in (0, 1))
    database.dispose()
    live, copy = sqlite3.connect(data / "digest.sqlite3"), sqlite3.connect(clean_environment / "backup.sqlite3")
    live.backup(copy)
    live.close()
    copy.close()
    assert main(["--data-dir", str(data), "approve", str(first)]) == 0  # after the backup
    lost = str(real_papers()[0]["arxiv_id"])
    assert lost in (data / "list.md").read_text(encoding="utf-8")

    for suffix in ("-wal", "-shm"):  # the restore, as the README describes it
        (data / f"digest.sqlite3{suffix}").unlink(missing_ok=True)
    shutil.copyfile(clean_environment / "backup.sqlite3", data / "digest.sqlite3")
    with caplog.at_level(logging.WARNING):
        assert main(["--data-dir", str(data), "approve", str(second)]) == 0
    assert lost not in (data / "list.md").read_text(encoding="utf-8")
    kept = data / "list.md.1"
    assert kept.is_file() and lost in kept.read_text(encoding="utf-8"), "the only copy of the approval was replaced"
    assert lost in caplog.text


# 6 ------------------------------------------------------------------------------------------------------------------
def test_read_only_commands_still_read_on_a_full_disk_after_a_clean_shutdown(
    tmp_path: Path, clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The disk filled up after the service stopped cleanly: `digest candidates`, `history` and `list export` each
    failed ("cannot open the database: disk I/O error"), as SQLite must create a new -shm file even to read, so a
    maintainer could not even look at what was waiting. Now a command that only reads opens the database read-only
    as it stands, with one warning line; a command that writes still fails in one line."""
    with mounted_tmpfs(tmp_path / "disk", "8m") as disk:
        data = disk / "data"
        settings = make_settings(data)
        database = open_service_database(settings)
        paper = real_papers()[0]
        insert_candidate(database, real_papers()[1])
        Reviewer(database, settings).decide(insert_candidate(database, paper), "approve", Actor("ann", "1", "cli"))
        database.dispose()  # a clean shutdown: no -wal or -shm left
        assert not (data / "digest.sqlite3-shm").exists()
        fill_disk(data)
        capsys.readouterr()
        assert main(["--data-dir", str(data), "candidates"]) == 0
        out, err = capsys.readouterr()
        assert str(real_papers()[1]["arxiv_id"]) in out and str(paper["arxiv_id"]) in out
        assert err.count("\n") == 1 and "read-only" in err and "full" in err, err
        assert main(["--data-dir", str(data), "history"]) == 0
        assert str(paper["arxiv_id"]) in capsys.readouterr().out
        assert main(["--data-dir", str(data), "list", "export", "-o", "-"]) == 0
        assert str(paper["arxiv_id"]) in capsys.readouterr().out
        assert main(["--data-dir", str(data), "reject", str(paper["arxiv_id"])]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "full" in err and "Traceback" not in err, err


# 4b -----------------------------------------------------------------------------------------------------------------
def test_the_dotenv_file_beside_the_config_file_is_read_from_another_folder(tmp_path: Path) -> None:
    """The service runs in /srv/list, where `.env` holds its secrets beside digest.toml; `digest --config
    /srv/list/digest.toml weekly --send` run from the home folder read no `.env`, so it signed the maintainers' approve
    links with a generated key the service does not know (every link refused) and had no Discord or git token. Now the
    `.env` beside the settings file is read too (the working folder's and the real environment win)."""
    site, home = tmp_path / "site", tmp_path / "home"
    site.mkdir()
    home.mkdir()
    (site / ".env").write_text("DISCORD_TOKEN=from-the-dotenv-file\n", encoding="utf-8")
    (site / "digest.toml").write_text("[discord]\nchannel_id = 42\nmaintainer_user_ids = [7]\n", encoding="utf-8")
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("DIGEST_", "DISCORD_"))}
    environment["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    result = subprocess.run(
        [sys.executable, "-m", "digest", "--config", str(site / "digest.toml"), "config", "check", "--json"],
        cwd=home,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    features = {feature["name"]: feature for feature in json.loads(result.stdout)["features"]}
    assert features["discord"]["on"], "the .env beside the config file was not read"


def test_a_relative_data_folder_in_the_dotenv_file_beside_the_config_file_is_read_from_that_folder(
    tmp_path: Path,
) -> None:
    """/srv/list/.env holds DIGEST_DATA_DIR=data beside digest.toml: the service, run from /srv/list, keeps its data in
    /srv/list/data, but `digest --config /srv/list/digest.toml candidates` run from the home folder read the same
    `.env` and made a new, empty data folder and database in the home folder (a relative path in the config file is
    read from the file's folder; the same path in the `.env` beside it was not). Now a relative path that `.env`
    gives is read from its folder too."""
    site, home = tmp_path / "site", tmp_path / "home"
    site.mkdir()
    home.mkdir()
    (site / ".env").write_text("DIGEST_DATA_DIR=data\n", encoding="utf-8")
    (site / "digest.toml").write_text("[web]\nport = 8099\n", encoding="utf-8")
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("DIGEST_", "DISCORD_"))}
    environment["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])

    def digest(cwd: Path, *args: str) -> str:
        command = [sys.executable, "-m", "digest", "--config", str(site / "digest.toml"), *args]
        done = subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    digest(site, "candidates")  # the service's own folder: its data folder is made there
    assert (site / "data" / "digest.sqlite3").is_file()
    shown = digest(home, "config", "show")
    digest(home, "candidates")
    assert not (home / "data").exists(), "a new, empty data folder was made in the working folder"
    assert str(site / "data") in shown, shown


@pytest.mark.parametrize(
    ("config_line", "dotenv_line", "environment_url", "database"),
    [
        ('database_url = "sqlite+pysqlite:///data/digest.db"', "", "", "site/data/digest.db"),
        ("", "DIGEST_DATABASE_URL=sqlite+pysqlite:///data/digest.db", "", "site/data/digest.db"),
        ('database_url = "sqlite+pysqlite:///~/x.db"', "", "", "home/x.db"),
        ("", "DIGEST_DATABASE_URL=sqlite:///~/x.db", "", "home/x.db"),
        ("", "", "sqlite+pysqlite:///~/x.db", "home/x.db"),
    ],
    ids=["config-file", "dotenv-file", "config-file-home", "dotenv-file-home", "environment-home"],
)
def test_a_relative_or_home_sqlite_file_names_one_database_wherever_digest_runs(
    tmp_path: Path, config_line: str, dotenv_line: str, environment_url: str, database: str
) -> None:
    """`database_url = "sqlite+pysqlite:///data/digest.db"` in /srv/list/digest.toml (or the `.env` beside it) was read
    from the working folder as soon as the URL named its driver, and `sqlite:///~/x.db` made a folder named `~` there:
    `digest --config /srv/list/digest.toml candidates` run from elsewhere opened a new, empty database. Now the file's
    relative path is read from its folder and `~` is the home folder, wherever the command runs."""
    site, home, elsewhere = tmp_path / "site", tmp_path / "home", tmp_path / "elsewhere"
    for folder in (site, home, elsewhere):
        folder.mkdir()
    (site / "digest.toml").write_text(f"data_dir = 'data'\n{config_line}\n", encoding="utf-8")
    (site / ".env").write_text(f"{dotenv_line}\n", encoding="utf-8")
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("DIGEST_", "DISCORD_"))}
    environment |= {"PYTHONPATH": str(Path(__file__).resolve().parents[1]), "HOME": str(home)}
    if environment_url:
        environment["DIGEST_DATABASE_URL"] = environment_url

    def candidates(cwd: Path) -> str:
        command = [sys.executable, "-m", "digest", "--config", str(site / "digest.toml"), "candidates"]
        done = subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    candidates(site)  # the service's own folder
    assert (tmp_path / database).is_file(), sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*.db"))
    settings = make_settings(tmp_path / "unused", environ={"DIGEST_DATABASE_URL": f"sqlite:///{tmp_path / database}"})
    stored = open_service_database(settings)
    insert_candidate(stored, real_papers()[0])
    stored.dispose()
    shown = candidates(elsewhere)
    assert str(real_papers()[0]["arxiv_id"]) in shown, f"another database was opened: {shown}"
    assert not list(elsewhere.rglob("*.db")), "a new, empty database was made in the working folder"


def test_a_config_file_saved_with_a_byte_order_mark_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """digest.toml saved by Windows Notepad (UTF-8 with a byte order mark): every command refused it as "not valid
    TOML: Invalid statement (at line 1, column 1)", though line 1 looks right in any editor. Now the mark is skipped;
    a file in another encoding is named as such."""
    config = tmp_path / "digest.toml"
    config.write_bytes("\ufeff[web]\nport = 8099\n".encode())
    assert main(["--config", str(config), "--data-dir", str(tmp_path / "data"), "config", "show"]) == 0
    assert "8099" in capsys.readouterr().out
    config.write_bytes("[web]\nbase_url = 'http://caf\xe9.example'\n".encode("latin-1"))
    assert main(["--config", str(config), "--data-dir", str(tmp_path / "data"), "config", "check"]) == 1
    assert "is not UTF-8 text" in capsys.readouterr().out


def test_feeds_files_saved_with_a_byte_order_mark_are_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_environment: Path
) -> None:
    """sources.toml and rules.toml saved by Windows Notepad (UTF-8 with a byte order mark): config check refused each as
    "not valid TOML (Invalid statement (at line 1, column 1))", a first line that looks right in any editor, and the
    service would not start, where the settings file with the same mark is read. Both are read; their content is the
    shipped one, so a paper scores as with the shipped files."""
    from digest import resources

    feeds = tmp_path / "feeds"
    shutil.copytree(resources.feeds_dir(), feeds)
    for name in ("sources.toml", "rules.toml"):
        (feeds / name).write_bytes(b"\xef\xbb\xbf" + (feeds / name).read_bytes())
    config = tmp_path / "digest.toml"
    config.write_text(f"feeds_dir = {json.dumps(str(feeds))}\n", encoding="utf-8")
    data = ["--config", str(config), "--data-dir", str(tmp_path / "data")]
    main([*data, "config", "check"])
    out = capsys.readouterr().out
    assert not [line for line in out.splitlines() if line.startswith("problem:")], out
    paper = tmp_path / "paper.jsonl"
    row = real_papers()[0]
    paper.write_text(json.dumps({"title": row["title"], "abstract": row["abstract"]}) + "\n", encoding="utf-8")
    assert main([*data, "score", str(paper)]) == 0
    with_mark = json.loads(capsys.readouterr().out)
    shipped = tmp_path / "shipped.toml"
    shipped.write_text("", encoding="utf-8")
    assert main(["--config", str(shipped), "--data-dir", str(tmp_path / "data2"), "score", str(paper)]) == 0
    assert with_mark["score"] == json.loads(capsys.readouterr().out)["score"]
