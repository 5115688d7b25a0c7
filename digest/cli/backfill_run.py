"""`digest backfill` run: the backfill, its last lines, and a stop (Ctrl-C, SIGTERM, a closed terminal's SIGHUP) that
ends it after the page in hand, saying where it got and the command that goes on from there."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from digest.cli import INTERRUPTED_STATUS
from digest.cli.context import CommandError, Context, print_json
from digest.sizes import counted

if TYPE_CHECKING:
    from digest.arxiv.backfill_pages import BackfillReport
    from digest.config import Settings
    from digest.storage.db import Database

DEFAULT_PAGE_SIZE = 100


def handle_backfill(args: argparse.Namespace, context: Context) -> int:
    import asyncio

    from digest.arxiv.backfill_lock import BackfillRunningError, backfilling_alone
    from digest.cli.logs import setup_logging
    from digest.clock import utc_now

    settings = context.settings
    setup_logging(settings.log_level, settings.log_format)
    database = context.database  # first: its checks say what is wrong with the data folder
    try:  # a second backfill beside this one would ask arXiv for the same pages again
        with backfilling_alone(settings.data_dir, utc_now()):
            report, interrupted = asyncio.run(_backfill_until_stopped(args, settings, database))
    except BackfillRunningError as exc:
        raise CommandError(str(exc)) from None
    if interrupted and not report.done:
        print(f"digest: interrupted: {_how_far(report)}; `{resume_command(args)}` resumes it there", file=sys.stderr)
        return INTERRUPTED_STATUS
    if args.json:
        print_json(vars(report))
    else:
        state = "done" if report.done else f"stopped at {report.stopped_at()}"
        print(
            f"backfill {state}: {counted(report.entries, 'paper')} read, {report.matched} matched, "
            f"{report.already_known} already known, {counted(report.new_candidates, 'new candidate')}"
            f" ({counted(report.windows, 'date window')} asked: arXiv's API gives at most 30,000 results a query)"
        )
        if report.by_day:
            print(f"backfill: read a day at a time (over 30,000 papers): {', '.join(report.by_day)}")
        if report.stopped:  # why, once: the place in words, not the API query's URL (the log has it, at DEBUG)
            after = f" after {report.resume_after} UTC" if report.resume_after else ""
            again = f"run the same command again{after} to resume"
            print(f"backfill stopped at {report.stopped_at()}: {report.stopped}; {again}", file=sys.stderr)
    return 0 if report.done else 1


async def _backfill_until_stopped(
    args: argparse.Namespace, settings: Settings, database: Database
) -> tuple[BackfillReport, bool]:
    """The backfill, and whether a signal stopped it: SIGINT, SIGTERM and SIGHUP let the page in hand be judged and
    stored (its place with it), and no further page is asked. SIGTERM and SIGHUP killed it on the spot, silent."""
    import asyncio
    import signal

    from digest.arxiv.backfill import backfill
    from digest.arxiv.fetcher import STOP_WAITING

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    token = STOP_WAITING.set(stop)  # the backfill's fetcher is made in this task's context: it sees the stop
    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    try:
        for signum in signals:
            loop.add_signal_handler(signum, stop.set)
        catching = True
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread: Ctrl-C stays KeyboardInterrupt
        catching = False
    try:
        report = await backfill(settings, database, args.since, page_size=args.page_size, progress=sys.stderr)
        return report, stop.is_set()
    finally:
        if catching:
            for signum in signals:
                loop.remove_signal_handler(signum)
        STOP_WAITING.reset(token)


def _how_far(report: BackfillReport) -> str:
    read = f"{counted(report.entries, 'paper')} read, {counted(report.new_candidates, 'new candidate')}"
    return f"backfill stopped at {report.stopped_at()} ({read})"


def resume_command(args: argparse.Namespace) -> str:
    """The command that goes on where this one stopped: this one, its global options included."""
    from digest.config.invocation import digest_command

    words = ["backfill", "--since", args.since.isoformat()]
    if args.page_size != DEFAULT_PAGE_SIZE:
        words += ["--page-size", str(args.page_size)]
    return digest_command(*words, config=args.config, data_dir=args.data_dir)
