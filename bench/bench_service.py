"""Start-up time and idle memory of `digest run`, with the Discord bot on, measured in one run.

Starts the real service as a subprocess on a fresh data folder (so the first start imports the bundled list), with
arXiv answered by a local server serving a real recorded feed and Discord by the test fake, and measures:
  - the time from spawning the process to the first 200 on `/` (target: under 3 s),
  - the resident memory once the bot is connected and the first poll is done (target: under 150 MB),
  - the time SIGTERM takes to stop it,
and prints each against a bare Python interpreter measured the same way in the same run.

    .venv/bin/python bench/bench_service.py
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.arxiv_server import ArxivServer  # noqa: E402
from tests.fake_discord import FakeDiscord  # noqa: E402
from tests.smtp_server import free_port  # noqa: E402

IDLE_SECONDS = 5.0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


async def wait_for(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(answers, url):
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: {url} did not answer in {timeout} s")
        await asyncio.sleep(0.02)


async def bare_python() -> tuple[float, float]:
    """Spawn-to-ready time and resident memory of an interpreter that only starts and waits."""
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import sys, time; print('ready', flush=True); time.sleep(30)",
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    await process.stdout.readline()
    elapsed = time.monotonic() - started
    memory = rss_mb(process.pid)
    process.kill()
    await process.wait()
    return elapsed, memory


async def service(folder: Path) -> tuple[float, float, float]:
    fake = FakeDiscord()
    await fake.start()
    port = free_port()
    try:
        async with ArxivServer() as arxiv:
            feed = arxiv.serve_file("/rss/cs.CL", "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml")
            config = folder / "config.toml"
            config.write_text(
                f'data_dir = "{folder / "data"}"\n[arxiv]\nsources = ["{feed}"]\n[web]\nport = {port}\n'
                + fake.config_toml(),
                encoding="utf-8",
            )
            environment = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "DISCORD_"))}
            environment["DISCORD_TOKEN"] = "bench.discord.token"
            started = time.monotonic()
            with (folder / "service.log").open("wb") as log:
                process = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "digest", "--config", str(config), "run",
                    cwd=folder, env=environment, stdout=log, stderr=asyncio.subprocess.STDOUT,
                )  # fmt: skip
            await wait_for(f"http://127.0.0.1:{port}/")
            first_page = time.monotonic() - started
            await asyncio.wait_for(fake.identified.wait(), timeout=30)
            # The first poll (and the model it trains) is over when the service says it has caught up.
            deadline = time.monotonic() + 120
            while b"start-up: caught up" not in (folder / "service.log").read_bytes():
                if time.monotonic() > deadline:
                    raise SystemExit(f"bench: the first poll did not finish; see {folder / 'service.log'}")
                await asyncio.sleep(0.1)
            await asyncio.sleep(IDLE_SECONDS)
            memory = rss_mb(process.pid)
            stopping = time.monotonic()
            process.send_signal(signal.SIGTERM)
            status = await asyncio.wait_for(process.wait(), timeout=30)
            stop_time = time.monotonic() - stopping
            if status != 0:
                raise SystemExit(f"bench: the service exited with {status}; see {folder / 'service.log'}")
            return first_page, memory, stop_time
    finally:
        await fake.close()


async def main() -> None:
    bare_start, bare_memory = await bare_python()
    with tempfile.TemporaryDirectory() as folder:
        first_page, memory, stop_time = await service(Path(folder))
    print("digest run, fresh data folder, Discord bot on (fake Discord on loopback)")
    print(f"  first page served after spawn : {first_page:6.2f} s   target < 3 s   ({first_page / 3:.2f} of target)")
    print(f"  bare interpreter start        : {bare_start:6.2f} s   service / bare = {first_page / bare_start:.1f}x")
    print(f"  idle resident memory          : {memory:6.1f} MB  target < 150 MB ({memory / 150:.2f} of target)")
    print(f"  bare interpreter memory       : {bare_memory:6.1f} MB  service / bare = {memory / bare_memory:.1f}x")
    print(f"  SIGTERM to exit               : {stop_time:6.2f} s")


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    asyncio.run(main())
