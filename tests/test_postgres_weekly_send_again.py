"""`digest weekly --send --again` on PostgreSQL: the command "already sent on ..." prints names the database as the
service has it, and run as printed it sends the edition once more (a real PostgreSQL cluster, aiosmtpd on
127.0.0.1)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from digest.cli import main
from tests.conftest import make_settings
from tests.postgres_server import running_postgres
from tests.smtp_server import Inbox, smtp_server
from tests.weekly_mail_delivery import READER, config

WEEK = "2026-W45"


def test_the_printed_command_sends_the_edition_again_from_postgresql(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = Inbox()
    with running_postgres() as server, server.fresh_database() as url, smtp_server(inbox) as port:
        monkeypatch.setenv("DIGEST_DATABASE_URL", url)
        settings = make_settings(tmp_path / "data", config(port, maintainers=()), environ={"DIGEST_DATABASE_URL": url})
        argv = ["--config", str(settings.config_path), "--data-dir", str(settings.data_dir)]
        send = [*argv, "weekly", "--week", WEEK, "--edition", "readers", "--send"]
        assert main(send) == 0
        assert capsys.readouterr().out.endswith(f"{WEEK}: sent to {READER}\n")
        assert main(send) == 0
        said = capsys.readouterr().out.splitlines()[-1]
        printed = re.search(r"; `([^`]+)` sends it again$", said)
        assert printed is not None, said
        variable, *command = shlex.split(printed.group(1))
        assert variable == f"DIGEST_DATABASE_URL={url}"  # the service's database: no password to hide here
        assert command[0] == "digest" and command[-2:] == ["--send", "--again"]
        assert main(command[1:]) == 0
        assert capsys.readouterr().out.splitlines()[-1].startswith(f"{WEEK}: sent to {READER} (again: first sent on ")
        assert main(send) == 0
        assert capsys.readouterr().out.splitlines()[-1].startswith(f"{WEEK}: already sent on ")
    assert len(inbox.messages) == 2
