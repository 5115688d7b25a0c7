"""`digest config check` and `config show` on the database and the data folder: URLs that cannot be read or lack
their driver, passwords never shown, and data folders that are empty, a file or a symbolic link loop."""

from __future__ import annotations

import importlib.util
import json
import tomllib
from pathlib import Path

import pytest

from digest.cli import main
from tests.config_cmd import clean_environment as clean_environment  # the fixture, shared
from tests.config_cmd import run, write


def test_show_hides_the_database_password(clean_environment: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write(
        clean_environment / "config.toml", 'database_url = "postgresql+psycopg://digest:hunter22@db/digest"\n'
    )
    status, out = run(capsys, "--config", str(config), "config", "show", "--json")
    assert status == 0
    assert "hunter22" not in out
    assert json.loads(out)["settings"]["database_url"] == "postgresql+psycopg://digest:***@db/digest"


@pytest.mark.parametrize("command", [("config", "show"), ("config", "check"), ("candidates",)])
def test_a_database_password_given_as_a_query_parameter_is_hidden_too(
    clean_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: tuple[str, ...],
) -> None:
    """libpq takes the password as `?password=` as well as before the '@': written so, `config show` and `config
    check` printed it whole, and so did every command that could not reach the server ("cannot open the database
    postgresql+psycopg://digest@127.0.0.1:1/digest?password=..."). It is hidden as the other one is."""
    url = "postgresql+psycopg://digest@127.0.0.1:1/digest?sslmode=disable&password=hunter22"
    monkeypatch.setenv("DIGEST_DATABASE_URL", url)
    main(["--data-dir", str(clean_environment / "data"), *command])
    captured = capsys.readouterr()
    shown = captured.out + captured.err
    assert "hunter22" not in shown
    assert "postgresql+psycopg://digest@127.0.0.1:1/digest?" in shown and "sslmode=disable" in shown


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("postgresql+psycopg://digest:pa@ss-rest-of-it@127.0.0.1:9/digest", "holds '@'"),
        ("postgresql+psycopg://digest:ss-rest-of-it@127.0.0.1:port/digest", "port is not a number"),
    ],
)
@pytest.mark.parametrize("command", [("config", "check"), ("config", "show"), ("candidates",)])
def test_a_database_url_that_cannot_be_read_is_one_line_that_shows_no_password(
    clean_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    url: str,
    said: str,
    command: tuple[str, ...],
) -> None:
    """A password holding an unescaped '@' ends there for SQLAlchemy, which reads the rest as the host: every command
    printed the rest of the password ("cannot open the database ...:***@ss-rest-of-it@127.0.0.1: failed to resolve
    host"), and `config check` listed it as the database. A port that is not a number was a traceback."""
    monkeypatch.setenv("DIGEST_DATABASE_URL", url)
    status = main(["--data-dir", str(clean_environment / "data"), *command])
    captured = capsys.readouterr()
    shown = captured.out + captured.err
    assert status in (1, 2) and "Traceback" not in shown
    assert "ss-rest-of-it" not in shown and said in shown, shown
    assert len([line for line in shown.splitlines() if said in line and "DIGEST_DATABASE_URL" in line]) == 1


@pytest.mark.parametrize("command", [("config", "check"), ("candidates",)])
def test_a_database_url_with_an_empty_port_is_one_line_not_a_traceback(
    clean_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: tuple[str, ...],
) -> None:
    """A URL written from a template whose port variable was empty ("host:/digest"): SQLAlchemy cannot read it either
    ("invalid literal for int()"), and every command ended in a traceback."""
    monkeypatch.setenv("DIGEST_DATABASE_URL", "postgresql+psycopg://digest:pw-in-the-url@127.0.0.1:/digest")
    status = main(["--data-dir", str(clean_environment / "data"), *command])
    captured = capsys.readouterr()
    shown = captured.out + captured.err
    assert status in (1, 2) and "Traceback" not in shown and "pw-in-the-url" not in shown, shown
    assert len([line for line in shown.splitlines() if "port" in line and "DIGEST_DATABASE_URL" in line]) == 1, shown


