"""The commands that set their own log up (`digest run`, `poll`, `publish`, `backfill`) leave the handlers they did not
install on the root logger: a program embedding the package, or a test, keeps receiving what they log."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from digest.cli import main

CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens on it here


def test_a_handler_already_on_the_root_logger_still_receives_a_polls_warnings(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """`digest poll` run in-process (`digest.cli.main`) took every handler off the root logger while it ran, pytest's
    caplog and an embedding program's own among them: the poll's warning that its source could not be reached
    reached none of them. It now takes off only the handler it put there itself."""
    config = tmp_path / "config.toml"
    config.write_text(
        f'[arxiv]\ncontact = "m@example.net"\nsources = ["{CLOSED}/rss/cs.IR"]\napi_url = "{CLOSED}/api/query"\n'
        "min_interval_seconds = 0\nmax_retries = 0\n",
        encoding="utf-8",
    )
    caplog.set_level(logging.WARNING)
    assert main(["--config", str(config), "--data-dir", str(tmp_path / "data"), "poll"]) == 1
    warnings = [(r.name, r.getMessage()) for r in caplog.records if r.levelno == logging.WARNING]
    said = f"poll {CLOSED}/rss/cs.IR: cannot connect to 127.0.0.1:9 (connection refused) after 1 attempt"
    assert ("digest.arxiv.poller", said) in warnings, warnings
