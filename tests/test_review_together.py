"""Several maintainers (and processes) acting on the same candidates at once: each decision is made once, the list
and the audit log agree, and whoever lost the race is told who decided first and what happened."""

from __future__ import annotations

import asyncio
import html
import json
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from digest.cli import main
from digest.config import Settings
from digest.discord.bot import ReviewBot
from digest.relevance import store
from digest.relevance.scoring import PaperText
from digest.relevance.stream import ensure_thresholds, record_stream
from digest.resources import curated_papers_path
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from digest.storage.models import APPROVED, Candidate, Decision
from digest.storage.state import StreamPaper
from tests import test_review_add
from tests.add_command import API_PATH, trimmed
from tests.arxiv_server import Reply
from tests.conftest import make_settings
from tests.discord_bot import decision_count, eventually, list_md, message_id
from tests.factories import insert_candidate, real_papers
from tests.fake_discord import MAINTAINER, FakeDiscord
from tests.postgres_server import each_database, on_each_database, postgres_server, postgres_url  # noqa: F401  (fixtures)
from tests.review_add import NEW_PAPER, ArxivSite, add
from tests.web_server import SECRETS_ENV, Site, running_site, sign_in

arxiv_site = test_review_add.arxiv_site  # the web app with a loopback arXiv API
PAPER = "2511.16674"  # the model suggests Probing


@pytest.mark.asyncio
async def test_a_paper_another_maintainer_approved_while_this_add_fetched_it_is_not_moved(
    arxiv_site: ArxivSite,
) -> None:
    """Alice adds a paper on /review; while arXiv answers her, Bob's /add of the same paper in Discord (a moment
    earlier at arXiv) stored it and approved it into Steering. Alice's add must not move Bob's approval into her
    section while telling her it made a "new candidate": it is refused, naming Bob's decision."""
    site, arxiv = arxiv_site.site, arxiv_site.arxiv

    meanwhile = bob_stores_and_decides(site, "approve", "Steering")
    arxiv.program(API_PATH, Reply(**{**vars(trimmed(NEW_PAPER, PAPER)), "before_answer": meanwhile}))
    _, csrf = await sign_in(site)
    status, body = await add(site, csrf, PAPER)
    text = html.unescape(body)
    assert status == 409, text
    assert "approved into Steering by bob via discord" in text and "nothing was" in text
    with site.database.reading() as session:
        candidate = session.scalars(select(Candidate).where(Candidate.arxiv_id == PAPER)).one()
        decisions = [(d.action, d.actor, d.section) for d in session.scalars(select(Decision))]
    assert candidate.status == APPROVED and candidate.decided_section == "Steering"
    assert decisions == [("approve", "bob", "Steering")]
    markdown = site.settings.list_markdown_path.read_text(encoding="utf-8").splitlines()
    assert len([line for line in markdown if line.startswith("+") and f"arxiv.org/abs/{PAPER}" in line]) == 1


def bob_stores_and_decides(site: Site, action: str, section: str | None = None) -> Callable[[], Awaitable[None]]:
    """What another maintainer's add (or a poll, then a decision in Discord) leaves while an arXiv request is
    answered: the paper stored as a candidate and decided by bob."""

    async def meanwhile() -> None:
        def store_and_decide() -> None:
            record = {**real_papers()[0], "arxiv_id": PAPER}
            candidate_id = insert_candidate(site.database, record, suggested_section="Probing")
            Reviewer(site.database, site.settings).decide(candidate_id, action, Actor("bob", "42", "discord"), section)

        await asyncio.to_thread(store_and_decide)

    return meanwhile