@pytest.mark.parametrize("command", [("config", "check"), ("candidates",)])
def test_a_postgresql_url_without_its_driver_says_which_to_write(
    clean_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: tuple[str, ...],
) -> None:
    """`postgresql://` (as most hosts print it) means SQLAlchemy's psycopg2, which awesome-digest[postgres] does not
    install: every command ended in a ModuleNotFoundError traceback, and `config check` advised installing the extra,
    which changes nothing. Now one line says to write postgresql+psycopg://."""
    pytest.importorskip("psycopg")
    if importlib.util.find_spec("psycopg2") is not None:
        pytest.skip("psycopg2 is installed here: postgresql:// has its driver")
    monkeypatch.setenv("DIGEST_DATABASE_URL", "postgresql://digest:pw-in-the-url@127.0.0.1:9/digest")
    status = main(["--data-dir", str(clean_environment / "data"), *command])
    captured = capsys.readouterr()
    shown = captured.out + captured.err
    assert status == 1 and "Traceback" not in shown and "pw-in-the-url" not in shown, shown
    lines = [line for line in shown.splitlines() if "psycopg2" in line]
    assert len(lines) == 1 and "write postgresql+psycopg://" in lines[0], shown


@pytest.mark.parametrize("command", [("config", "check"), ("candidates",)])
def test_a_database_path_instead_of_a_url_is_a_problem_of_its_own(
    clean_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: tuple[str, ...],
) -> None:
    """DIGEST_DATABASE_URL=data/digest.sqlite3 (a path, not a URL): `config check` printed no report at all, only
    "the database could not be written or read: Could not parse SQLAlchemy URL", as if a database had failed."""
    monkeypatch.setenv("DIGEST_DATABASE_URL", "data/digest.sqlite3")
    status = main(["--data-dir", str(clean_environment / "data"), *command])
    captured = capsys.readouterr()
    shown = captured.out + captured.err
    assert status in (1, 2) and "could not be written or read" not in shown, shown
    assert "DIGEST_DATABASE_URL is not a database URL: write sqlite:////" in shown, shown
    assert not (clean_environment / "data").exists()


