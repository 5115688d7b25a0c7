"""`digest run`: the service until SIGTERM or Ctrl-C, or one poll with --once."""

from __future__ import annotations

import asyncio
import logging
import signal

from digest.arxiv import poller
from digest.config import Settings
from digest.service.process import Service
from digest.vocab import PollOutcome

log = logging.getLogger("digest.service")


async def run_service(settings: Settings, *, once: bool = False) -> int:
    """`digest run`: serve until SIGTERM, SIGHUP or Ctrl-C; with once=True poll once and exit (1 unless it was ok)."""
    service = Service(settings)
    if once:
        poller.ONE_SHOT.set(True)  # nothing polls again after it (cron may, but that is not ours to promise)
        try:
            await service.start(schedule=False, serve_web=False)
            outcome = await service.poll("--once")
        finally:
            await service.stop()
        return 0 if outcome == PollOutcome.OK else 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # SIGHUP too: a terminal or ssh session that closed killed the service on the spot, a poll or a weekly send in
    # flight cut off where SIGTERM lets it end (the settings are read at start; a restart takes a change in).
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(signum, stop.set)
    try:
        await service.start()
        log.info("ready; stop with Ctrl-C")
        await stop.wait()
        log.info("stopping")
    finally:
        await service.stop()
    return 0
