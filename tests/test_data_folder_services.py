"""One service per data folder: a second service (in this process, from another data folder on the same SQLite
database, or a second `digest run`) is refused naming the first one's pid, and may start once the first stops."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from digest.service.process import Service
from digest.storage.datalock import DataLockError
from tests.conftest import make_settings
from tests.data_folders import SECRETS
from tests.processes import Started


@pytest.mark.asyncio
async def test_a_second_service_on_one_folder_is_refused_in_process(tmp_path: Path) -> None:
    config = (
        '[arxiv]\nsources = ["http://127.0.0.1:9/unused"]\nmin_interval_seconds = 0\n'
        'api_url = "http://127.0.0.1:9/api/query"\nmax_retries = 0\n'
    )
    settings = make_settings(tmp_path / "data", config)
    first = Service(settings)
    await first.start(serve_web=False)
    try:
        second = Service(settings)
        with pytest.raises(DataLockError, match=f"pid {os.getpid()}"):
            await second.start(serve_web=False)
        await second.stop()
    finally:
        await first.stop()
    third = Service(settings)  # released on stop
    await third.start(serve_web=False)
    await third.stop()


@pytest.mark.asyncio
async def test_a_second_service_on_one_sqlite_database_from_another_data_folder_is_refused(tmp_path: Path) -> None:
    """A config file naming its SQLite database (`database_url`) run with another --data-dir: each folder's lock let
    both services run on the one database, and both polled, posted to Discord and pushed."""
    config = (
        '[arxiv]\nsources = ["http://127.0.0.1:9/unused"]\nmin_interval_seconds = 0\n'
        'api_url = "http://127.0.0.1:9/api/query"\nmax_retries = 0\n'
    )
    settings = make_settings(tmp_path / "data", config)
    first = Service(settings)
    await first.start(serve_web=False)
    try:
        other = make_settings(tmp_path / "other", config, environ={"DIGEST_DATABASE_URL": settings.database_url})
        second = Service(other)
        with pytest.raises(DataLockError, match=f"another digest service \\(pid {os.getpid()}\\) is running on the da"):
            await second.start(serve_web=False)
        await second.stop()
    finally:
        await first.stop()
    third = Service(other)  # released on stop
    await third.start(serve_web=False)
    await third.stop()


@pytest.mark.asyncio
async def test_a_second_digest_run_stops_with_the_first_ones_pid(
    tmp_path: Path, unused_tcp_port: int, started: Started
) -> None:
    data = tmp_path / "data"
    config = tmp_path / "config.toml"
    config.write_text(
        '[arxiv]\nsources = ["http://127.0.0.1:9/unused"]\nmin_interval_seconds = 0\n'
        'api_url = "http://127.0.0.1:9/api/query"\nmax_retries = 0\n'
        f"[web]\nport = {unused_tcp_port}\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "DISCORD_", "SMTP_"))}
    env.update(SECRETS)
    command = [sys.executable, "-m", "digest", "--config", str(config), "--data-dir", str(data)]
    log = tmp_path / "first.log"
    with log.open("wb") as output:
        first = started.add(
            await asyncio.create_subprocess_exec(*command, "run", env=env, stdout=output, stderr=output)
        )
    try:
        deadline = asyncio.get_running_loop().time() + 60
        while "ready" not in log.read_text(encoding="utf-8", errors="replace"):
            assert first.returncode is None, log.read_text(encoding="utf-8")
            assert asyncio.get_running_loop().time() < deadline, "the first service did not start"
            await asyncio.sleep(0.1)
        second = started.add(
            await asyncio.create_subprocess_exec(
                *command, "run", "--port", str(unused_tcp_port + 1), env=env, stderr=asyncio.subprocess.PIPE
            )
        )
        _, error = await asyncio.wait_for(second.communicate(), timeout=60)
        assert second.returncode == 1
        lines = error.decode().strip().splitlines()
        assert len(lines) == 1 and f"pid {first.pid}" in lines[0], error.decode()
        beside = started.add(
            await asyncio.create_subprocess_exec(*command, "candidates", env=env, stdout=asyncio.subprocess.PIPE)
        )
        await asyncio.wait_for(beside.communicate(), timeout=60)
        assert beside.returncode == 0  # the one-shot commands work beside the service
    finally:
        first.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(first.wait(), timeout=30) == 0
