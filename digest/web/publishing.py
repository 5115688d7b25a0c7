"""What /review says of publishing: while the list's git repository refuses or fails the service's publish (a
protected branch, a refused login, a remote out of reach), the decisions made on the page are kept in the database
but are not in the repository, and the maintainer making them is told so there, not only in /healthz and the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digest.config import Settings
from digest.storage.db import Database
from digest.storage.models import Decision
from digest.storage.state import PublishState


@dataclass(frozen=True)
class PublishTrouble:
    line: str  # the last failure, as `digest publish --status` gives it (one line, never a secret)
    failures: int  # attempts in a row that failed
    at: datetime | None  # the last attempt
    waiting: int  # decisions not yet published


def publish_trouble(session: Session, settings: Settings) -> PublishTrouble | None:
    """The failure that holds decisions back from the repository, or None when publishing is off, went through last
    time, or has nothing waiting (a failed pull of hand edits holds no decision back)."""
    if not settings.publish.enabled:
        return None
    state = session.scalars(select(PublishState).limit(1)).first()  # the one row, once publishing has run
    if state is None or not state.last_error:
        return None
    waiting = session.scalar(
        select(func.count()).where(Decision.id > state.last_decision_id, Decision.applied.is_(True))
    )
    if not waiting:
        return None
    return PublishTrouble(state.last_error, state.failures, state.attempted_at, waiting)


def publish_trouble_now(database: Database, settings: Settings) -> PublishTrouble | None:
    """publish_trouble, read on its own (a page that decided outside /review: an approval link's)."""
    with database.reading() as session:
        return publish_trouble(session, settings)
