"""Revoked review sessions: signing out writes the session's hash here, and a revoked session is refused until its
cookie would have expired anyway. Expired rows are purged on each sign-out, so the table stays small.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from digest.review.signing import SessionClaim, session_digest
from digest.storage.db import Database
from digest.storage.state import RevokedSession


def revoke(database: Database, claim: SessionClaim, now: datetime) -> None:
    """Revokes one session, and purges the revocations whose cookies have expired since."""
    digest = session_digest(claim.nonce)
    with database.transaction() as session:
        session.execute(delete(RevokedSession).where(RevokedSession.expires_at <= now))
        if session.get(RevokedSession, digest) is None:
            # Another sign-out of this session (a double click, a second tab) may be writing it too: on PostgreSQL it
            # is not seen until it commits, and the later insert then finds its row. Revoked either way.
            with suppress(IntegrityError), session.begin_nested():
                session.add(RevokedSession(session_hash=digest, expires_at=claim.expires_at, revoked_at=now))


def is_revoked(database: Database, nonce: str) -> bool:
    with database.reading() as session:
        found = session.scalar(
            select(RevokedSession.session_hash).where(RevokedSession.session_hash == session_digest(nonce))
        )
        return found is not None
