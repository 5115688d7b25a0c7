"""The web server when its database is unreachable, moved away or held by another process: 503 or a plain
'nothing was changed', never a 500, other pages still served, and no token in the log."""

from __future__ import annotations

import asyncio
import html
import logging
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.factories import insert_candidate, real_papers
from tests.web_pages import FEED_TOKEN, candidate_feed_links
from tests.web_server import Site, running_site, sign_in, site_settings


@pytest.mark.asyncio
async def test_the_pages_and_feeds_say_503_when_the_database_is_unreachable_not_500(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A lost volume (or PostgreSQL down for maintenance): the list page, its feeds, the private feed and /review
    answered "500 Internal Server Error: Server got itself in trouble", each with a traceback of SQL in the log (a
    feed reader's every poll one more). They answer 503 with a Retry-After and a line saying the database cannot be
    reached, and the log says the outage once, naming the reason."""
    settings = site_settings(tmp_path / "data")
    async with running_site(settings) as site:
        await sign_in(site)
        site.database.engine.dispose()
        database_file = Path(site.database.engine.url.database or "")
        for leftover in database_file.parent.glob(database_file.name + "*"):
            leftover.unlink()
        database_file.mkdir()
        addresses = [
            "/",
            "/list.md",
            "/feeds/list.xml",
            "/feeds/list.atom",
            f"/feeds/candidates.xml?token={FEED_TOKEN}",
        ]
        with caplog.at_level(logging.INFO):
            for address in [*addresses, "/review", "/history"]:
                async with site.client.get(address) as response:
                    page = html.unescape(await response.text())
                    assert response.status == 503, (address, page)
                    assert response.headers["Retry-After"] == "60"
                    assert "The list's database cannot be reached just now; please try again in a few minutes." in page
                    assert FEED_TOKEN not in page and "SELECT" not in page
        assert "Traceback" not in caplog.text and "SELECT" not in caplog.text
        lines = [
            record.getMessage() for record in caplog.records if "database cannot be reached" in record.getMessage()
        ]
        # One line for the outage, not one a request (a feed reader's every poll filled the log): the first request's
        # path and the reason.
        assert len(lines) == 1, lines
        assert (
            lines[0].startswith("GET /: the database cannot be reached: ")
            and "unable to open database file" in lines[0]
        )
        assert all(FEED_TOKEN not in line for line in lines)


@pytest.mark.asyncio
async def test_a_database_file_moved_away_while_serving_is_503_and_no_empty_one_is_made_in_its_place(
    tmp_path: Path,
) -> None:
    """The database file moved away (a backup script, an operator tidying up) or deleted while the service ran: the
    next page view's connection silently created a new, empty database beside it (with its -wal and -shm), and the
    list page showed an error over a database with no tables. An existing database is opened without creating it: the
    page says the database cannot be reached, nothing is made in its place, and the file put back is served again."""
    settings = site_settings(tmp_path / "data")
    async with running_site(settings) as site:
        site.database.engine.dispose()
        database_file = Path(site.database.engine.url.database or "").resolve()
        aside = tmp_path / "aside"
        aside.mkdir()
        for part in database_file.parent.glob(database_file.name + "*"):
            part.rename(aside / part.name)
        for address in ("/", "/list.md"):
            async with site.client.get(address) as response:
                assert response.status == 503, address
                assert "The list's database cannot be reached just now" in html.unescape(await response.text())
        assert sorted(database_file.parent.glob(database_file.name + "*")) == []
        site.database.engine.dispose()
        for part in aside.iterdir():
            part.rename(database_file.parent / part.name)
        async with site.client.get("/list.md") as response:
            assert response.status == 200
            assert "# " in await response.text()


@pytest.mark.asyncio
@pytest.mark.parametrize("where", ["feed link", "review page", "reject all shown"])
async def test_a_decision_while_another_process_holds_the_database_says_nothing_was_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """Another process held the database's write lock past the busy timeout (`digest list import`, a sqlite3 shell in
    a transaction): an approval link and the review page answered "500 Internal Server Error", and the maintainer
    could not tell whether the decision was made. They answer 503 saying nothing was changed, and why."""
    monkeypatch.setattr("digest.storage.failures.BUSY_TIMEOUT_MS", 200)  # the wait, not the words: quick
    async with running_site(site_settings(tmp_path / "data")) as site:
        candidate_id = insert_candidate(site.database, real_papers()[0])
        path = next(p for p, label in await candidate_feed_links(site) if label == "Approve (Sparse Autoencoder)")
        _, csrf = await sign_in(site)
        holder = sqlite3.connect(make_url(site.settings.database_url).database or "", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            if where == "feed link":
                reply = await site.client.post(path)
            elif where == "review page":
                form = {"csrf": csrf, "candidate_id": str(candidate_id), "action": "approve"}
                reply = await site.client.post("/review/decide", data=form)
            else:
                form = {"csrf": csrf, "action": "reject-shown", "ids": str(candidate_id), "confirm": "yes"}
                reply = await site.client.post("/review/decide", data=form)
            async with reply:
                status, page = reply.status, html.unescape(await reply.text())
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert status == 503, page
        done = "Rejected 0 of the 1; the others were not" if where == "reject all shown" else "Nothing was changed"
        assert f"{done}: the database could not be written: database is locked (another process" in page
        assert site.status_of(candidate_id) == "pending"


@pytest.mark.asyncio
@pytest.mark.parametrize("form", ["sign out", "add a paper", "suggest a paper"])
async def test_the_other_forms_while_another_process_holds_the_database_say_so_not_500(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    """With the write lock held past the busy timeout, Sign out, the review page's "Add and approve" and a reader's
    suggestion answered "500 Internal Server Error": the maintainer could not tell whether the session was ended or
    the paper added. Each says what was not done and why (the reader: only that it could not be queued yet)."""
    monkeypatch.setattr("digest.storage.failures.BUSY_TIMEOUT_MS", 200)
    async with running_site(site_settings(tmp_path / "data")) as site:
        paper = real_papers()[0]
        candidate_id = insert_candidate(site.database, paper)
        _, csrf = await sign_in(site)
        holder = sqlite3.connect(make_url(site.settings.database_url).database or "", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            if form == "sign out":
                reply = await site.client.post("/review/signout", data={"csrf": csrf})
            elif form == "add a paper":
                reply = await site.client.post("/review/add", data={"csrf": csrf, "paper": paper["arxiv_id"]})
            else:
                reply = await site.client.post("/suggest", data={"paper": paper["arxiv_id"], "note": "a fine one"})
            async with reply:
                status, page = reply.status, html.unescape(await reply.text())
                retry_after = reply.headers.get("Retry-After")
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert status == 503, page
        if form == "suggest a paper":
            assert "The list's database is busy just now, so nothing was queued" in page
            assert 'value="a fine one"' not in page and ">a fine one</textarea>" in page  # the form as it was sent
            assert retry_after == "60" and "database is locked" not in page
        else:
            done = "Not signed out" if form == "sign out" else "Not added to the list"
            assert f"{done}: the database could not be written: database is locked (another process" in page
        async with site.client.get("/review") as again:  # still signed in, and nothing decided
            assert "Sign out" in await again.text()
        assert site.status_of(candidate_id) == "pending"


@pytest.mark.asyncio
async def test_a_feed_waiting_for_the_database_does_not_stop_the_other_pages(site: Site) -> None:
    """The list feeds asked the database for the list's version on the service's event loop: with PostgreSQL
    unreachable in the way that hangs (a host that takes the connection and never answers, a firewall dropping it),
    one feed reader's poll froze every page, /healthz, the Discord bot and the schedule until the connection gave
    up. The feed waits in a worker thread; the other pages answer meanwhile."""
    import socket
    import threading
    import time
    import urllib.error
    import urllib.request

    from digest.storage.db import create_database_engine

    silent = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    taken, answered = threading.Event(), threading.Event()

    def take_and_hang_up() -> None:  # a server that says nothing until /healthz answered (two seconds at most)
        connection, _ = silent.accept()
        held.append(connection)
        taken.set()
        answered.wait(2)
        connection.close()

    threading.Thread(target=take_and_hang_up, daemon=True).start()
    port = silent.getsockname()[1]
    original, site.database.engine = (
        site.database.engine,
        create_database_engine(f"postgresql+psycopg://digest:x@127.0.0.1:{port}/digest"),
    )

    def get(path: str) -> tuple[int, float]:
        started = time.monotonic()
        try:
            with urllib.request.urlopen(site.base + path, timeout=10) as reply:
                status = reply.status
        except urllib.error.HTTPError as refused:
            status = refused.code
        return status, time.monotonic() - started

    def health_while_the_feed_waits() -> tuple[int, float]:  # in a thread of its own: the page's loop may be stuck
        assert taken.wait(10), "the feed did not ask the database"
        try:
            return get("/healthz")
        finally:
            answered.set()

    try:
        (feed_status, _), (health_status, health_took) = await asyncio.gather(
            asyncio.to_thread(get, "/feeds/list.xml"), asyncio.to_thread(health_while_the_feed_waits)
        )
    finally:
        answered.set()
        silent.close()
        site.database.engine.dispose()
        site.database.engine = original
    assert feed_status == 503
    assert health_status == 200 and health_took < 1.0, health_took


@pytest.mark.asyncio
async def test_an_approval_links_token_stays_out_of_the_log_when_the_database_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An approval link pressed while another process held the write lock logged 'POST /approve/<token>: the database
    could not be written': whoever reads the log (a log service, a support ticket it is pasted into) could approve
    or reject that paper with it until it expires. The line names the link's page, never its token."""
    monkeypatch.setattr("digest.storage.failures.BUSY_TIMEOUT_MS", 200)
    async with running_site(site_settings(tmp_path / "data")) as site:
        insert_candidate(site.database, real_papers()[0])
        path = next(p for p, label in await candidate_feed_links(site) if label == "Approve (Sparse Autoencoder)")
        token = path.removeprefix("/approve/").split("?")[0]
        holder = sqlite3.connect(make_url(site.settings.database_url).database or "", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            with caplog.at_level(logging.INFO):
                async with site.client.post(path) as reply:
                    assert reply.status == 503
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        site.database.engine.dispose()
        database_file = Path(site.database.engine.url.database or "")
        for leftover in database_file.parent.glob(database_file.name + "*"):
            leftover.unlink()
        database_file.mkdir()
        with caplog.at_level(logging.INFO):
            async with site.client.get(path) as reply:
                assert reply.status == 503
    lines = [record.getMessage() for record in caplog.records if "/approve/" in record.getMessage()]
    assert [line.split(":")[0] for line in lines] == ["POST /approve/…", "GET /approve/…"], lines
    assert token not in caplog.text
