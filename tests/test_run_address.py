"""`digest run --host/--port`: the links in feeds and emails name the address the service listens on, as `[web] host`
and `port` do when base_url is not set (an IPv6 address in brackets)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

SECRETS = {"DIGEST_SECRET_KEY": "k" * 40, "DIGEST_ADMIN_TOKEN": "a" * 40, "DIGEST_FEED_TOKEN": "f" * 40}


def free_ipv6_loopback_port() -> int:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
            port: int = probe.getsockname()[1]
            return port
    except OSError:
        pytest.skip("this machine has no IPv6 loopback address")


def serve_and_read_feed(tmp_path: Path, config_web: str, *run_args: str) -> tuple[str, str, int]:
    """Start `digest run` with `run_args`, read the public feed on the port it listens on, stop it: feed, log, port."""
    port = free_ipv6_loopback_port()
    config = tmp_path / "config.toml"
    config.write_text(
        '[arxiv]\nsources = ["http://127.0.0.1:9/unused"]\nmin_interval_seconds = 0\n'
        f'api_url = "http://127.0.0.1:9/api/query"\nmax_retries = 0\n[web]\n{config_web}\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "DISCORD_", "SMTP_"))}
    env.update(SECRETS)
    command = [sys.executable, "-m", "digest", "--config", str(config), "--data-dir", str(tmp_path / "data"), "run"]
    log = tmp_path / "service.log"
    with log.open("wb") as output:
        service = subprocess.Popen(
            [*command, *(a.format(port=port) for a in run_args)], env=env, stdout=output, stderr=output
        )
    try:
        deadline = time.monotonic() + 60
        while "ready" not in log.read_text(encoding="utf-8", errors="replace"):
            assert service.poll() is None, log.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, "the service did not start"
            time.sleep(0.1)
        with urllib.request.urlopen(f"http://[::1]:{port}/feeds/list.xml", timeout=30) as answer:
            feed = answer.read().decode()
    finally:
        service.send_signal(signal.SIGTERM)
        assert service.wait(timeout=30) == 0
    return feed, log.read_text(encoding="utf-8"), port


def test_run_with_an_ipv6_host_links_to_it_in_brackets_and_does_not_call_it_another_machine(tmp_path: Path) -> None:
    feed, log, port = serve_and_read_feed(tmp_path, "", "--host", "::1", "--port", "{port}")

    assert f"<link>http://[::1]:{port}/</link>" in feed
    assert "plain http" not in log  # ::1 is this machine: nothing crosses the network


def test_run_with_another_port_moves_the_links_of_an_ipv6_host_from_the_config(tmp_path: Path) -> None:
    feed, log, port = serve_and_read_feed(tmp_path, 'host = "::1"', "--port", "{port}")

    assert f"<link>http://[::1]:{port}/</link>" in feed
    assert f"serving the list on http://[::1]:{port}/" in log
