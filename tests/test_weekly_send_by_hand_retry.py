"""What `digest weekly --send` says of an edition it could not send, as a cron job's mail shows it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from digest.vocab import EDITIONS
from tests.cli_runs import digest_command
from tests.config_cmd import write

WHEN = r"\(the service tries again from \d{4}-\d\d-\d\d \d\d:\d\d UTC\)"
UNREACHABLE = r"cannot reach the SMTP server 127\.0\.0\.1:9 \(none\): Connection refused"


def test_an_unsent_edition_is_said_once_with_when_the_service_takes_it_up(tmp_path: Path) -> None:
    """A send by hand to a server that cannot be reached said each edition's failure on stderr ("weekly 2026-W49
    readers: email not sent: ...") and then all of it again in the command's last line; and it said "(next attempt at
    01:32 UTC)", while nothing was scheduled for then (the README: a send by hand that reaches nobody is not retried by
    the service at a time of its own). Now the command's one line (exit status 1) says each edition once, and that the
    service takes it up from the end of its back-off, at its start or its weekly run."""
    config = write(
        tmp_path / "config.toml",
        '[smtp]\nhost = "127.0.0.1"\nport = 9\nsecurity = "none"\nrecipients = ["readers@example.org"]\n'
        'maintainer_recipients = ["ada@example.org"]\n',
    )
    command = [*digest_command(tmp_path), "--config", str(config), "weekly", "--send"]
    sent = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert sent.returncode == 1, sent.stderr
    wrote = sent.stdout.splitlines()  # the Markdown of both editions, and nothing of the email
    assert len(wrote) == 2 and all(re.fullmatch(r"\d{4}-W\d\d: wrote .*\.md", line) for line in wrote), wrote
    assert "next attempt at" not in sent.stdout + sent.stderr
    edition = r"\d{4}-W\d\d: %s' edition email not sent: " + f"{UNREACHABLE} {WHEN}"
    readers, maintainers = (edition % name for name in EDITIONS)
    said = rf"digest: {readers}; {maintainers}\n"
    assert re.fullmatch(said, sent.stderr), sent.stderr
