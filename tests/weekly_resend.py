"""The set-up of the `digest weekly --send --again` tests: the week filled, a mail server on 127.0.0.1 (aiosmtpd) and
the readers' edition of 2026-W48 sent once through the command."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from digest.cli import main
from digest.config import Settings
from digest.storage.db import Database
from tests.smtp_server import Inbox, free_port, smtp_server
from tests.weekly_data import fill_week
from tests.weekly_email import smtp_config


def readers_send(config: Path, settings: Settings, *more: str) -> list[str]:
    """`digest weekly --send` of 2026-W48's readers' edition (`more`: `--again`), as arguments to main."""
    week = ["weekly", "--week", "2026-W48", "--edition", "readers", "--send", *more]
    return ["--config", str(config), "--data-dir", str(settings.data_dir), *week]


@contextmanager
def sent_once(database: Database, settings: Settings, tmp_path: Path) -> Iterator[tuple[Path, Inbox]]:
    """The readers' edition sent once, the mail server still up: the settings file and the inbox."""
    fill_week(database, settings)
    port = free_port()
    config = smtp_config(tmp_path, port)
    inbox = Inbox()
    with smtp_server(inbox, port):
        assert main(readers_send(config, settings)) == 0
        yield config, inbox
