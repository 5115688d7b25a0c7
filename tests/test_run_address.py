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

from tests.kept_model import with_kept_model
from tests.processes import Spawned

SECRETS = {"DIGEST_SECRET_KEY": "k" * 40, "DIGEST_ADMIN_TOKEN": "a" * 40, "DIGEST_FEED_TOKEN": "f" * 40}


def free_ipv6_loopback_port() -> int:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
            port: int = probe.getsockname()[1]
            return port
    except OSError:
        pytest.skip("this machine has no IPv6 loopback address")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def serve_and_read_feed(
    spawned: Spawned, tmp_path: Path, kept_model: Path, config_web: str, *run_args: str, at: str = "[::1]"
) -> tuple[str, str, int]:
    """Start `digest run` with `run_args` on a data folder holding the `kept_model` cache (the first start's poll
    builds no model: not what these tests are about), read the public feed on the port it listens on (at the address
    `at`), stop it: feed, log, port."""
    port = free_ipv6_loopback_port() if at == "[::1]" else free_port()
    config = tmp_path / "config.toml"
    config.write_text(
        '[arxiv]\nsources = ["http://127.0.0.1:9/unused"]\nmin_interval_seconds = 0\n'
        f'api_url = "http://127.0.0.1:9/api/query"\nmax_retries = 0\n[web]\n{config_web}\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "DISCORD_", "SMTP_"))}
    env.update(SECRETS)
    data = with_kept_model(tmp_path / "data", kept_model)
    command = [sys.executable, "-m", "digest", "--config", str(config), "--data-dir", str(data), "run"]
    log = tmp_path / "service.log"
    with log.open("wb") as output:
        service = spawned.add(
            subprocess.Popen(
                [*command, *(a.format(port=port) for a in run_args)], env=env, stdout=output, stderr=output
            )
        )
    try:
        deadline = time.monotonic() + 60
        while "ready" not in log.read_text(encoding="utf-8", errors="replace"):
            assert service.poll() is None, log.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, "the service did not start"
            time.sleep(0.1)
        with urllib.request.urlopen(f"http://{at}:{port}/feeds/list.xml", timeout=30) as answer:
            feed = answer.read().decode()
    finally:
        service.send_signal(signal.SIGTERM)
        assert service.wait(timeout=30) == 0
    return feed, log.read_text(encoding="utf-8"), port


def test_run_with_an_ipv6_host_links_to_it_in_brackets_and_does_not_call_it_another_machine(
    tmp_path: Path, kept_model: Path, spawned: Spawned
) -> None:
    feed, log, port = serve_and_read_feed(spawned, tmp_path, kept_model, "", "--host", "::1", "--port", "{port}")

    assert f"<link>http://[::1]:{port}/</link>" in feed
    assert "plain http" not in log  # ::1 is this machine: nothing crosses the network


def test_run_with_another_port_moves_the_links_of_an_ipv6_host_from_the_config(
    tmp_path: Path, kept_model: Path, spawned: Spawned
) -> None:
    feed, log, port = serve_and_read_feed(spawned, tmp_path, kept_model, 'host = "::1"', "--port", "{port}")

    assert f"<link>http://[::1]:{port}/</link>" in feed
    assert f"serving the list on http://[::1]:{port}/" in log


@pytest.mark.parametrize("host", ["0.0.0.0", " 0.0.0.0 "])
def test_run_on_every_address_says_that_its_links_name_this_machine_alone(
    tmp_path: Path, kept_model: Path, host: str, spawned: Spawned
) -> None:
    """`digest run --host 0.0.0.0` without [web] base_url serves other machines, but its feeds and emails link to
    http://127.0.0.1, which they cannot open, and the start said nothing of it (`config check` said the links used
    http://0.0.0.0:8080, which no browser opens either): the start warns, and names the setting. A host given with
    space around it (quoted in a unit file or script) is that host, as [web] host " 0.0.0.0" is."""
    feed, log, port = serve_and_read_feed(
        spawned, tmp_path, kept_model, "", "--host", host, "--port", "{port}", at="127.0.0.1"
    )

    assert f"<link>http://127.0.0.1:{port}/</link>" in feed
    warning = [line for line in log.splitlines() if "WARNING" in line and "web.base_url" in line]
    assert len(warning) == 1 and "which other machines cannot open: set [web] base_url" in warning[0], log


@pytest.mark.parametrize("host", ["", "  "])
def test_run_with_a_blank_host_is_refused_in_one_line(tmp_path: Path, host: str) -> None:
    """`digest run --host "$HOST"` with HOST unset listened on [web] host or 127.0.0.1 saying nothing of it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "DISCORD_", "SMTP_"))}
    command = [sys.executable, "-m", "digest", "--data-dir", str(tmp_path / "data"), "run", "--host", host]
    command += ["--port", str(free_port())]  # were it not refused, it would listen on a port no one else uses
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.splitlines()[-1].endswith(
        f"argument --host: {host!r} is no address: give the one to listen on, as 127.0.0.1 or 0.0.0.0"
    ), done.stderr


def test_run_on_a_port_another_process_holds_stops_with_the_data_folder_as_it_was(tmp_path: Path) -> None:
    """`digest run` on a taken port said "cannot listen" only after it had rewritten a list.md edited by hand (keeping
    the edit as list.md.1 and list.md.edited.1) and upgraded the database: the address is bound before any of that,
    and the start stops in one line with the folder's files as they were (the service's lock files apart: they name
    the pid of the last service that took the folder)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "DISCORD_", "SMTP_"))}
    env.update(SECRETS)
    data = tmp_path / "data"
    made = subprocess.run(
        [sys.executable, "-m", "digest", "--data-dir", str(data), "list", "export", "-o", str(tmp_path / "out.md")],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    with (data / "list.md").open("a", encoding="utf-8") as listing:
        listing.write("\nA line a maintainer added by hand.\n")
    locks = {"service.lock", ".digest.sqlite3.service.lock"}
    before = {path.name: path.read_bytes() for path in data.iterdir() if path.name not in locks}
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        command = [sys.executable, "-m", "digest", "--data-dir", str(data), "run", "--port", str(port)]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines() == [f"digest: cannot listen on 127.0.0.1:{port}: Address already in use"]
    assert {path.name: path.read_bytes() for path in data.iterdir() if path.name not in locks} == before