@pytest.mark.asyncio
async def test_a_reader_suggesting_a_paper_a_maintainer_approves_meanwhile_is_told_it_is_listed(
    arxiv_site: ArxivSite,
) -> None:
    site, arxiv = arxiv_site.site, arxiv_site.arxiv
    reply = trimmed(NEW_PAPER, PAPER)
    arxiv.program(API_PATH, Reply(**{**vars(reply), "before_answer": bob_stores_and_decides(site, "approve")}))
    async with site.fresh_client() as reader, reader.post("/suggest", data={"paper": PAPER, "note": ""}) as answer:
        body = await answer.text()
    assert answer.status == 200, body
    assert f"{PAPER} is already in the list" in body and "queued" not in body
    with site.database.reading() as session:
        candidate = session.scalars(select(Candidate).where(Candidate.arxiv_id == PAPER)).one()
    assert candidate.status == APPROVED and candidate.decided_by == "bob"


@asynccontextmanager
async def site_and_bot(tmp_path: Path, fake: FakeDiscord) -> AsyncIterator[tuple[Site, ReviewBot]]:
    """The web app and the Discord bot of one service: one database, one Reviewer."""
    environ = {**SECRETS_ENV, "DISCORD_TOKEN": "fake-token"}
    settings = make_settings(tmp_path / "data", fake.config_toml(post_cap=3), environ)
    async with running_site(settings) as site:
        bot = ReviewBot(settings, site.database, site.reviewer, guild_ready_timeout=0.01, sync_interval=60.0)
        await bot.start()
        try:
            assert bot.ready
            yield site, bot
        finally:
            await bot.close()


async def decide_on_review(site: Site, csrf: str, candidate_id: int, action: str, section: str = "") -> str:
    form = {"csrf": csrf, "candidate_id": str(candidate_id), "action": action, "section": section, "filters": ""}
    async with site.client.post("/review/decide", data=form) as reply:
        assert reply.status == 200
        return html.unescape(await reply.text())


