"""`digest poll`, `digest candidates`, `digest backfill`: arXiv now, what it found, and the past."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from digest.cli.backfill_run import DEFAULT_PAGE_SIZE, handle_backfill
from digest.cli.candidates import handle_candidates
from digest.cli.context import CommandError, Context, iso_date, print_json, shown_value, whole_number
from digest.cli.options import json_option
from digest.vocab import PollOutcome

if TYPE_CHECKING:
    from datetime import date

    from digest.arxiv.poll_report import PollSummary
    from digest.config import Settings


def register(subparsers: Any) -> None:
    poll = subparsers.add_parser(
        "poll",
        help="poll arXiv once now and keep the matching papers as candidates",
        description="One pass over the configured sources, or the given URLs/files (RSS, Atom or API XML).",
    )
    poll.add_argument(
        "--source",
        action="extend",
        nargs="+",
        metavar="URL_OR_PATH",
        type=poll_source,
        help="poll these sources instead of the configured ones (one or more; repeatable)",
    )
    json_option(poll, help="print the summary as JSON")
    poll.set_defaults(handler=handle_poll)

    candidates = subparsers.add_parser(
        "candidates",
        help="list the candidates found on arXiv",
        description="Every candidate the polls, `digest add` and readers' suggestions brought, the newest poll first "
        "and each poll by score, as /review: its id (for approve, reject, pending), status, score, arXiv ID, section "
        "(the suggested one as the list names it now, or where the list holds an approved one now, the name its "
        "approval recorded beside it when that differs) and title. --status pending is what waits for review, and "
        "any paper arXiv withdrew while it waited (marked withdrawn on arXiv).",
    )
    candidates.add_argument(
        "--status", choices=CandidateStatuses(), metavar="STATUS", help="only candidates with this status: %(choices)s"
    )
    candidates.add_argument(
        "--second-tier",
        action="store_true",
        help="also the pending papers just under the review threshold, kept for the weekly digest's 'Worth a look'",
    )
    json_option(candidates, help="print JSON")
    candidates.set_defaults(handler=handle_candidates)

    backfill = subparsers.add_parser(
        "backfill",
        help="search the arXiv API for papers since a date (paged, polite, resumable)",
        description="Pages through the arXiv API for the papers submitted since DATE in the categories the polled "
        "feeds read (feeds/sources.toml or [arxiv] sources; as shipped cs.CV, cs.CL, cs.LG and cs.AI), oldest first; "
        "run again to resume.",
    )
    backfill.add_argument(
        "--since", required=True, type=backfill_since, metavar="YYYY-MM-DD", help="the first submission day to read"
    )
    backfill.add_argument(
        "--page-size",
        type=page_size,
        default=DEFAULT_PAGE_SIZE,
        help=f"papers per API request (default: {DEFAULT_PAGE_SIZE})",
    )
    json_option(backfill, help="print the result as JSON")
    backfill.set_defaults(handler=handle_backfill)


def poll_source(text: str) -> str:
    """An argparse type: a feed's URL or file. A URL holding a user or password is a usage error that does not
    repeat it: a source is logged, printed and kept in the database, as the configured ones are (which refuse it
    too)."""
    from digest.config.values import holds_login
    from digest.text import UNREADABLE, unreadable

    if unreadable(text):
        raise argparse.ArgumentTypeError(f"{text!r} {UNREADABLE} (nothing was polled)")
    if holds_login(text):
        raise argparse.ArgumentTypeError(
            "a source must not hold a user or password: it is logged and kept in the database (nothing was polled)"
        )
    return text


def backfill_since(text: str) -> date:
    """An argparse type: the first day a backfill reads, one arXiv can have papers of, or a usage error in one line.
    A year mistyped asks arXiv for a window it has nothing in: from the future it answers nothing ("done"), from
    centuries ago each month is a request of its own, 3 s apart (and the year, unpadded, is no date to its API)."""
    from datetime import UTC, date, datetime, timedelta

    since = iso_date(text)
    if since > datetime.now(UTC).date() + timedelta(days=1):  # a day ahead: the date of a time zone east of UTC
        raise argparse.ArgumentTypeError(f"{text} is after today: give the first day to read, e.g. 2025-01-01")
    if since < date(1991, 8, 1):
        raise argparse.ArgumentTypeError(
            f"{text} is before arXiv's first papers (August 1991): give the first day to read, e.g. 2025-01-01"
        )
    return since


def page_size(text: str) -> int:
    """An argparse type: papers per API request, 1 to arXiv's limit (the one `[[api]] max_results` has), or a usage
    error (exit 2) in one line."""
    from digest.config.feeds import API_MAX_RESULTS  # here: `digest --help` loads no settings library

    size = whole_number(text)
    if size is None:  # "1e3", "100.0", "abc": argparse's own "invalid int value" said nothing of what is allowed
        raise argparse.ArgumentTypeError(
            f"{shown_value(text)} is not a whole number: give one from 1 to {API_MAX_RESULTS} (arXiv's limit per "
            "request), in the digits 0-9"
        )
    if not 1 <= size <= API_MAX_RESULTS:
        raise argparse.ArgumentTypeError(
            f"{shown_value(text)} is not between 1 and {API_MAX_RESULTS} (arXiv's limit per request)"
        )
    return size


class CandidateStatuses:
    """models.CANDIDATE_STATUSES, read only when argparse checks or shows --status (hence the metavar): the models
    import SQLAlchemy, which `digest --help` and the other commands' parsing should not wait for."""

    def __iter__(self) -> Iterator[str]:
        from digest.storage.models import CANDIDATE_STATUSES

        return iter(CANDIDATE_STATUSES)

    def __contains__(self, value: object) -> bool:
        return value in list(self)


