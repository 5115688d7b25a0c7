"""`digest publish [--dry-run] | --status`: the list to its git repository by hand, and where publishing stands."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from digest.cli import INTERRUPTED_STATUS
from digest.cli.context import CommandError, Context, FeatureOffError
from digest.sizes import counted
from digest.text import one_line
from digest.vocab import decided_by

if TYPE_CHECKING:
    from digest.storage.db import Database

# A systemd stop, timeout(1) or a container stop (SIGTERM) and a closed terminal (SIGHUP) killed the command on the
# spot, and its git (a session of its own, out of reach of the signal) went on fetching with the clone's lock files.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "publish",
        help="commit the pending decisions to the list's git repository now (--dry-run prints the diff)",
        description="Fetches the list's repository, brings hand edits there back into the database, renders the "
        "list and commits and pushes it when it changed ([publish] in the config). Exit status 1 when publishing "
        "failed or was stopped by the upstream file, 130 when Ctrl-C or SIGTERM stopped it (git is ended with it).",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the diff that would be pushed; change nothing")
    parser.add_argument("--status", action="store_true", help="last published commit, pending decisions, last error")
    parser.add_argument(
        "--accept-upstream",
        action="store_true",
        help="take an edit upstream that removes many entries at once, or a history rewritten there from scratch, "
        "or start a new empty repository with the list (held for a maintainer otherwise)",
    )
    parser.set_defaults(handler=handle_publish)


def handle_publish(args: argparse.Namespace, context: Context) -> int:
    if args.status and (args.dry_run or args.accept_upstream):
        # --status only shows where publishing stands: with a flag of a run, the run's flag was silently dropped.
        given = " ".join(
            flag for flag, on in (("--dry-run", args.dry_run), ("--accept-upstream", args.accept_upstream)) if on
        )
        print(
            f"digest publish: --status only shows where publishing stands: give it alone, or {given} alone",
            file=sys.stderr,
        )
        return 2
    publish = context.settings.publish
    if not publish.enabled:
        raise FeatureOffError("publishing is off: set [publish] repository in the config (see config.example.toml)")
    if args.status:
        context.reading_only = True  # a read-only or full data folder still shows where publishing stands
        return print_status(context)
    from digest.cli.logs import setup_logging
    from digest.config.invocation import noted, same_invocation
    from digest.publish.pull_publisher import publisher_for
    from digest.publish.results import BLOCKED, FAILED

    # The publisher logs each finding, and a real run its failure, as the service's log shows them: said once here.
    # What it pushed is printed below, not logged too.
    setup_logging(context.settings.log_level, context.settings.log_format, outcome_printed=True)
    database, scratch = _database_for(args.dry_run, context)
    publisher = publisher_for(database, context.settings)
    publisher.git.by_hand = same_invocation(context.settings, "publish")  # not tried again: its line says to run it
    try:
        with _signals_as_ctrl_c():
            result = publisher.publish(dry_run=args.dry_run, accept_upstream=args.accept_upstream)
    except KeyboardInterrupt:  # git's group was ended on the way out (GitProcesses.run); a transaction rolled back
        kept = "nothing was pushed" if args.dry_run else "the pending decisions are kept for the next publish"
        print(f"digest: interrupted: the publish stopped; {kept}", file=sys.stderr)
        return INTERRUPTED_STATUS
    finally:
        if scratch:
            database.dispose()
    if result.outcome in (BLOCKED, FAILED):
        if not args.dry_run:
            return 1
        raise CommandError(noted(f"publish: {result.message}"))
    if args.dry_run:
        if result.diff:  # upstream lines around the change may hold terminal controls: shown inert
            from digest.text import terminal_lines

            sys.stdout.write(terminal_lines(result.diff))
        print(noted(f"dry run: {result.message}; nothing was pushed"), file=sys.stderr)
        return 0
    print(noted(result.message))
    return 0


def _database_for(dry_run: bool, context: Context) -> tuple[Database, bool]:
    """The database to publish from, and whether it is a copy to dispose of. A dry run writes nothing in the data
    folder (its clone is a temporary one): a folder this user cannot write (or a full disk) still shows the diff, its
    merge tried and rolled back in a copy of the database; a folder with no database yet is left so."""
    context.reading_only = context.dry_run = dry_run
    database = context.database
    if not context.opened_read_only:
        return database, False
    from digest.storage.snapshot import scratch_copy

    return scratch_copy(database), True


def print_status(context: Context) -> int:
    from digest.config.invocation import noted, same_invocation
    from digest.config.publish import away_line
    from digest.publish.store import read_status

    publish = context.settings.publish
    status = read_status(context.database, context.settings.templates_dir)
    print(f"repository: {publish.repository} ({publish.branch}:{publish.path}, {publish.mode} mode)")
    away = away_line(publish.repository, by_hand=same_invocation(context.settings, "publish"))
    if away:
        print(noted(f"unreachable now: {away}"))
    if status.published_commit and status.published_at:
        print(f"last published: {status.published_commit} on {status.published_at:%Y-%m-%d %H:%M} UTC")
    else:
        print("last published: nothing yet")
    if publish.mode == "pull-request":
        pull = f"#{status.pull_number} from {status.pull_branch}" if status.pull_number else "none open"
        print(f"pull request: {pull}")
    print(f"pending decisions: {len(status.pending)}")
    # The list's headings as its maintainer wrote them, reviewers' names and what a remote said: each shown on one
    # line without a bidi override reversing the rest of it.
    for item in status.pending:
        where = f" into {one_line(item.section)}" if item.section else ""
        print(f"  {item.action} {item.arxiv_id}{where} by {one_line(decided_by(item.actor, item.channel))}")
    if status.last_error:
        print(f"last error ({counted(status.failures, 'failed attempt')} in a row): {one_line(status.last_error)}")
    else:
        print("last error: none")
    return 0


@contextmanager
def _signals_as_ctrl_c() -> Iterator[None]:
    """SIGTERM and SIGHUP stop the publish as Ctrl-C does (KeyboardInterrupt: git's process group is ended, not left
    running). A repeat while git is being ended is ignored, so that its end (or kill) is not cut short. A signal already
    ignored (`nohup digest publish`) stays ignored."""
    told = False

    def stopping(_signum: int, _frame: Any) -> None:
        nonlocal told
        if not told:
            told = True
            raise KeyboardInterrupt

    before: dict[int, Any] = {}
    try:
        for signum in STOP_SIGNALS:
            if signal.getsignal(signum) is not signal.SIG_IGN:
                before[signum] = signal.signal(signum, stopping)
    except ValueError:  # not the main thread (the command called in-process): the signals stay as they were
        pass
    try:
        yield
    finally:
        for stopper, handler in before.items():
            signal.signal(stopper, signal.SIG_DFL if handler is None else handler)
