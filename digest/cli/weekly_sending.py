"""What surrounds `digest weekly --send`: a stop (Ctrl-C, SIGTERM) that ends it after the mail in flight, and each
edition's outcome said once, by the command, with how to send an edition sent already once more."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from digest.config import Settings
    from digest.weekly.issue import IsoWeek
    from digest.weekly.outcome import SendOutcome


@contextmanager
def outcomes_said_here() -> Iterator[None]:
    """Each edition's outcome is this command's own line (stdout, or the failure on stderr with exit status 1): the
    weekly send's log line of it said it again, on stderr, before it (twice in each cron mail)."""
    import logging

    from digest.vocab import OUTCOME_LINE

    def unsaid(record: logging.LogRecord) -> bool:
        return not getattr(record, OUTCOME_LINE, False)

    sending = logging.getLogger("digest.weekly.store")
    sending.addFilter(unsaid)
    try:
        yield
    finally:
        sending.removeFilter(unsaid)


@contextmanager
def stopped_by_signal() -> Iterator[threading.Event]:
    """An event the first Ctrl-C or SIGTERM sets, for the send to end after the batch of mail in flight; a second one
    acts as before (it stops at once, leaving the edition claimed for an hour). Killed mid-call, the command had
    recorded nobody and held the claim, and the edition then went again to the readers it had reached."""
    import signal

    stop = threading.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    before: dict[int, Any] = {}

    def restore() -> None:
        for signum, handler in before.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        before.clear()

    def stopping(_signum: int, _frame: Any) -> None:
        print(
            "digest: stopping after the mail in flight: who got it is recorded, the others stay owed it (again to "
            "stop at once)",
            file=sys.stderr,
        )
        stop.set()
        restore()

    try:
        for signum in signals:
            before[signum] = signal.signal(signum, stopping)
    except ValueError:  # not the main thread (the command called in-process): the signals stay as they were
        restore()
    try:
        yield stop
    finally:
        restore()


def outcome_line(settings: Settings, outcome: SendOutcome, label: str, editions: int) -> tuple[str, bool]:
    """What the command says of an edition's outcome (`label`: which edition, when both may be sent; `editions`: how
    many the command sends), and whether it is a failure (the command's last line, exit status 1)."""
    from digest.config.invocation import noted
    from digest.weekly.outcome import sent_again_line

    week = outcome.week
    if outcome.status == "off" and editions > 1:
        return f"{week}:{label} not emailed: {outcome.message}", False
    if outcome.status in ("off", "failed", "busy", "stopped"):
        # Recorded failed: nothing is scheduled for the end of its back-off; the service takes it up from then.
        retry = f" (the service tries again from {outcome.retry_at:%Y-%m-%d %H:%M} UTC)" if outcome.retry_at else ""
        return noted(f"{week}:{label} email not sent: {outcome.message}{retry}"), True
    if outcome.status in ("unrecorded", "not-sent-yet"):  # sent and not on record (not "not sent"); --again refused
        return f"{week}:{label} {outcome.message}", True
    again = f"; {sent_again_line(settings, week, outcome.edition)}" if outcome.status == "already-sent" else ""
    return noted(f"{week}:{label} {outcome.message}{again}"), False


def interrupted_line(
    settings: Settings, week: IsoWeek, failures: list[str], left: Sequence[str], partly: bool, *, again: bool
) -> str:
    """What follows "digest: interrupted" (Ctrl-C, SIGTERM): what is left and the command that sends it, run as
    printed (here). An edition `--again` did not come to was not forgotten: plain --send would call it sent, so its
    own command is --again's."""
    from digest.config.invocation import noted, same_invocation

    unsent = failures + ([] if again else [f"{week}: the {edition}' edition was not sent" for edition in left])
    if partly and not unsent:
        unsent = [f"{week}: the readers not yet reached are named above"]
    said = []
    if unsent:
        left_over = same_invocation(settings, "weekly", "--week", str(week), "--send")
        said.append(f"{'; '.join(unsent)} (`{left_over}` sends what is left)")
    for edition in left if again else []:
        command = same_invocation(settings, "weekly", "--week", str(week), "--edition", edition, "--send", "--again")
        said.append(f"{week}: the {edition}' edition was not sent again (`{command}` sends it again)")
    # A stop that came as the last batch went out left nothing unsent: said so, not a bare "interrupted".
    return noted(f": {'; '.join(said)}") if said else " after the send had ended: nothing is left unsent"


def rest_unsent(
    settings: Settings, week: str, sent: Sequence[str], edition: str, exc: Exception, *, again: bool
) -> str:
    """The database failing (a full disk) at an edition's send after `sent` went out in this run: those are on record
    (a send again says "already sent"), so the line every command gives, "nothing was changed", would have the operator
    think the readers were not sent theirs. Under `--again` the rest's own command is --again's."""
    from digest.cli.program import database_failure
    from digest.config.invocation import noted, same_invocation

    flags = ("--edition", edition, "--send", "--again") if again else ("--send",)
    command = same_invocation(settings, "weekly", "--week", week, *flags)
    went = " and ".join(f"the {name}' edition" for name in sent)
    changed = f"{went} printed above went out and {'is' if len(sent) == 1 else 'are'} on record; the {edition}' edition"
    return noted(database_failure(exc, f"{changed} was not sent: `{command}` sends it", settings.database_url))
