"""`digest config check` and `config show` on what the environment gives: .env files, secrets in variables (blank,
not UTF-8, holding control characters), paths with `~` or space around them, the settings file's own name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from digest.cli import main
from digest.config import load_settings
from tests.config_cmd import ROOT, VARIABLES, run, write
from tests.config_cmd import clean_environment as clean_environment  # the fixture, shared


def test_dotenv_file_in_the_working_folder_is_read(tmp_path: Path) -> None:
    """A person's shell: `.env` beside them holds the Discord token (a subprocess, so .env cannot leak into tests)."""
    write(tmp_path / ".env", "DISCORD_TOKEN=from-the-dotenv-file\n")
    write(tmp_path / "config.toml", "[discord]\nchannel_id = 42\nmaintainer_user_ids = [7]\n")
    environment = {key: value for key, value in os.environ.items() if key not in VARIABLES}
    environment["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "digest", "--config", "config.toml", "config", "check", "--json"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    features = {feature["name"]: feature for feature in json.loads(result.stdout)["features"]}
    assert features["discord"]["on"]


def test_a_secret_set_to_a_value_the_secrets_file_keeps_is_found_by_config_check(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Moving from generated secrets to the environment (a .env for compose), the feed token's value from secrets.json
    copied into DIGEST_ADMIN_TOKEN: `config check` said "configuration OK", then `digest run` refused to start. It now
    says what the start says, without the value."""
    from digest.config.secretstore import ensure_secrets

    data = clean_environment / "data"
    ensure_secrets(load_settings(None, data, environ={}, load_dotenv_file=False))  # as the first start does
    feed_token = json.loads((data / "secrets.json").read_text(encoding="utf-8"))["feed_token"]
    monkeypatch.setenv("DIGEST_ADMIN_TOKEN", feed_token)
    status, out = run(capsys, "--data-dir", str(data), "config", "check")
    assert status == 1, out
    assert (
        "problem: DIGEST_FEED_TOKEN is also DIGEST_ADMIN_TOKEN: the feed's address, which feed readers keep, would "
        f"sign in on /review; give each its own random value (the other one is kept in {data / 'secrets.json'})"
    ) in out, out
    assert feed_token not in out


@pytest.mark.parametrize("given", ["variable", "option", "dotenv"])
def test_a_settings_file_named_from_the_home_folder_is_read(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    """`~` is the home folder in every path, but DIGEST_CONFIG=~/awesome/config.toml (written in a .env file or a
    compose file, where no shell expands it) and a quoted --config '~/...' were refused: 'config file
    ~/awesome/config.toml does not exist', though it did."""
    home = clean_environment / "home"
    write(home / "awesome" / "config.toml", 'list_title = "From the home folder"\n')
    monkeypatch.setenv("HOME", str(home))
    argv = ["--data-dir", str(clean_environment / "data")]
    if given == "variable":
        monkeypatch.setenv("DIGEST_CONFIG", "~/awesome/config.toml")
    elif given == "option":
        argv += ["--config", "~/awesome/config.toml"]
    else:
        write(clean_environment / ".env", "DIGEST_CONFIG=~/awesome/config.toml\n")
        monkeypatch.setenv("DIGEST_CONFIG", "")  # set by the .env file alone, and taken away again after the test
        monkeypatch.delenv("DIGEST_CONFIG")
    status, out = run(capsys, *argv, "config", "show")
    assert status == 0, capsys.readouterr().err
    assert 'list_title = "From the home folder"' in out, out
    status, out = run(capsys, *argv, "config", "check")
    assert status == 0 and f"configuration: {home / 'awesome' / 'config.toml'}\n" in out, out


def test_a_blank_data_folder_variable_is_not_set(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A compose file's `DIGEST_DATA_DIR: " "` counts as unset, as an empty one does: not a folder named by spaces."""
    monkeypatch.setenv("DIGEST_DATA_DIR", "  ")
    monkeypatch.setenv("DIGEST_CONFIG", " ")
    status, out = run(capsys, "config", "check")
    assert status == 0, out
    assert "configuration: no settings file: built-in defaults" in out
    assert f"data folder: {clean_environment / 'data'}\n" in out
    assert f"database: sqlite:///{clean_environment / 'data' / 'digest.sqlite3'}\n" in out


def test_a_blank_data_folder_in_the_env_file_beside_the_settings_is_not_set(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read from the `.env` beside the settings file, a blank value is not a folder of spaces in that file's folder."""
    monkeypatch.setenv("DIGEST_DATA_DIR", "restored-after-the-test")
    monkeypatch.delenv("DIGEST_DATA_DIR")  # the .env below sets it in this process: undone after the test
    site = clean_environment / "site"
    write(site / ".env", 'DIGEST_DATA_DIR="  "\n')
    config = write(site / "digest.toml", 'list_title = "Site"\n')
    status, out = run(capsys, "--config", str(config), "config", "check")
    assert status == 0, out
    assert f"data folder: {clean_environment / 'data'}\n" in out


def test_paths_in_variables_are_read_without_the_space_around_them(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`DIGEST_DATA_DIR: " /srv/data "` (a value pasted into a compose file, or quoted in a `.env`) named a folder
    ' /srv/data ' inside the working folder, and the service started on a new, empty one; DIGEST_CONFIG so was 'a
    file that does not exist'. A path is read without the space around it, in the environment and in a `.env`."""
    data, key = clean_environment / "srv" / "data", write(clean_environment / "keys" / "deploy", "a key\n")
    key.chmod(0o600)  # as ssh wants a private key: others may not read it
    config = write(clean_environment / "site" / "digest.toml", 'list_title = "Site"\n')
    monkeypatch.setenv("DIGEST_DATA_DIR", f" {data} ")
    monkeypatch.setenv("DIGEST_CONFIG", f"{config}\n")
    monkeypatch.setenv("DIGEST_GIT_SSH_KEY", f" {key}\t")
    status, out = run(capsys, "config", "check")
    assert status == 0, out
    assert f"configuration: {config}\n" in out and f"data folder: {data}\n" in out
    assert f"database: sqlite:///{data / 'digest.sqlite3'}\n" in out
    assert load_settings(None, None).publish.ssh_key == str(key)
    monkeypatch.delenv("DIGEST_DATA_DIR")  # now from the `.env` beside the settings file, written there in quotes
    write(config.parent / ".env", f'DIGEST_DATA_DIR=" {clean_environment / "site-data"} "\n')
    status, out = run(capsys, "--config", str(config), "config", "check")
    assert status == 0, out
    assert f"data folder: {clean_environment / 'site-data'}\n" in out


def test_a_env_file_not_utf8_or_holding_a_nul_is_one_problem_naming_it(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A `.env` saved in Latin-1 (`DIGEST_DATA_DIR=/srv/café`), or one holding a NUL byte (a binary file saved under
    that name), ended every command, config check too, in a traceback: each is one problem naming it, and not read."""
    env = clean_environment / ".env"
    for content, said in (
        (b"DIGEST_DATA_DIR=/srv/caf\xe9\n", f"{env} is not UTF-8 text (byte 25): save it as UTF-8 (not read)"),
        (
            b"EDITOR=vi\nDIGEST_DATA_DIR=/srv/a\x00b\n",
            f"{env} line 2 holds a NUL byte, which no setting does: is it the right file? (not read)",
        ),
    ):
        env.write_bytes(content)
        status, out = run(capsys, "--data-dir", str(clean_environment / "data"), "config", "check")
        assert status == 1, out
        assert [line for line in out.splitlines() if line.startswith("problem:")] == [f"problem: {said}"], out


@pytest.mark.parametrize(
    "variable",
    [
        "DIGEST_SECRET_KEY",
        "DIGEST_ADMIN_TOKEN",
        "DIGEST_FEED_TOKEN",
        "DIGEST_ADMIN_TOKENS",
        "DISCORD_TOKEN",
        "SMTP_PASSWORD",
        "DIGEST_GIT_TOKEN",
    ],
)
def test_a_secret_variable_holding_bytes_that_are_not_utf8_is_one_problem_naming_it(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    """A secret set from a file saved in Latin-1 (DIGEST_SECRET_KEY="clé...", byte 0xe9) passed config check, and the
    first approval link or sign-in then failed on "'utf-8' codec can't encode character '\\udce9'" (the feed's link,
    an SMTP login, Discord's header likewise). Each such variable is now a problem naming it, its value unsaid."""
    secret = ("alice:" if variable == "DIGEST_ADMIN_TOKENS" else "") + "Secret0123456789abcdefXYZ"
    monkeypatch.setenv(variable, secret + "\udce9")  # how Python holds byte 0xe9 of an environment that is not UTF-8
    status, out = run(capsys, "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 1, out
    problems = [line for line in out.splitlines() if line.startswith("problem:") and variable in line]
    assert len(problems) == 1 and "not UTF-8" in problems[0], out
    assert "Secret0123456789" not in out and "\udce9" not in out


def test_secrets_all_from_the_environment_are_said_without_others_generated(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With DIGEST_SECRET_KEY, DIGEST_ADMIN_TOKEN and DIGEST_FEED_TOKEN all set, config check said "3 of 3 from the
    environment; the others are generated once and kept in .../secrets.json": there are no others, and an operator
    who keeps secrets in a manager went looking for a file nothing writes. The others are named only when there are."""
    secrets = {"DIGEST_SECRET_KEY": "k" * 20, "DIGEST_ADMIN_TOKEN": "a" * 20, "DIGEST_FEED_TOKEN": "f" * 20}
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    status, out = run(capsys, "config", "check")
    assert status == 0, out
    assert [line for line in out.splitlines() if line.startswith("secrets:")] == [
        "secrets: 3 of 3 from the environment"
    ]
    monkeypatch.delenv("DIGEST_FEED_TOKEN")
    status, out = run(capsys, "config", "check")
    assert "secrets: 2 of 3 from the environment; the others are generated once and kept in data/secrets.json\n" in out


def test_a_settings_file_named_with_a_line_break_is_named_on_one_line(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """DIGEST_CONFIG or --config holding a line break (two paths pasted, a variable read with its newline and more) was
    named raw, splitting its problem over two lines, the second taken for another; it is quoted with its escapes."""
    named = clean_environment / "config.toml\nstray"
    status, out = run(capsys, "--config", str(named), "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 1, out
    assert f"configuration: {str(named)!r}\n" in out, out
    assert f"problem: config file {str(named)!r} does not exist\n" in out, out


@pytest.mark.parametrize(
    ("variable", "pasted"),
    [
        ("DIGEST_SECRET_KEY", "\n"),
        ("DIGEST_ADMIN_TOKEN", "\t"),
        ("DIGEST_FEED_TOKEN", "\r\n"),
        ("DIGEST_ADMIN_TOKENS", "\x1b"),
    ],
)
def test_a_secret_variable_holding_a_control_character_is_one_problem_naming_it(
    clean_environment: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    pasted: str,
) -> None:
    """A token pasted with a line break or tab inside it (two lines of a password manager, a terminal's escape) passed
    config check: the feed's address then held it raw, and the admin token could never be typed into the sign-in
    form. Each such variable is one problem naming it, its value unsaid."""
    secret = ("alice:" if variable == "DIGEST_ADMIN_TOKENS" else "") + "Secret0123456789" + pasted + "abcdefXYZ"
    monkeypatch.setenv(variable, secret)
    status, out = run(capsys, "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 1, out
    problems = [line for line in out.splitlines() if line.startswith("problem:") and variable in line]
    assert len(problems) == 1 and "control character" in problems[0], out
    assert "Secret0123456789" not in out and "abcdefXYZ" not in out


@pytest.mark.parametrize(
    ("variable", "inside"),
    [
        ("DIGEST_ADMIN_TOKEN", " "),
        ("DIGEST_FEED_TOKEN", " "),
        ("DIGEST_FEED_TOKEN", "\u00a0"),
        ("DIGEST_ADMIN_TOKENS", " "),
    ],
)
def test_a_token_with_a_space_inside_is_one_problem_naming_it(
    clean_environment: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    inside: str,
) -> None:
    """A feed or admin token of two words pasted (or with a no-break space from a document) passed config check: the
    feed's address carried a space feed readers cut or encode away, and the sign-in form took what the maintainer
    typed. Each is one problem naming the variable, its value unsaid."""
    secret = ("alice:" if variable == "DIGEST_ADMIN_TOKENS" else "") + "Secret0123456789" + inside + "abcdefXYZ"
    monkeypatch.setenv(variable, secret)
    status, out = run(capsys, "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 1, out
    problems = [line for line in out.splitlines() if line.startswith("problem:")]
    assert len(problems) == 1 and variable in problems[0] and "holds a space inside it" in problems[0], out
    assert "Secret0123456789" not in out and "abcdefXYZ" not in out


@pytest.mark.parametrize(("key", "inside"), [("admin_token", " "), ("feed_token", "\u00a0"), ("feed_token", "\t")])
def test_a_token_kept_in_the_secrets_file_with_a_space_inside_is_refused_naming_the_file_and_key(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], key: str, inside: str
) -> None:
    """The same token refused from the environment, hand-edited into data/secrets.json with a space (or a tab) inside
    it, was said as "holds a space inside it ... (the other one is kept in data/secrets.json)": neither the key nor
    the file named, and a word about another secret there was none. `config check` and `run` now name both, never
    the token."""
    data = clean_environment / "data"
    secrets = write(data / "secrets.json", json.dumps({key: "Secret0123456789" + inside + "abcdefXYZ"}))
    secrets.chmod(0o600)
    status, out = run(capsys, "--data-dir", str(data), "config", "check")
    problems = [line for line in out.splitlines() if line.startswith("problem:")]
    assert status == 1 and len(problems) == 1, out
    assert problems[0].startswith(f"problem: {secrets}: {key} holds a ") and "the other one" not in out, out
    assert "Secret0123456789" not in out and "abcdefXYZ" not in out
    assert main(["--data-dir", str(data), "run", "--port", "9"]) == 2
    said = capsys.readouterr().err.strip().splitlines()
    assert said[-1] == f"digest: configuration: {problems[0].removeprefix('problem: ')}", said
    assert "Secret0123456789" not in "\n".join(said) and json.loads(secrets.read_text(encoding="utf-8")).keys() == {key}
