"""First deployment and configuration over time, as operators meet them: the example environment file filled in, a
secret read from a file (its newline), a terminal that is not UTF-8, secret problems at start, a base URL with a path,
and git (in the image, and too old) for publishing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from dotenv import dotenv_values

from digest.config.admin_tokens import maintainer_for
from tests.config_runs import ROOT, run_digest, settings_from

TIMED = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d "  # a log line's time


def test_the_example_environment_file_names_each_variable_once(tmp_path: Path) -> None:
    """Filled in at its first DIGEST_ADMIN_TOKENS line, the file's second, empty one undid it: named tokens off."""
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    names = [line.split("=", 1)[0] for line in text.splitlines() if "=" in line and not line.startswith("#")]
    assert len(names) == len(set(names)), sorted(name for name in names if names.count(name) > 1)
    env = tmp_path / ".env"
    env.write_text(text.replace("DIGEST_ADMIN_TOKENS=\n", "DIGEST_ADMIN_TOKENS=alice:alice-token-0123456789ab\n"))
    assert dotenv_values(env)["DIGEST_ADMIN_TOKENS"] == "alice:alice-token-0123456789ab"


def test_a_line_of_the_environment_file_that_cannot_be_read_is_a_problem_naming_its_variable(tmp_path: Path) -> None:
    """A quote left open in `.env` (DIGEST_ADMIN_TOKEN="...): python-dotenv skipped the line, saying only "could not
    parse statement starting at line 1", and `config check` said "configuration OK" while the service signed in with a
    generated token, not the one written there. Another program's line it cannot read is none of ours."""
    (tmp_path / ".env").write_text(
        "DIGEST_ADMIN_TOKEN=\"admin-token-0123456789abcdef\nSMTP_PASSWORD=fine-password\nOTHER_TOOL='x\n",
        encoding="utf-8",
    )
    done = run_digest(tmp_path, "--data-dir", str(tmp_path / "data"), "config", "check")
    problems = [line for line in done.stdout.splitlines() if line.startswith("problem: ")]
    assert done.returncode == 1 and problems == [
        f"problem: {tmp_path / '.env'} line 1: DIGEST_ADMIN_TOKEN cannot be read (a quote not closed?), so it is not "
        "set: write it as NAME=value on one line"
    ], done.stdout + done.stderr
    assert "admin-token-0123456789abcdef" not in done.stdout + done.stderr
    (tmp_path / ".env").write_text('DIGEST_ADMIN_TOKEN="admin-token-0123456789abcdef"\nOTHER_TOOL=\'x\n', "utf-8")
    done = run_digest(tmp_path, "--data-dir", str(tmp_path / "data"), "config", "check")
    assert done.returncode == 0 and "configuration OK" in done.stdout, done.stdout + done.stderr


def test_a_line_of_the_environment_file_that_cannot_be_read_is_said_once_naming_the_file(tmp_path: Path) -> None:
    """Each command also printed python-dotenv's own "could not parse statement starting at line 1", naming no file,
    under the project's line for its own variable, and for another program's line only that. Expected: the project's
    lines alone, each naming the file and the line."""
    env = tmp_path / ".env"
    env.write_text("DIGEST_ADMIN_TOKEN=\"admin-token-0123456789abcdef\nOTHER_TOOL='x\n", encoding="utf-8")
    done = run_digest(tmp_path, "--data-dir", str(tmp_path / "data"), "candidates")
    assert done.returncode == 2 and "could not parse" not in done.stderr, done.stderr
    said = f"{env} line 2 cannot be read (a quote not closed?): it is skipped"
    skipped = f"{TIMED}WARNING +digest\\.config\\.loading: {re.escape(said)}"
    lines = done.stderr.splitlines()  # the skipped line is a warning of the command's log (time, level); the refusal
    assert len(lines) == 2 and re.fullmatch(skipped, lines[0]), done.stderr  # is the command's own printed answer
    assert lines[1] == (
        f"digest: configuration: {env} line 1: DIGEST_ADMIN_TOKEN cannot be read (a quote not closed?), so it is not "
        "set: write it as NAME=value on one line"
    )
    env.write_text("DIGEST_ADMIN_TOKEN=admin-token-0123456789abcdef\nOTHER_TOOL='x\n", encoding="utf-8")
    done = run_digest(tmp_path, "--data-dir", str(tmp_path / "data"), "candidates")
    assert done.returncode == 0 and "could not parse" not in done.stderr, done.stderr
    assert len(done.stderr.splitlines()) == 1 and re.fullmatch(skipped, done.stderr.rstrip("\n")), done.stderr


