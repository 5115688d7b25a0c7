"""Where the parts meet: decisions against a list the maintainers edit by hand, and the service's scheduled jobs."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digest.awesome import store as liststore
from digest.config import Settings, SmtpSettings
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
from digest.service.process import Service
from digest.storage.db import Database
from digest.storage.state import WeeklyDigest
from tests.arxiv_server import ArxivServer
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.smtp_server import Inbox, smtp_server

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
ANN = Actor("ann", "1001", "cli")


def sae_section(markdown: str) -> str:
    """The Markdown of the "Sparse Autoencoder" section (from its heading to the next heading)."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("#") and "Sparse Autoencoder" in line)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("#")), len(lines))
    return "\n".join(lines[start + 1 : end])


def test_reverting_an_approval_keeps_the_entry_a_maintainer_wrote_by_hand(
    database: Database, settings: Settings
) -> None:
    paper = real_papers()[0]
    link = f"https://arxiv.org/abs/{paper['arxiv_id']}"
    candidate_id = insert_candidate(database, paper)
    # While the candidate waits, a maintainer adds the paper to the Markdown by hand and re-imports it.
    with database.reading() as session:
        markdown = liststore.render_markdown(session, settings.templates_dir)
    anchor = "+ **Understanding Feature Mappings in MLLMs**"
    by_hand = f"+ [{paper['title']}]({link}) (May. 22, 2025)\n  [![arXiv](https://img.shields.io/badge/arXiv-b31b1b.svg)]({link})\n\n"
    assert markdown.count(anchor) == 1
    edited = markdown.replace(anchor, by_hand + anchor)
    with database.transaction() as session:
        report = liststore.import_markdown(session, edited.encode("utf-8"), source="README.md")
    assert [item["title"] for item in report.added] == [paper["title"]]

    reviewer = Reviewer(database, settings, clock=lambda: NOW)
    approved = reviewer.decide(candidate_id, "approve", ANN)
    assert approved.status == "approved"
    assert sae_section(settings.list_markdown_path.read_text(encoding="utf-8")).count(link) == 2  # title + badge
    reverted = reviewer.decide(candidate_id, "revert", ANN)
    assert reverted.status == "pending"
    # The approval added nothing, so taking it back must not take the maintainer's entry with it.
    after = settings.list_markdown_path.read_text(encoding="utf-8")
    assert by_hand in after
    with database.reading() as session:
        assert liststore.render_markdown(session, settings.templates_dir) == edited


def test_rejecting_after_a_move_into_a_hand_listed_section_keeps_that_entry(
    database: Database, settings: Settings
) -> None:
    paper = real_papers()[1]
    link = f"https://arxiv.org/abs/{paper['arxiv_id']}"
    candidate_id = insert_candidate(database, paper)
    reviewer = Reviewer(database, settings, clock=lambda: NOW)
    reviewer.decide(candidate_id, "approve", ANN, section="Steering")  # the service writes this entry
    with database.reading() as session:
        markdown = liststore.render_markdown(session, settings.templates_dir)
    anchor = "+ **Understanding Feature Mappings in MLLMs**"
    by_hand = f"+ [{paper['title']}]({link}) (Apr. 11, 2025)\n\n"
    edited = markdown.replace(anchor, by_hand + anchor)
    with database.transaction() as session:
        liststore.import_markdown(session, edited.encode("utf-8"), source="README.md")
    moved = reviewer.decide(candidate_id, "approve", ANN, section="Sparse Autoencoder")
    assert moved.changed and moved.section == "Sparse Autoencoder"
    reviewer.decide(candidate_id, "reject", ANN)
    after = settings.list_markdown_path.read_text(encoding="utf-8")
    assert by_hand in sae_section(after)  # the maintainer's entry stays
    assert after.count(link) == 1  # and the service's own entry in Steering is gone


@pytest.mark.asyncio
async def test_a_failed_weekly_email_is_retried_by_the_service_at_its_back_off_time(tmp_path: Path) -> None:
    monday = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # 08:00 in Berlin: the weekly job's slot
    now = [monday]
    inbox = Inbox(refuse=True)
    async with ArxivServer() as arxiv:
        feed = arxiv.serve_file("/rss/cs.CL", "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml")
        config = (
            f'timezone = "Europe/Berlin"\n\n[arxiv]\nsources = ["{feed}"]\nmin_interval_seconds = 0.01\n'
            'api_url = "http://127.0.0.1:9/api/query"\n'
        )
        settings = make_settings(tmp_path / "data", config)
        with smtp_server(inbox) as port:
            smtp = SmtpSettings(
                host="127.0.0.1", port=port, security="none", sender="digest@lists.example.org",
                recipients=("readers@example.org",), maintainer_recipients=("maintainers@example.org",),
                timeout_seconds=10,
            )  # fmt: skip
            service = Service(settings.model_copy(update={"smtp": smtp}), clock=lambda: now[0])
            await service.start(serve_web=False)
            try:
                await service.weekly_now()  # the server refuses the recipients: both editions are left unsent
                assert service.database is not None and service.scheduler is not None
                with service.database.reading() as session:
                    editions = [session.get(WeeklyDigest, ("2026-W48", e)) for e in ("readers", "maintainers")]
                    for week in editions:
                        assert week is not None and week.status == "failed" and week.next_attempt_at is not None
                    assert editions[0] is not None and editions[0].next_attempt_at is not None
                    retry_at = editions[0].next_attempt_at.replace(tzinfo=UTC)
                assert retry_at == monday + timedelta(minutes=settings.weekly.retry_base_minutes)
                # The service must come back at the back-off time, not a week later at the next Monday slot.
                retry = next((j for j in service.scheduler.get_jobs() if j.next_run_time == retry_at), None)
                assert retry is not None, [(j.id, j.next_run_time) for j in service.scheduler.get_jobs()]
                inbox.refuse = False
                now[0] = retry_at
                service.scheduler.modify_job(retry.id, next_run_time=datetime.now(UTC))  # the retry's time has come
                for _ in range(200):
                    if len(inbox.messages) == 2:
                        break
                    await asyncio.sleep(0.05)
            finally:
                await service.stop()
    # Each edition once, each to its own recipients; the maintainers' one alone carries the review sections.
    assert sorted(tuple(envelope.rcpt_tos) for envelope in inbox.envelopes) == [
        ("maintainers@example.org",),
        ("readers@example.org",),
    ]
    texts = {
        envelope.rcpt_tos[0]: str(message.get_body(("plain",)).get_content())  # type: ignore[union-attr]
        for envelope, message in zip(inbox.envelopes, inbox.messages, strict=True)
    }
    assert "== Waiting for review ==" in texts["maintainers@example.org"]
    assert "Waiting for review" not in texts["readers@example.org"]
