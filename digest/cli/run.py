"""`digest run`: the whole service in one process (web, scheduler, Discord), or one poll with --once."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from digest.cli.context import CommandError, Context, FeatureOffError, shown_value, whole_number

if TYPE_CHECKING:
    from digest.config import Settings


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run the service: web pages and feeds, scheduled arXiv polls and weekly digest, Discord review",
        description="Run the service until SIGTERM or Ctrl-C. Discord and email are on when configured.",
    )
    parser.add_argument("--host", type=host_argument, help="address to listen on (default: [web] host, else 127.0.0.1)")
    parser.add_argument("--port", type=port_argument, help="port to listen on (default: [web] port, else 8080)")
    parser.add_argument(
        "--once", action="store_true", help="poll arXiv once, post to Discord if on, and exit (1 unless it went well)"
    )
    parser.set_defaults(handler=handle)


def host_argument(text: str) -> str:
    """An argparse type: the host without the space around it, as [web] host reads one (" 0.0.0.0", quoted in a unit
    file, was no address to listen on); a blank one (`--host "$HOST"`, HOST unset) is refused, not [web] host unsaid."""
    from digest.config.hosts import listening_host_problem

    host = text.strip()
    if not host:
        raise argparse.ArgumentTypeError(f"{text!r} is no address: give the one to listen on, as 127.0.0.1 or 0.0.0.0")
    problem = listening_host_problem(host)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return host


def port_argument(text: str) -> int:
    """An argparse type: a TCP port, as [web] port takes it (a larger one was a traceback from bind())."""
    port = whole_number(text)
    if port is None or not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{shown_value(text)} is not a port: give a port from 1 to 65535")
    return port


def with_address(settings: Settings, host: str | None, port: int | None) -> Settings:
    from digest.config import address_url

    web = settings.web
    derived = web.base_url == address_url(web.host, web.port)
    web = web.model_copy(update={"host": host or web.host, "port": port or web.port})
    if derived:
        web = web.model_copy(update={"base_url": address_url(web.host, web.port)})
    return settings.model_copy(update={"web": web})


def handle(args: argparse.Namespace, context: Context) -> int:
    import asyncio

    from digest.cli.logs import setup_logging
    from digest.relevance.training_place import train_in_child_process  # a leaf: the model's code loads later
    from digest.service.run import INTERRUPTED_STATUS, run_service
    from digest.storage.datalock import DataLockError
    from digest.storage.upgrade import migrate_in_child_process

    settings = with_address(context.settings, args.host, args.port)
    refused = settings.smtp.password_missing or settings.smtp.cleartext_login
    if not args.once and settings.smtp.enabled and refused:
        # The weekly email is switched on without its secret, or would send it in plain text to another machine:
        # said at the start, not at Monday's send. --once starts no scheduler and so sends no mail: as `digest poll`,
        # cron's poll is not refused for a setting only the weekly send reads.
        raise FeatureOffError(refused)
    setup_logging(settings.log_level, settings.log_format, outcome_only=args.once)
    train_in_child_process()
    migrate_in_child_process()
    try:
        status = asyncio.run(run_service(settings, once=args.once))
    except DataLockError as exc:
        raise CommandError(str(exc)) from None
    finally:
        # A caller in the same process (a test) opens databases and trains in place again: training stayed in a
        # child process for every later command of that process.
        train_in_child_process(False)
        migrate_in_child_process(False)
    if status == INTERRUPTED_STATUS:  # --once told to stop (SIGTERM, Ctrl-C) mid-poll
        print("digest: interrupted: the poll stopped; the sources not read are polled next time", file=sys.stderr)
    return status