def test_a_secret_read_from_a_file_signs_in_without_its_newline(tmp_path: Path) -> None:
    token = "admin-token-0123456789abcdef"
    settings = settings_from(tmp_path, "", {"DIGEST_ADMIN_TOKEN": token + "\n"})
    assert settings.secrets.admin_token is not None
    assert maintainer_for((), settings.secrets.admin_token.get_secret_value(), token) is not None


def test_a_terminal_that_is_not_utf8_gets_every_command_without_a_traceback(tmp_path: Path) -> None:
    """In a locale that is not UTF-8 (Debian's en_US is ISO-8859-1, and so is a cron job given LANG=en_US), `digest
    config show` failed with UnicodeEncodeError on the section emojis, and `digest candidates` on a title in another
    script: a traceback and nothing shown. They are shown escaped, as standard error shows them."""
    done = run_digest(tmp_path, "--data-dir", str(tmp_path / "data"), "config", "show", PYTHONIOENCODING="latin-1")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-600:]
    assert 'Surveys = "\\U0001f4da"' in done.stdout, done.stdout


@pytest.mark.parametrize("case", ["short-key", "corrupt-file", "pasted-line-break", "space-inside"])
def test_secret_problems_stop_the_service_in_one_line(tmp_path: Path, case: str) -> None:
    data = tmp_path / "data"
    data.mkdir()
    environ = {
        "short-key": {"DIGEST_SECRET_KEY": "short"},
        "corrupt-file": {},
        "space-inside": {"DIGEST_ADMIN_TOKEN": "admin-token-0123456789 abcdef"},
    }.get(case, {"DIGEST_FEED_TOKEN": "feed-token-0123456789\nabcdef"})
    if case == "corrupt-file":
        (data / "secrets.json").write_text('{"secret_key": ', encoding="utf-8")
    done = run_digest(tmp_path, "--data-dir", str(data), "run", "--port", "18399", **environ)
    assert done.returncode == 2, done.stderr[-600:]
    last = done.stderr.strip().splitlines()[-1]
    assert "Traceback" not in done.stderr and last.startswith("digest: configuration: "), done.stderr[-600:]
    if case == "pasted-line-break":
        assert "DIGEST_FEED_TOKEN" in last and "control character" in last and "abcdef" not in done.stderr
    if case == "space-inside":
        assert "DIGEST_ADMIN_TOKEN holds a space inside it" in last and "abcdef" not in done.stderr


def test_config_check_warns_of_a_base_url_with_a_path_and_of_publishing_without_git(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[web]\nbase_url = "https://example.org/digest/"\n[publish]\nrepository = "https://example.org/o/l.git"\n'
    )
    done = run_digest(
        tmp_path, "--config", str(config), "--data-dir", str(tmp_path / "data"), "config", "check", PATH="/nowhere"
    )
    assert "has a path" in done.stdout + done.stderr
    assert "git is not installed" in done.stdout + done.stderr


def test_config_check_says_the_git_found_is_too_old_to_publish_with(tmp_path: Path) -> None:
    """git older than 2.31 (Debian 11's 2.30.2) fails every publish (it ignores the settings the service gives its
    clone), yet config check said 'publish: on' and nothing else: the problem was met only at the first approval."""
    config = tmp_path / "config.toml"
    config.write_text('[publish]\nrepository = "https://example.org/o/l.git"\n')
    old = tmp_path / "old-git"
    old.mkdir()
    (old / "git").write_text('#!/bin/sh\n[ "$1" = "--version" ] && echo "git version 2.30.2" && exit 0\nexit 1\n')
    (old / "git").chmod(0o755)
    arguments = ("--config", str(config), "--data-dir", str(tmp_path / "data"), "config", "check")
    done = run_digest(tmp_path, *arguments, PATH=f"{old}:/usr/bin:/bin")
    said = done.stdout + done.stderr
    assert done.returncode == 1 and "git 2.30.2" in said and "2.31 or newer" in said, said


def test_the_image_has_git_for_publishing() -> None:
    runtime = (ROOT / "Dockerfile").read_text(encoding="utf-8").split("AS runtime", 1)[1]
    installs = " ".join(line for line in runtime.splitlines() if "apt-get install" in line)
    assert "git" in installs.split() and "openssh-client" in installs.split()
