"""PostgreSQL hand-overs: what one process lets go of is free for the next at once, as on SQLite."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import Connection, insert, text

from digest.review.signing import read_session, session_digest
from digest.service.wiring import open_service_database
from digest.storage.datalock import lock_data_folder, lock_database
from digest.storage.db import create_database_engine
from digest.storage.state import RevokedSession
from tests.conftest import make_settings
from tests.postgres_server import postgres_server, postgres_url  # noqa: F401  (fixtures)
from tests.web_server import SECRETS_ENV, running_site, sign_in


def test_a_service_restarted_at_once_is_not_refused_by_the_one_it_replaces(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
) -> None:
    """A restart (systemctl restart, a deploy) stops the service and starts the next at once: closing the old one's
    connection only asks the server to end its session, which lets go of the advisory lock a moment later, and the
    new one was refused as 'another digest service (pid <the old one>) is running'. Release lets go of it first."""
    settings = make_settings(tmp_path / "data", environ={"DIGEST_DATABASE_URL": postgres_url})
    database = open_service_database(settings)
    try:
        old = lock_data_folder(settings.data_dir)
        lock_database(old, database)
        # A session that takes a moment to end (here its temporary tables to drop; a loaded server does it too).
        tables = "FOR i IN 1..400 LOOP EXECUTE format('CREATE TEMP TABLE t%s (x int)', i); END LOOP;"
        old.connection.execute(text(f"DO $$ BEGIN {tables} END $$"))
        old.connection.commit()
        old.release()
        new = lock_data_folder(settings.data_dir)
        lock_database(new, database)
        new.release()
    finally:
        database.dispose()


@pytest.mark.asyncio
async def test_signing_out_twice_at_once_signs_out_without_an_error_page(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
) -> None:
    """A double click on 'Sign out' (or two tabs) posts twice: on SQLite one waits for the other and finds the session
    revoked; on PostgreSQL both found it not revoked yet, both wrote it, and the later one answered 'Not signed out'
    (a duplicate key) though the session had ended. Here the other request has written the revocation, not committed."""
    settings = make_settings(tmp_path / "data", environ={**SECRETS_ENV, "DIGEST_DATABASE_URL": postgres_url})
    async with running_site(settings) as site:
        cookie, csrf = await sign_in(site)
        claim = read_session(SECRETS_ENV["DIGEST_SECRET_KEY"], cookie, site.clock())
        other_request = create_database_engine(postgres_url)
        try:
            with other_request.connect() as other:
                other.execute(
                    insert(RevokedSession).values(
                        session_hash=session_digest(claim.nonce), expires_at=claim.expires_at, revoked_at=site.clock()
                    )
                )
                signing_out = asyncio.ensure_future(
                    site.client.post("/review/signout", data={"csrf": csrf}, allow_redirects=False)
                )
                await _waiting_for_a_lock(other)
                other.commit()
                async with await signing_out as reply:
                    page = await reply.text()
        finally:
            other_request.dispose()
        assert (reply.status, reply.headers.get("Location")) == (303, "/review"), page
        async with site.fresh_client() as copied:  # the session stays ended, a copy of its cookie too
            copied.cookie_jar.update_cookies({"digest_session": cookie})
            async with copied.get("/review") as reply:
                assert 'action="/review/signin"' in await reply.text()


async def _waiting_for_a_lock(connection: Connection) -> None:
    """Until another session of this database waits for a lock (the one `connection` holds)."""
    for _ in range(200):
        waiting = connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar()
        if waiting:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("nothing waited for the lock")
