"""The claim of a send in progress kept alive: renewed every CLAIM_RENEWED_EVERY from a thread of its own while the
send runs, so that a long readers' list is not taken for a dead process's (weekly/ledger.py's STALE_CLAIM)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from digest.storage.db import Database
from digest.storage.failures import failure_line
from digest.weekly.issue import Edition
from digest.weekly.ledger import claimed_attempt, renew_claim

log = logging.getLogger("digest.weekly.store")  # the name its log lines have always carried

# How often a send still going renews its claim: a readers' list that takes over STALE_CLAIM to send is not taken for
# a dead process's and sent again by a retry or by hand.
CLAIM_RENEWED_EVERY = timedelta(minutes=10)


@contextmanager
def claim_kept(database: Database, name: str, edition: Edition, claimed_at: datetime) -> Iterator[None]:
    """Renews the edition's claim every CLAIM_RENEWED_EVERY while the block runs, in a thread of its own (an SMTP
    call blocks), dated by the clock the claim was taken with. A killed process renews nothing: its claim lapses."""
    attempt = claimed_attempt(database, name, edition)
    started, done = time.monotonic(), threading.Event()

    def renew() -> None:
        while not done.wait(CLAIM_RENEWED_EVERY.total_seconds()):
            alive_at = claimed_at + timedelta(seconds=time.monotonic() - started)
            try:
                if not renew_claim(database, name, edition, attempt, alive_at):
                    return  # recorded meanwhile, or taken over: not this attempt's to renew
            except SQLAlchemyError as exc:  # tried again at the next renewal, well before the claim lapses
                said = failure_line(exc, str(database.engine.url))
                log.warning("weekly %s %s: could not renew the claim of the send in progress: %s", name, edition, said)

    keeper = threading.Thread(target=renew, name=f"weekly-claim-{name}-{edition}", daemon=True)
    keeper.start()
    try:
        yield
    finally:
        done.set()
        keeper.join()
