"""What `digest weekly --send` says of an edition it could not send, as a cron job's mail shows it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.cli_runs import digest_command
from tests.config_cmd import write


def test_an_unsent_edition_by_hand_says_when_the_service_takes_it_up_not_a_time_nothing_keeps(tmp_path: Path) -> None:
    """A send by hand to a server that cannot be reached said "(next attempt at 01:32 UTC)", while nothing was
    scheduled for then (the README: a send by hand that reaches nobody is not retried by the service at a time of its
    own). The edition is recorded failed, and the service takes it up from the back-off's end, at its start or its
    weekly run: the line now says so."""
    config = write(
        tmp_path / "config.toml",
        '[smtp]\nhost = "127.0.0.1"\nport = 9\nsecurity = "none"\nrecipients = ["readers@example.org"]\n',
    )
    command = [*digest_command(tmp_path), "--config", str(config), "weekly", "--send", "--edition", "readers"]
    sent = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert sent.returncode == 1, sent.stderr
    assert "next attempt at" not in sent.stdout + sent.stderr
    logged = [line for line in sent.stderr.splitlines() if line.startswith("weekly ")]
    assert len(logged) == 1, sent.stderr
    when = r"\(the service tries again from \d{4}-\d\d-\d\d \d\d:\d\d UTC\)"
    assert re.fullmatch(rf"weekly \d{{4}}-W\d\d readers: email not sent: cannot reach .* {when}", logged[0]), logged
