"""`digest backfill` started as a user starts it, in its own process, for the backfill tests."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.conftest import ROOT
from tests.processes import Started


async def start_backfill(
    started: Started, tmp_path: Path, config: Path, name: str
) -> tuple[asyncio.subprocess.Process, Path]:
    """`digest backfill` since the first of this month, 10 papers a page, in its own process (ended with the test if it
    is still running); standard output and error both go to the log file it returns."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "DISCORD_", "SMTP_"))}
    environment["PYTHONPATH"] = str(ROOT)
    since = f"{datetime.now(UTC):%Y-%m}-01"  # this month: one window, one page
    command = [sys.executable, "-m", "digest", "--config", str(config), "--data-dir", str(tmp_path / "data")]
    log = tmp_path / f"{name}.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            *command, "backfill", "--since", since, "--page-size", "10", cwd=tmp_path, env=environment,
            stdout=output, stderr=output,
        )  # fmt: skip
    return started.add(process), log


async def signal_heard(process: asyncio.subprocess.Process, signum: int, within: float = 30) -> None:
    """Waits until the kernel has handed `signum` to `process` (no longer pending in /proc/PID/status): its handler has
    then run, and the stop is set on the process's loop before any answer sent from here on is read."""
    status = Path(f"/proc/{process.pid}/status")
    bit = 1 << (signum - 1)
    deadline = time.monotonic() + within
    while True:
        fields = dict(line.split(":", 1) for line in status.read_text(encoding="ascii").splitlines())
        if not (int(fields["SigPnd"], 16) | int(fields["ShdPnd"], 16)) & bit:
            return
        assert process.returncode is None, "the process ended before it heard the signal"
        assert time.monotonic() < deadline, f"signal {signum} still pending after {within} s"
        await asyncio.sleep(0.01)
