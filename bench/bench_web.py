"""Requests per second of /feeds/list.xml with the seed list: cold (rendered on every request) vs warm (cached
rendering, and 304 for a reader that already has it), with an aiohttp load generator on loopback.

    .venv/bin/python bench/bench_web.py [--seconds 5] [--concurrency 8]

The server runs in a child process, the load generator in this one. Prints the figures and the
warm/cold ratios of one run (the machine is shared; only the ratios are comparable).
Target: warm at least 20 times the cold rate.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import sys
import tempfile
import time
from multiprocessing.synchronize import Event
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from digest.config import load_settings
from digest.review.reviewer import Reviewer
from digest.service.wiring import open_service_database
from digest.web.app import bound_port, create_web_app, serve

ROUNDS = 5
SECRETS = {
    "DIGEST_SECRET_KEY": "bench-secret-key-0123456789abcdefghij",
    "DIGEST_ADMIN_TOKEN": "bench-admin-token-0123456789abcdef",
    "DIGEST_FEED_TOKEN": "bench-feed-token-0123456789abcdef",
}


async def load(base: str, headers: dict[str, str], seconds: float, concurrency: int, expect: int) -> float:
    """Requests per second that `concurrency` clients sustain for `seconds`."""
    done = 0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(base, connector=connector) as client:

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                async with client.get("/feeds/list.xml", headers=headers) as response:
                    await response.read()
                    if response.status != expect:
                        raise SystemExit(f"bench: expected {expect}, got {response.status}")
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return done / elapsed


def serve_in_child(data_dir: str, ports: multiprocessing.Queue[tuple[int, int]], stop: Event) -> None:
    """The server process: one app rendering every request, one caching; the load comes from the parent."""

    async def run() -> None:
        settings = load_settings(None, Path(data_dir), environ=dict(SECRETS), load_dotenv_file=False)
        database = open_service_database(settings)
        reviewer = Reviewer(database, settings)
        cold = await serve(create_web_app(settings, database, reviewer, cache_feeds=False), "127.0.0.1", 0)
        warm = await serve(create_web_app(settings, database, reviewer), "127.0.0.1", 0)
        ports.put((bound_port(cold), bound_port(warm)))
        while not stop.is_set():
            await asyncio.sleep(0.1)
        await cold.cleanup()
        await warm.cleanup()
        database.dispose()

    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run())


async def main(seconds: float, concurrency: int) -> None:
    context = multiprocessing.get_context("spawn")
    ports: multiprocessing.Queue[tuple[int, int]] = context.Queue()
    stop = context.Event()
    with tempfile.TemporaryDirectory() as tmp:
        # The server runs in its own process so the load generator does not take its CPU time.
        child = context.Process(target=serve_in_child, args=(str(Path(tmp) / "data"), ports, stop))
        child.start()
        try:
            cold_port, warm_port = await asyncio.to_thread(ports.get, True, 120)
            cold_base, warm_base = f"http://127.0.0.1:{cold_port}", f"http://127.0.0.1:{warm_port}"
            async with aiohttp.ClientSession(warm_base) as client, client.get("/feeds/list.xml") as first:
                body = await first.read()
                etag = first.headers["ETag"]
            print(f"feed: {len(body)} bytes, {body.count(b'<item>')} items (seed list), concurrency {concurrency}")
            await load(warm_base, {}, 0.5, concurrency, 200)  # warm-up of connections and code paths
            # Short interleaved rounds, best of each: a burst of load from another user of the machine then
            # hurts every mode alike instead of whichever happened to be running.
            best = {"cold": 0.0, "warm": 0.0, "304": 0.0}
            for _ in range(ROUNDS):
                for mode, base, headers, expect in (
                    ("cold", cold_base, {}, 200),
                    ("warm", warm_base, {}, 200),
                    ("304", warm_base, {"If-None-Match": etag}, 304),
                ):
                    rate = await load(base, headers, seconds / ROUNDS, concurrency, expect)
                    best[mode] = max(best[mode], rate)
            cold, warm, not_modified = best["cold"], best["warm"], best["304"]
        finally:
            stop.set()
            child.join(30)
    print(f"cold (rendered every request): {cold:8.0f} req/s")
    print(f"warm (cached, 200):            {warm:8.0f} req/s   {warm / cold:5.1f}x cold")
    print(f"warm (304 Not Modified):       {not_modified:8.0f} req/s   {not_modified / cold:5.1f}x cold")
    target = "met" if min(warm, not_modified) / cold >= 20 else "NOT met"
    print(f"target warm >= 20x cold: {target}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per mode, split into rounds")
    parser.add_argument("--concurrency", type=int, default=8)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.seconds, arguments.concurrency))