@pytest.mark.asyncio
async def test_an_undo_on_review_does_not_take_back_an_approval_another_maintainer_made_in_discord(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    """Alice approves on /review; Ann, whose Discord message did not show it yet, approves it too with a check mark.
    Alice's undo must not return the paper to pending under Ann's check mark (her approval then lost in silence):
    it is not undone, and the page says Ann approved it too."""
    async with site_and_bot(tmp_path, fake) as (site, bot):
        candidate_id = insert_candidate(site.database, real_papers()[0])
        await bot.post_pending()
        message = message_id(site.database, candidate_id)
        _, csrf = await sign_in(site)
        await decide_on_review(site, csrf, candidate_id, "approve", "Sparse Autoencoder")
        await fake.react(message, MAINTAINER, "✅")
        await eventually(lambda: decision_count(site.database) == 2, "ann's check mark recorded")

        page = await decide_on_review(site, csrf, candidate_id, "undo")
        assert "Not undone:" in page and "since then ann approved into Sparse Autoencoder via discord" in page, page
        assert site.status_of(candidate_id) == APPROVED
        markdown = list_md(site.settings)
        assert real_papers()[0]["arxiv_id"] in markdown
        with site.database.reading() as session:
            actions = [(d.action, d.actor, d.applied) for d in session.scalars(select(Decision).order_by(Decision.id))]
        assert actions == [("approve", "web maintainer", True), ("approve", "ann", False)]


def building(settings: Settings) -> bool:
    """Whether a child process is building the relevance model now (its working folder is in the cache)."""
    cache = settings.data_dir / "cache"
    return cache.is_dir() and any(path.is_dir() and path.name.startswith("tmp") for path in cache.iterdir())


def impatient(settings: Settings) -> Database:
    """Another connection to the same file that waits at most a second for the write lock."""
    engine = create_engine(settings.database_url, connect_args={"timeout": 1.0})
    return Database(engine, sessionmaker(engine))


def test_a_decision_made_while_the_model_learns_from_the_last_ones_does_not_wait_for_the_build(
    database: Database, settings: Settings
) -> None:
    """The model is built (seconds; more on a busy machine) after the maintainers decide. A decision made while it is
    built changes what it learns from, and it was then built again under the database's write lock: every decision
    made meanwhile waited for that whole build, and one that waited longer than the busy timeout failed."""
    first = insert_candidate(database, real_papers()[0])
    store.train_in_child_process(True)  # as the service does: the build shows as the child's folder
    store.clear_model_cache()
    result: list[object] = []
    learning = threading.Thread(target=lambda: result.append(ensure_thresholds(database, settings)))
    try:
        learning.start()
        assert wait_until(lambda: building(settings)), "the model was never built"
        Reviewer(database, settings).decide(first, "approve", Actor("ann", "1", "discord"), "Probing")
        assert wait_until(lambda: not building(settings)), "the first build never ended"
        assert wait_until(lambda: building(settings) or not learning.is_alive()), "no second build"
        # While it is built again: another maintainer's decision (one the model need not learn: it repeats ann's).
        other = impatient(settings)
        try:
            again = Reviewer(other, settings).decide(first, "approve", Actor("bob", None, "cli"), "Probing")
        finally:
            other.dispose()
        assert not again.changed and again.message.startswith("already approved into Probing by ann via discord")
    finally:
        learning.join()
        store.train_in_child_process(False)
    assert result, "the model was not built"
    with database.reading() as session:
        assert [(d.actor, d.action) for d in session.scalars(select(Decision).order_by(Decision.id))] == [
            ("ann", "approve"),
            ("bob", "approve"),
        ]


def wait_until(condition: Callable[[], bool], seconds: float = 120.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def write_locked(settings: Settings) -> bool:
    """Whether another connection holds the SQLite file's write lock now (taking it, when free, for an instant)."""
    probe = sqlite3.connect(make_url(settings.database_url).database or "", timeout=0)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()


def test_a_decision_made_while_the_stream_is_scored_again_for_a_new_model_does_not_wait_for_it(
    database: Database, settings: Settings
) -> None:
    """After the model learned from a decision, the thresholds are fitted again on the papers the polls saw (thousands),
    each scored again by the new model: seconds, all under the write lock, so a decision made meanwhile waited for
    them, or failed after the busy timeout."""
    candidate_id = insert_candidate(database, real_papers()[0])
    ensure_thresholds(database, settings)  # the model, built
    records = [json.loads(line) for line in curated_papers_path().read_text(encoding="utf-8").splitlines() if line]
    papers = [
        (f"2601.{number:05d}", PaperText(record["title"], record.get("abstract") or "", ("cs.CV",)))
        for number, record in enumerate((records * 20)[:5000])
    ]
    with database.transaction() as session:  # seen by the polls, scored by an older model
        record_stream(session, papers, [0.0] * len(papers), "an older model", datetime.now(UTC), 6000)
    result: list[object] = []
    fitting = threading.Thread(target=lambda: result.append(ensure_thresholds(database, settings)))
    try:
        fitting.start()
        wait_until(lambda: write_locked(settings) or not fitting.is_alive())
        other = impatient(settings)
        try:
            outcome = Reviewer(other, settings).decide(candidate_id, "reject", Actor("bob", None, "cli"))
        finally:
            other.dispose()
        assert outcome.changed
    finally:
        fitting.join()
    assert result
    with database.reading() as session:
        assert session.scalar(select(func.count()).where(StreamPaper.model_key == "an older model")) == 0


def test_a_maintainer_deciding_from_the_shell_is_told_whose_decision_came_first(
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
    on_each_database: dict[str, str],  # noqa: F811
) -> None:
    """Bob runs `digest approve` and `digest reject` on papers Ann decided in Discord a moment before (her message
    edit had not reached him). He was told "already approved into ..." and "rejected", as if nobody else were there:
    now each line says whose decision came first, and the second that he overturned it. On each database: his shell
    names the service's (DIGEST_DATABASE_URL on PostgreSQL)."""
    settings = make_settings(data_dir, environ=on_each_database)
    database = open_service_database(settings)
    try:
        first, second = (insert_candidate(database, paper) for paper in real_papers()[:2])
        reviewer = Reviewer(database, settings)
        ann = Actor("ann", "1001", "discord")
        reviewer.decide(first, "approve", ann, "Sparse Autoencoder")
        reviewer.decide(second, "approve", ann, "Steering")
    finally:
        database.dispose()
    capsys.readouterr()
    assert main(["--data-dir", str(data_dir), "approve", str(first)]) == 0
    assert main(["--data-dir", str(data_dir), "reject", str(second)]) == 0
    out = capsys.readouterr().out.splitlines()
    one, two = real_papers()[0]["arxiv_id"], real_papers()[1]["arxiv_id"]
    assert out[0].startswith(
        f"candidate {first} ({one}): already approved into Sparse Autoencoder by ann via discord on "
    )
    assert out[1].startswith(
        f"candidate {second} ({two}): rejected; it was approved into Steering by ann via discord on "
    )


@pytest.mark.asyncio
async def test_an_approval_into_another_section_from_a_stale_tab_is_not_done(site: Site) -> None:
    """A maintainer approves a paper into Steering in one tab; a tab opened before it still shows the paper pending,
    and there they press Probing. The paper stays in Steering (right), but the page answered as if the press were
    done ("approved into Steering", with Undo), not "Not done: already approved into Steering": a press of another
    section is not the same press sent twice."""
    top = insert_candidate(site.database, real_papers()[0], suggested_sections=["Steering", "Probing"])
    _, csrf = await sign_in(site)

    async def approve(section: str) -> str:
        form = {"csrf": csrf, "candidate_id": str(top), "action": "approve", "section": section}
        async with site.client.post("/review/decide", data=form) as reply:
            assert reply.status == 200
            return html.unescape(await reply.text())

    await approve("Steering")
    twice = await approve("Steering")  # the same press sent twice: done, with its Undo
    assert "Not done" not in twice and 'value="undo"' in twice
    stale = await approve("Probing")
    with site.database.reading() as session:
        assert session.get(Candidate, top).decided_section == "Steering"  # type: ignore[union-attr]
    assert "Not done" in stale and "already approved into Steering" in stale, stale


@pytest.mark.asyncio
@pytest.mark.parametrize("where", ["review page", "reject all shown", "feed link"])
async def test_a_decision_on_the_web_answers_while_discord_is_slow_to_edit_its_message(
    tmp_path: Path, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """The web's decisions waited for the Discord message to be edited before answering: with Discord slow, or
    holding the bot to its edit rate (five a channel in five seconds: "Reject all 20 shown" is twenty edits), the
    maintainer's page spun with the decision made long since. The page answers within a moment; the message is
    edited when Discord takes it."""
    from tests.web_pages import candidate_feed_links

    monkeypatch.setattr("digest.web.context.LISTENERS_WAIT_SECONDS", 0.2)
    async with site_and_bot(tmp_path, fake) as (site, bot):
        candidate_id = insert_candidate(site.database, real_papers()[0])
        await bot.post_pending()
        message = message_id(site.database, candidate_id)
        _, csrf = await sign_in(site)
        links = await candidate_feed_links(site)
        slow = fake.hold_next("PATCH", f"/messages/{message}")
        if where == "review page":
            form = {"csrf": csrf, "candidate_id": str(candidate_id), "action": "reject"}
        else:
            form = {"csrf": csrf, "ids": str(candidate_id), "action": "reject-shown", "confirm": "yes"}
        path = "/review/decide" if where != "feed link" else next(p for p, label in links if label == "Reject")
        answer = asyncio.create_task(site.client.post(path, data=form))
        done, _ = await asyncio.wait({answer}, timeout=5)
        assert done and not slow.released.is_set(), "the page waited for Discord"
        async with answer.result() as reply:
            assert reply.status == 200 and "rejected" in (await reply.text()).lower()
        assert site.status_of(candidate_id) == "rejected"
        slow.released.set()
        await eventually(lambda: len(fake.requests("PATCH", f"/messages/{message}")) >= 1, "the message edited")
