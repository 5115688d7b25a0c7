"""The mail server's password (SMTP_PASSWORD) is asked for by what sends mail, and by nothing else: a newcomer with
`[smtp] username` set and no password yet could not poll, list the candidates or preview the digest."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from digest.cli import main
from tests.cli_runs import digest_command
from tests.config_cmd import clean_environment as clean_environment  # the fixture, shared
from tests.config_cmd import run, write
from tests.smtp_server import Inbox, free_port, smtp_server

# What to do, said in full: set the password, or remove the login the server does not need.
MISSING = (
    "smtp.username is set but SMTP_PASSWORD is not set (absent or blank): set SMTP_PASSWORD in the environment, or "
    "remove [smtp] username if the mail server takes mail without a login"
)


def _config(folder: Path, port: int = 9) -> Path:
    return write(
        folder / "config.toml",
        '[arxiv]\ncontact = "ada@example.org"\nsources = ["http://127.0.0.1:9/rss/cs.CV"]\nmax_retries = 0\n\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\nusername = "digest"\n'
        'recipients = ["readers@example.org"]\nmaintainer_recipients = ["ada@example.org"]\n',
    )


def test_commands_that_send_no_mail_do_not_ask_for_the_smtp_password(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest poll`, `digest candidates` and `digest weekly --dry-run` exited 2 with "smtp.username is set but
    SMTP_PASSWORD is not set", though none of them sends mail. Nor does `digest run --once` (cron's poll): it starts
    no scheduler, so no weekly send, and is not refused as `digest run` is."""
    config, data = _config(clean_environment), clean_environment / "data"
    base = ["--config", str(config), "--data-dir", str(data)]
    status, out = run(capsys, *base, "candidates")
    assert status == 0, out
    status = main([*base, "weekly", "--dry-run"])
    shown = capsys.readouterr()
    assert status == 0 and shown.out.startswith("# "), shown.err
    assert "SMTP_PASSWORD" not in shown.err
    for command in (["poll"], ["run", "--once"]):
        poll = subprocess.run(
            [*digest_command(clean_environment), *base[:2], *command], capture_output=True, text=True, timeout=120
        )
        # The feed's server is away: the poll fails for that (1), not for the mail's password (2).
        assert poll.returncode == 1, (command, poll.stderr)
        assert "SMTP_PASSWORD" not in poll.stdout + poll.stderr
        assert "127.0.0.1:9" in poll.stdout + poll.stderr


def test_what_sends_mail_asks_for_the_password_and_says_what_to_do(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`weekly --send` refuses before writing anything, `config check` names it a problem, and the service does not
    start (a feature switched on without its secret), each with the line saying what to set."""
    config, data = _config(clean_environment), clean_environment / "data"
    base = ["--config", str(config), "--data-dir", str(data)]
    status = main([*base, "weekly", "--send"])
    assert status == 2
    assert capsys.readouterr().err == f"digest: {MISSING} (nothing was written or sent)\n"
    assert not (data / "weekly").exists()
    status, out = run(capsys, *base, "config", "check")
    assert status == 1, out
    assert f"problem: {MISSING}" in out.splitlines(), out
    port = str(free_port())  # should the service start after all
    command = [*digest_command(clean_environment), *base[:2], "run", "--port", port]
    service = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert service.returncode == 2, service.stderr
    assert service.stderr == f"digest: {MISSING}\n"


def test_a_dry_run_of_the_send_warns_that_it_would_not_log_in(clean_environment: Path) -> None:
    """`weekly --send --dry-run` without SMTP_PASSWORD: a warning of the command's log (time, level) saying what to
    set, the digest and its email shown, and nothing written or sent to the mail server that is there."""
    inbox, port = Inbox(), free_port()
    config, data = _config(clean_environment, port), clean_environment / "data"
    command = [*digest_command(clean_environment), "--config", str(config), "weekly", "--week", "2026-W48"]
    with smtp_server(inbox, port):
        shown = subprocess.run([*command, "--send", "--dry-run"], capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    timed = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d WARNING +digest\.cli\.weekly: "
    assert re.fullmatch(timed + re.escape(f"{MISSING}: --send would not log in\n"), shown.stderr), shown.stderr
    assert shown.stdout.startswith("# ") and "To: readers@example.org" in shown.stdout, shown.stdout
    assert inbox.messages == [] and not (data / "weekly").exists()
