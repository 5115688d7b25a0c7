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

# SIGHUP too: a terminal or ssh session that closed killed the service on the spot, a poll or a weekly send in flight
# cut off where SIGTERM lets it end (the settings are read at start; a restart takes a change in).
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
INTERRUPTED_STATUS = 130  # as `digest poll` and `digest weekly --send` end when told to stop


async def run_service(settings: Settings, *, once: bool = False) -> int:
    """`digest run`: serve until SIGTERM, SIGHUP or Ctrl-C; with once=True poll once and exit (1 unless it was ok,
    130 when a signal stopped it)."""
    service = Service(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in STOP_SIGNALS:
        try:
            loop.add_signal_handler(signum, stop.set)
        except (RuntimeError, ValueError):  # not the main thread (a caller in the same process): signals as they were
            break
    if once:
        return await _poll_once(service, stop)
    try:
        await service.start()
        log.info("ready; stop with Ctrl-C")
        await stop.wait()
        log.info("stopping")
    finally:
        await service.stop()
    return 0


async def _poll_once(service: Service, stop: asyncio.Event) -> int:
    """One poll that a signal ends as it ends the service's: no further source is asked, the answer in flight gets
    the stop's grace, and the run is recorded as interrupted. Killed on the spot by SIGTERM (docker stop, a cron
    job's time-out), it left its run "running" and said nothing."""
    poller.ONE_SHOT.set(True)  # nothing polls again after it (cron may, but that is not ours to promise)
    poll: asyncio.Task[str] | None = None
    try:
        await service.start(schedule=False, serve_web=False)
        if not stop.is_set():
            poll = service.spawn(service.poll("--once"), "poll")
            stopped = asyncio.ensure_future(stop.wait())
            await asyncio.wait({poll, stopped}, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
        if stop.is_set():
            log.info("stopping: no further source is asked; the answer in hand is finished")
    finally:
        await service.stop()  # the poll still running gets the stop's grace, then is cancelled
    if poll is None or poll.cancelled() or poll.result() == PollOutcome.INTERRUPTED:
        return INTERRUPTED_STATUS
    return 0 if poll.result() == PollOutcome.OK else 1