@pytest.mark.parametrize("written", ["sqlite:///{path}\n", " sqlite:///{path}", "\tsqlite:///{path} \r\n"])
def test_a_database_url_with_white_space_around_it_names_the_same_file(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], written: str
) -> None:
    """DIGEST_DATABASE_URL read from a secret file ends in a newline; one pasted into `.env` may start with a space.
    The newline went into the database's file name ("digest.sqlite3\\n", made beside the real one, empty), and the
    leading space was "not a database URL". The white space around the URL is no part of it."""
    database = clean_environment / "elsewhere" / "digest.sqlite3"
    database.parent.mkdir()
    monkeypatch.setenv("DIGEST_DATABASE_URL", written.format(path=database))
    status = main(["--data-dir", str(clean_environment / "data"), "candidates"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    names = [path.name for path in database.parent.iterdir()]
    assert "digest.sqlite3" in names and all(name == name.strip() for name in names), names


def test_a_bad_database_url_from_the_environment_is_named_by_its_variable(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DIGEST_DATABASE_URL with a typo, over a settings file whose database_url is right: the line said 'database_url is
    not a database URL', sending the operator to a file that holds a good one. It names the variable the value came
    from, as it does a secret's."""
    good = f"sqlite:///{clean_environment / 'data' / 'digest.sqlite3'}"
    config = write(clean_environment / "config.toml", f'database_url = "{good}"\n')
    monkeypatch.setenv("DIGEST_DATABASE_URL", "postgres//digest@db/digest")
    status, out = run(capsys, "--config", str(config), "config", "check")
    assert status == 1, out
    problems = [line for line in out.splitlines() if line.startswith("problem:")]
    assert len(problems) == 1 and problems[0].startswith("problem: DIGEST_DATABASE_URL is not a database URL"), out


def test_a_database_given_alone_says_the_data_folder_is_the_working_folders(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DIGEST_DATABASE_URL set alone (PostgreSQL, say) left the data folder at ./data in the working folder, unsaid:
    a command run from another folder kept the list's file and generated secrets (signing links) of its own there.
    config check says so, and says nothing once the data folder is named too."""
    elsewhere = clean_environment / "db" / "digest.sqlite3"
    monkeypatch.setenv("DIGEST_DATABASE_URL", f"sqlite:///{elsewhere}")
    status, out = run(capsys, "config", "check")
    assert status == 0, out
    assert [line for line in out.splitlines() if "data folder" in line] == [
        f"data folder: {clean_environment / 'data'}",
        f"warning: the data folder is the default, ./data in the working folder ({clean_environment / 'data'}), "
        "though the database is elsewhere: the list's file, the generated secrets, the model and the weekly digests "
        "are kept there, and a command run from another folder keeps them in another; set DIGEST_DATA_DIR (or "
        "data_dir) to the service's data folder",
    ], out
    monkeypatch.setenv("DIGEST_DATA_DIR", str(clean_environment / "service-data"))
    status, out = run(capsys, "config", "check")
    assert status == 0 and "warning: the data folder" not in out, out
    monkeypatch.delenv("DIGEST_DATA_DIR")
    monkeypatch.delenv("DIGEST_DATABASE_URL")  # the default: the database is in the data folder, wherever that is
    status, out = run(capsys, "config", "check")
    assert status == 0 and "warning: the data folder" not in out, out


def test_a_path_left_empty_in_the_settings_file_is_refused(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`data_dir = ""` (a template's blank) made the working folder the data folder: the database, list.md and
    secrets.json were written among whatever was there; `[weekly] out_dir = ""` so with the digests, and
    `feeds_dir = ""` was 'cannot read the sources in sources.toml'. Each is refused in one line, as --data-dir "" is."""
    config = write(
        clean_environment / "site" / "digest.toml",
        'data_dir = ""\nfeeds_dir = " "\nseed_list = ""\n[weekly]\nout_dir = ""\n',
    )
    said = "is empty, which names the working folder: leave it out for the default, or write the path"
    status, out = run(capsys, "--config", str(config), "config", "check")
    assert status == 1, out
    assert [line for line in out.splitlines() if line.startswith("problem:")] == [
        f"problem: {key} {said}" for key in ("data_dir", "feeds_dir", "seed_list", "weekly.out_dir")
    ], out
    assert main(["--config", str(config), "candidates"]) == 2
    assert not (clean_environment / "digest.sqlite3").exists() and not list(clean_environment.glob("secrets*"))


def test_a_data_folder_that_is_a_file_is_said_without_a_line_about_secrets_in_it(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--data-dir naming a file also said "cannot read FILE/secrets.json ...; fix or delete it": there is no such
    file to fix or delete, only the data folder to choose again."""
    placed = write(clean_environment / "notes.txt", "not a folder\n")
    status, out = run(capsys, "--data-dir", str(placed), "config", "check")
    assert status == 1
    assert f"problem: --data-dir {placed} cannot be created: {placed} is not a folder\n" in out
    assert "secrets.json" not in "".join(line for line in out.splitlines(True) if line.startswith("problem: "))
    assert "weekly.out_dir" not in out and "\n1 problem: fix it" in out  # its folder in the data folder: one cause


def test_config_show_names_the_data_folder_in_full(clean_environment: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`digest config show` printed every path in full but the data folder, as `data_dir = "data"`: its output, kept
    as a settings file (in /etc, say), was refused by `config check` (a relative path in a file is read from the
    file's folder) or, where that folder had a data/, named another data folder. It now shows the folder in full."""
    (clean_environment / "data").mkdir()
    status, out = run(capsys, "config", "show")
    assert status == 0, out
    shown = tomllib.loads(out)
    assert shown["data_dir"] == str(clean_environment / "data")
    kept = write(clean_environment / "etc" / "config.toml", out)
    status, out = run(capsys, "--config", str(kept), "config", "check")
    assert status == 0 and f"data folder: {clean_environment / 'data'}" in out, out


def test_a_data_folder_and_database_from_the_environment_are_named_by_their_variables(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deployment's `.env` beside its settings file gave DIGEST_DATA_DIR and DIGEST_DATABASE_URL; `digest config
    check` said "problem: data_dir ..." and "problem: database_url needs the driver ...", keys the settings file holds
    with other, good values: the operator looked there. Each line now names the variable the value came from."""
    for name in ("DIGEST_DATA_DIR", "DIGEST_DATABASE_URL"):  # what the `.env` sets is taken away afterwards
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    placed = write(clean_environment / "notes.txt", "not a folder\n")
    config = write(clean_environment / "etc" / "config.toml", f'data_dir = "{clean_environment / "data"}"\n')
    write(config.parent / ".env", f"DIGEST_DATA_DIR={placed}\nDIGEST_DATABASE_URL=mysql://digest@db.internal/digest\n")
    status, out = run(capsys, "--config", str(config), "config", "check")
    assert status == 1, out
    assert [line for line in out.splitlines() if line.startswith("problem: ")] == [
        f"problem: DIGEST_DATA_DIR {placed} cannot be created: {placed} is not a folder",
        "problem: DIGEST_DATABASE_URL needs the driver MySQLdb, which is not installed: install it, or use SQLite or "
        "PostgreSQL (postgresql+psycopg://)",
    ], out


def test_a_data_folder_that_is_a_symlink_loop_is_one_problem_not_a_traceback(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--data-dir data` where data was a symbolic link leading round to itself (a link made pointing at a link to it)
    ended every command, config check too, in a traceback ("RuntimeError: Symlink loop from ..."); it is one line."""
    loop = clean_environment / "data"
    loop.symlink_to(clean_environment / "other")
    (clean_environment / "other").symlink_to(loop)
    status, out = run(capsys, "--data-dir", str(loop), "config", "check")
    assert status == 1, out
    problems = [line for line in out.splitlines() if line.startswith("problem:")]
    assert problems == [
        f"problem: --data-dir {str(loop)!r} is a symbolic link that leads round in a loop: give a folder"
    ]
    assert main(["--data-dir", str(loop), "candidates"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "leads round in a loop" in err and err.count("\n") == 1, err


def test_a_data_folder_problem_names_the_option_the_variable_or_the_key_it_came_from(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With `--data-dir DIR`, a problem with the folder said `data_dir '...'`, the settings file's key, where the user
    had typed --data-dir (and the file may hold no data_dir at all). Each line now names where the value came from:
    --data-dir when the option gave it, DIGEST_DATA_DIR from the environment, data_dir from the settings file; the
    same in `config check` and in a command's one line."""
    loop = clean_environment / "data"
    loop.symlink_to(clean_environment / "other")
    (clean_environment / "other").symlink_to(loop)
    said = f"{str(loop)!r} is a symbolic link that leads round in a loop: give a folder"
    config = write(clean_environment / "etc" / "config.toml", f'data_dir = "{loop}"\n')
    for given, named in ((["--data-dir", str(loop)], "--data-dir"), (["--config", str(config)], "data_dir")):
        status, out = run(capsys, *given, "config", "check")
        assert status == 1 and f"problem: {named} {said}\n" in out, out
        assert main([*given, "candidates"]) == 2
        assert capsys.readouterr().err == f"digest: configuration: {named} {said}\n"
    monkeypatch.setenv("DIGEST_DATA_DIR", str(loop))
    assert main(["candidates"]) == 2
    assert capsys.readouterr().err == f"digest: configuration: DIGEST_DATA_DIR {said}\n"
    # --data-dir wins over the variable and the file: the line names the option.
    assert main(["--config", str(config), "--data-dir", str(loop), "candidates"]) == 2
    assert capsys.readouterr().err == f"digest: configuration: --data-dir {said}\n"