async def _poll_until_interrupted(context: Context, sources: list[str] | None) -> PollSummary:
    """One pass that Ctrl-C ends as a stopping service ends it: no further source is asked, an answer still waiting
    for the relevance model is not stored (its source is read again next time), one being judged finishes, and the
    run is recorded as interrupted. Without this the pass went on to the end in its worker threads and stored
    everything, then said "interrupted"."""
    import asyncio
    import signal

    from digest.arxiv.api import refresh_examples
    from digest.arxiv.fetcher import STOP_WAITING
    from digest.arxiv.poll_lock import polling_alone
    from digest.arxiv.poll_pass import run_poll
    from digest.arxiv.poller import ONE_SHOT
    from digest.arxiv.turns import Stopping
    from digest.clock import utc_now
    from digest.relevance.training_place import end_builds

    stop = Stopping()  # one deadline for every request in flight, fixed by the signal, as the service's stop

    def stopping() -> None:
        if not stop.is_set():
            print("digest: stopping: no further source is asked; the answer in hand is finished", file=sys.stderr)
            stop.set()
            end_builds()  # a model built in place held the exit up (asyncio.run waits for its thread): seconds, or more

    loop = asyncio.get_running_loop()
    token = STOP_WAITING.set(stop)
    ONE_SHOT.set(True)  # asyncio.run's own context: gone with the command's loop
    # SIGTERM (a cron job's time-out, a container stopped) and a closed terminal's SIGHUP too: they killed the pass on
    # the spot, its run left "running" and nothing said.
    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    try:
        for signum in signals:
            loop.add_signal_handler(signum, stopping)
        catching = True
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread: Ctrl-C stays KeyboardInterrupt
        catching = False
    try:
        database = context.database  # first: its checks say what is wrong with the data folder
        # A second pass beside the service's (or another `digest poll`) would ask arXiv everything again.
        with polling_alone(context.settings.data_dir, "digest poll", utc_now()) as held:
            # As the service's poll (service/poll_job.py): the list papers' missing abstracts first, or a new list's
            # model never learns from its own papers when only this command polls.
            left_alone: dict[str, str] = {}  # a host the abstract fetch found dead is not asked again by the poll
            await refresh_examples(context.settings, database, left_alone=left_alone)
            return await run_poll(context.settings, database, sources=sources, left_alone=left_alone, held=held)
    finally:
        if catching:
            for signum in signals:
                loop.remove_signal_handler(signum)
        STOP_WAITING.reset(token)


def _polite_sources(settings: Settings, sources: list[str]) -> None:
    """A source given on the command line is held to the rule the configured ones are: under 3 s apart, none may be
    on arxiv.org (a configuration of mirrors may ask faster)."""
    from pydantic_core import PydanticCustomError

    try:
        settings.arxiv.impolite_to(sources, "--source")
    except PydanticCustomError as exc:
        raise CommandError(exc.message()) from None


def handle_poll(args: argparse.Namespace, context: Context) -> int:
    import asyncio

    from digest.arxiv import poll_runs
    from digest.arxiv.poll_lock import PollRunningError
    from digest.arxiv.poll_sources import SourcesError
    from digest.cli.logs import person_watching, setup_logging
    from digest.relevance.training_place import train_in_child_process

    settings = context.settings
    _polite_sources(settings, args.source or [])
    # The report is the command's output: the poller's line for each feed, said again on stderr, doubled cron's mail.
    setup_logging(settings.log_level, settings.log_format, outcome_only=True)
    from sqlalchemy.exc import SQLAlchemyError

    from digest.storage.failures import failure_line

    train_in_child_process()  # so that a stop can end a model build at once, as the service's does
    try:
        summary = asyncio.run(_poll_until_interrupted(context, args.source or None))
    except (SourcesError, PollRunningError) as exc:
        raise CommandError(str(exc)) from exc
    except SQLAlchemyError as exc:  # the pass's own records (a full disk): "nothing was changed" would be untrue
        line = failure_line(exc, settings.database_url)
        raise CommandError(
            f"cannot write to the database ({line}); what this pass stored before stays, the next poll tries again"
        ) from exc
    finally:
        train_in_child_process(False)  # a caller in the same process (a test) trains in place again
    if summary.outcome == poll_runs.INTERRUPTED:
        done = "; ".join(report.line() for report in summary.sources) or "nothing was stored"
        print(f"digest: interrupted: {done}; the rest is polled next time", file=sys.stderr)
        return 130
    if args.json:
        print_json(summary.to_dict())
    else:
        # From cron a poll that went well is its outcome line alone (one line a day, as `digest run --once` writes);
        # a person at a terminal, and a poll that did not go well, get a line per source too.
        if summary.outcome != PollOutcome.OK or person_watching():
            for report in summary.sources:
                print(report.line())
        print(f"poll {summary}")
    return 0 if summary.outcome == PollOutcome.OK else 1
