"""What surrounds `digest weekly --send`: a stop (Ctrl-C, SIGTERM) that ends it after the mail in flight, and each
edition's outcome said once, by the command; how to send an edition sent already once more."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from digest.config import Settings


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


def sent_again(settings: Settings, week: str, edition: str) -> str:
    """How to send an edition sent already once more, said after "already sent on ...": what claims it is the database's
    row (a sent one is never claimed again) and, without that row, the mail log's line (found sent, recorded again):
    both go, in any order."""
    from digest.weekly.maillog import mail_log

    where = mail_log(settings.data_dir)
    # Said to the maintainer, never run here: the week is a parsed ISO week, the edition one of two words.
    row = f"DELETE FROM weekly_digests WHERE week = '{week}' AND edition = '{edition}'"  # noqa: S608
    return f"; to send it again, delete its line ({week} {edition}) in {where} and its row in the database ({row})"
