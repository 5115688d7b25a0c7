"""Readers' addresses are kept only while something needs them: an edition delivered to everyone or given up on keeps
counts (sent, refused, given up), a retry still owed keeps the addresses it owes, and a database from before is
rewritten so on upgrade. The real weekly job against aiosmtpd on loopback, real SQLite files (and PostgreSQL), real
Alembic; what is checked is the database's own dump."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.orm import Session

from digest.storage.db import alembic_config, create_database_engine
from digest.weekly.ledger import week_state
from digest.weekly.store import run_weekly_job
from tests.postgres_server import postgres_server  # noqa: F401  (fixture)
from tests.schema_versions import database_at
from tests.smtp_server import free_port, smtp_server
from tests.weekly_mail_delivery import NOW, SelectiveInbox, config, setup

READERS = ("ann@example.org", "bob@example.org", "cy@example.org", "dee@example.org")
GREYLISTED = "bob@example.org"
NO_SUCH_USER = "dee@example.org"


def dumped(path: Path) -> str:
    """The SQLite file as `sqlite3 digest.sqlite3 .dump` prints it."""
    with sqlite3.connect(path) as connection:
        return "\n".join(connection.iterdump())


def kept(dump: str) -> list[str]:
    return [address for address in READERS if address in dump]


def test_after_delivery_no_reader_address_is_in_the_database_and_the_retry_still_reaches_the_refused_one(
    tmp_path: Path,
) -> None:
    """Four readers; the server greylists one (451) at first and refuses one for good (550). Every address was kept in
    the week's row forever (`recipients`), whoever was taken off the list. Now the row owes the greylisted reader
    alone while the retry is due, and once it has the edition the dump names nobody: it counts 3 sent, 1 refused."""
    port = free_port()
    settings, database = setup(tmp_path, config(port, recipients=READERS, maintainers=()))
    inbox = SelectiveInbox(
        {GREYLISTED: "451 4.7.1 Greylisted, please try again later", NO_SUCH_USER: "550 5.1.1 no such user"}
    )
    path = settings.data_dir / "digest.sqlite3"
    try:
        with smtp_server(inbox, port):
            first = run_weekly_job(settings, database, NOW)
            owing = dumped(path)
            inbox.replies.pop(GREYLISTED)
            second = run_weekly_job(settings, database, NOW + timedelta(minutes=30))
        with database.reading() as session:
            done = week_state(session, "2026-W48", "readers")
    finally:
        database.dispose()
    assert [o.status for o in first.emails] == ["partly-sent"], first
    assert kept(owing) == [GREYLISTED], "a retry owed keeps the address it owes, no other"
    assert [o.status for o in second.emails] == ["sent"], second
    assert [envelope.rcpt_tos for envelope in inbox.envelopes] == [["ann@example.org", "cy@example.org"], [GREYLISTED]]
    assert kept(dumped(path)) == [], "an edition delivered keeps no reader's address"
    assert done is not None and (done.status, done.reached, done.deferred) == ("sent", 3, ()), done
    with sqlite3.connect(path) as connection:
        counts = connection.execute("SELECT reached_count, refused_count, given_up_count FROM weekly_digests")
        assert counts.fetchall() == [(3, 1, 0)]


def test_an_edition_given_up_keeps_whom_it_owed_30_days_then_how_many_not_who(tmp_path: Path) -> None:
    """One reader greylisted week after week: once the edition is given up (older than the last 4 weeks), its row
    counts the one given up on and keeps the address 30 days, for a send by hand; the first job after that drops it,
    and the row names nobody."""
    port = free_port()
    settings, database = setup(tmp_path, config(port, recipients=READERS[:3], maintainers=()))
    inbox = SelectiveInbox({GREYLISTED: "451 4.7.1 Greylisted, please try again later"})
    path = settings.data_dir / "digest.sqlite3"
    try:
        with smtp_server(inbox, port):
            for weeks in range(6):
                run_weekly_job(settings, database, NOW + timedelta(weeks=weeks))
            with database.reading() as session:
                given_up = week_state(session, "2026-W48", "readers")
            within = [line for line in dumped(path).splitlines() if "'2026-W48'" in line]
            for weeks in range(6, 11):  # 2027-01-04 given up; these jobs run to 2027-02-08, past 30 days after it
                run_weekly_job(settings, database, NOW + timedelta(weeks=weeks))
        with database.reading() as session:
            forgotten = week_state(session, "2026-W48", "readers")
    finally:
        database.dispose()
    assert given_up is not None and given_up.status == "given-up", given_up
    assert (given_up.reached, given_up.given_up, given_up.deferred) == (2, 1, (GREYLISTED,)), given_up
    assert len(within) == 1 and GREYLISTED in within[0], within
    assert forgotten is not None and (forgotten.status, forgotten.given_up, forgotten.deferred) == ("given-up", 1, ())
    row = [line for line in dumped(path).splitlines() if "'2026-W48'" in line]
    assert len(row) == 1 and GREYLISTED not in row[0], row  # the later weeks still owe it to the reader, and say so


OLD_ROWS = [
    # week, status, recipients (who had it), deferred (owed), last_error
    ("2026-W40", "sent", ["ann@example.org", "cy@example.org"], [], "refused: dee@example.org: 550 5.1.1 no such user"),
    ("2026-W41", "given-up", ["ann@example.org"], ["bob@example.org"], "given up; refused: bob@example.org: 451 later"),
    ("2026-W42", "failed", ["ann@example.org"], ["cy@example.org"], "refused: cy@example.org: 451 later"),
]


def _upgraded(url: str) -> list[Any]:
    """The database at `url` given OLD_ROWS, upgraded to the head: its weekly rows then."""
    insert = text(
        "INSERT INTO weekly_digests (week, edition, status, attempts, recipients, deferred, last_error)"
        " VALUES (:week, 'readers', :status, 1, :recipients, :deferred, :error)"
    )
    engine = create_database_engine(url)
    try:
        with engine.begin() as connection:
            for week, status, recipients, deferred, error in OLD_ROWS:
                values = {"recipients": json.dumps(recipients), "deferred": json.dumps(deferred)}
                connection.execute(insert, {"week": week, "status": status, "error": error, **values})
        command.upgrade(alembic_config(engine), "head")
        with engine.connect() as connection:
            query = "SELECT week, status, reached_count, given_up_count, deferred, last_error FROM weekly_digests"
            return list(connection.execute(text(f"{query} ORDER BY week")).all())
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_an_upgraded_database_holds_no_address_of_an_edition_done_with(
    tmp_path: Path, request: pytest.FixtureRequest, backend: str
) -> None:
    """A database at 0030 with readers' addresses in its rows: after the upgrade an edition sent or given up names
    nobody (its counts say how many had it and were given up on); one whose retry is owed keeps the address it owes,
    and one given up whom it owed, for 30 days (from the upgrade: when it was given up is not on record)."""
    with contextlib.ExitStack() as stack:
        if backend == "postgresql":
            url = database_at("0030", stack.enter_context(request.getfixturevalue("postgres_server").fresh_database()))
        else:
            url = database_at("0030", tmp_path / "digest.sqlite3")
        rows = _upgraded(url)
    said = str(rows)
    assert [address for address in READERS if address in said] == ["bob@example.org", "cy@example.org"], rows
    assert "bob@example.org" in str(rows[1][4]), "given up, it keeps whom it owed for a send by hand (30 days)"
    assert [(week, status, reached, given_up) for week, status, reached, given_up, *_ in rows] == [
        ("2026-W40", "sent", 2, 0),
        ("2026-W41", "given-up", 1, 1),
        ("2026-W42", "failed", 1, 0),
    ]
    assert "cy@example.org" in str(rows[2][4]), "the retry owed still knows whom it owes"
    assert rows[0][5] == "refused: …: 550 5.1.1 no such user", rows


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_an_edition_refused_before_the_upgrade_keeps_whom_it_owes_30_days_from_it(
    tmp_path: Path, request: pytest.FixtureRequest, backend: str
) -> None:
    """A database at 0031 with an edition refused for good after it reached some: when it was refused is not on
    record, so the upgrade starts its 30 days (as 0031 did for one given up); one refused before it reached anyone
    owes nobody by address, and keeps none."""
    with contextlib.ExitStack() as stack:
        if backend == "postgresql":
            url = database_at("0031", stack.enter_context(request.getfixturevalue("postgres_server").fresh_database()))
        else:
            url = database_at("0031", tmp_path / "digest.sqlite3")
        engine = create_database_engine(url)
        try:
            with engine.begin() as connection:
                insert = text(
                    "INSERT INTO weekly_digests (week, edition, status, attempts, reached_count, deferred)"
                    " VALUES (:week, 'readers', 'refused', 1, :reached, :deferred)"
                )
                connection.execute(insert, {"week": "2026-W41", "reached": 5, "deferred": json.dumps([GREYLISTED])})
                connection.execute(insert, {"week": "2026-W42", "reached": 0, "deferred": "[]"})
            before = datetime.now(UTC)
            command.upgrade(alembic_config(engine), "head")
            with engine.connect() as connection:
                query = "SELECT week, status, deferred, refused_at FROM weekly_digests ORDER BY week"
                rows = list(connection.execute(text(query)).all())
        finally:
            engine.dispose()
    assert [
        (week, status, json.loads(deferred) if isinstance(deferred, str) else deferred)
        for week, status, deferred, _ in rows
    ] == [
        ("2026-W41", "refused", [GREYLISTED]),
        ("2026-W42", "refused", []),
    ], rows
    refused_at = rows[0][3] if isinstance(rows[0][3], datetime) else datetime.fromisoformat(str(rows[0][3]))
    assert abs(refused_at.replace(tzinfo=UTC) - before) < timedelta(minutes=5), rows


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_an_edition_done_with_before_the_upgrade_keeps_whom_it_owes_30_days_from_when_it_was(
    tmp_path: Path, request: pytest.FixtureRequest, backend: str
) -> None:
    """A database at 0033 with an edition given up and one refused for good, each owing bob: the 30 days his address
    is kept for a send by hand run from when each was, as before the upgrade (0034 keeps when they began in a column
    of its own); a failed edition's retries owe him as they did, kept no days."""
    given_up_at, refused_at = NOW - timedelta(days=3), NOW - timedelta(days=12)
    with contextlib.ExitStack() as stack:
        if backend == "postgresql":
            url = database_at("0033", stack.enter_context(request.getfixturevalue("postgres_server").fresh_database()))
        else:
            url = database_at("0033", tmp_path / "digest.sqlite3")
        engine = create_database_engine(url)
        try:
            with engine.begin() as connection:
                insert = text(
                    "INSERT INTO weekly_digests (week, edition, status, attempts, reached_count, deferred, given_up_at,"
                    " refused_at) VALUES (:week, 'readers', :status, 1, 3, :deferred, :given_up_at, :refused_at)"
                )
                owed = json.dumps([GREYLISTED])
                for week, status, given_up, refused in [
                    ("2026-W41", "given-up", given_up_at, None),
                    ("2026-W42", "refused", None, refused_at),
                    ("2026-W43", "failed", None, None),
                ]:
                    values = {"given_up_at": given_up, "refused_at": refused}
                    connection.execute(insert, {"week": week, "status": status, "deferred": owed, **values})
            command.upgrade(alembic_config(engine), "head")
            with Session(engine) as session:
                states = [week_state(session, week) for week in ("2026-W41", "2026-W42", "2026-W43")]
        finally:
            engine.dispose()
    assert [(state.status, state.deferred, state.kept_until) for state in states if state is not None] == [
        ("given-up", (GREYLISTED,), given_up_at + timedelta(days=30)),
        ("refused", (GREYLISTED,), refused_at + timedelta(days=30)),
        ("failed", (GREYLISTED,), None),
    ], states
