"""The weekly digest's two editions against a real SMTP server (aiosmtpd on 127.0.0.1): the readers' edition goes to
[smtp] recipients and carries the week's papers and nothing that changes the list; the maintainers' edition goes to
[smtp] maintainer_recipients only, with the second tier's signed approve links. Each edition is sent exactly once,
and one edition failing neither loses nor repeats the other."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from digest.config import Settings, SmtpSettings, secretstore
from digest.config.secretstore import ensure_secrets
from digest.review.signing import verify_link
from digest.storage.db import Database
from digest.storage.models import Candidate
from digest.weekly import contents, secondtier
from digest.weekly.store import WeeklyResult, run_weekly_job, send_week
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.smtp_server import Inbox, smtp_server
from tests.weekly_data import APPROVED_IN_WEEK, PAPERS, PENDING, SEEN_IN_WEEK, WEEK, decide, fill_week

NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # Monday 08:00 in Berlin: W48 is the last complete week
READERS = ("list@lists.example.org", "reader@example.org")
MAINTAINERS = ("ada@example.org",)
SECTION = "Sparse Autoencoder"
APPROVE_URL = re.compile(r"https?://[^\s\"'<>)]*/approve/[^\s\"'<>)]+")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data", 'timezone = "Europe/Berlin"\n\n[weekly]\npending_top = 3\n')


def with_smtp(settings: Settings, port: int, *, maintainers: tuple[str, ...] = MAINTAINERS) -> Settings:
    smtp = SmtpSettings(
        host="127.0.0.1",
        port=port,
        security="none",
        sender="digest@lists.example.org",
        recipients=READERS,
        maintainer_recipients=maintainers,
        timeout_seconds=10,
    )
    return settings.model_copy(update={"smtp": smtp})


class RefusingInbox(Inbox):
    """Refuses for now (451) the addresses in `refused` only."""

    def __init__(self) -> None:
        super().__init__()
        self.refused: set[str] = set()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refused:
            return f"451 4.3.0 <{address}>: temporarily unavailable, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def second_tier_papers(database: Database) -> list[dict[str, Any]]:
    """Two papers just under the threshold, first seen in W48: the maintainers' "Worth a look"."""
    records = [record for record in real_papers() if record["arxiv_id"] not in PAPERS][:2]
    for record, score in zip(records, (0.93, 0.88), strict=True):
        insert_candidate(
            database,
            record,
            score=score,
            relevant=False,
            suggested_section=SECTION,
            first_seen_at=SEEN_IN_WEEK,
            updated_at=SEEN_IN_WEEK,
        )
    return records


def statuses(result: WeeklyResult) -> list[tuple[str, str, str]]:
    return [(outcome.week, outcome.edition, outcome.status) for outcome in result.emails]


def seen(message: EmailMessage) -> str:
    """All a recipient can see: the headers, the decoded text and HTML, and the raw message as it arrived."""
    parts = [str(part.get_content()) for part in message.iter_parts() if isinstance(part, EmailMessage)]
    return "\n".join([*(f"{name}: {value}" for name, value in message.items()), *parts, message.as_string()])


def by_recipients(inbox: Inbox) -> dict[tuple[str, ...], EmailMessage]:
    return {
        tuple(envelope.rcpt_tos): message for envelope, message in zip(inbox.envelopes, inbox.messages, strict=True)
    }


def assert_nothing_for_maintainers(text: str, worth: list[dict[str, Any]]) -> None:
    assert "/approve/" not in text and not APPROVE_URL.search(text)
    for heading in ("Worth a look", "Waiting for review", "Candidates decided", "New candidates found"):
        assert heading not in text
    assert "candidate" not in text.lower() and "maintainer" not in text.lower()
    for arxiv_id, _, _ in PENDING:
        assert arxiv_id not in text
    for record in worth:
        assert record["arxiv_id"] not in text and record["title"][:40] not in text


def test_readers_get_the_weeks_papers_and_nothing_that_changes_the_list(database: Database, settings: Settings) -> None:
    fill_week(database, settings)
    worth = second_tier_papers(database)
    inbox = Inbox()
    with smtp_server(inbox) as port:
        settings = with_smtp(settings, port)
        result = run_weekly_job(settings, database, NOW)
    assert statuses(result) == [("2026-W48", "readers", "sent"), ("2026-W48", "maintainers", "sent")]
    received = by_recipients(inbox)
    assert set(received) == {READERS, MAINTAINERS}  # each edition only to its own recipients

    readers = received[READERS]
    text = seen(readers)
    assert readers["Subject"] == "Awesome LMMs Mechanistic Interpretability — 2026-W48: 3 new papers"
    assert "3 new papers joined the list this week." in text
    for arxiv_id, _, _ in APPROVED_IN_WEEK:
        assert f"https://arxiv.org/abs/{arxiv_id}" in text
    assert_nothing_for_maintainers(text, worth)
    markdown = (settings.weekly_dir / "2026-W48.md").read_text(encoding="utf-8")
    assert all(f"https://arxiv.org/abs/{arxiv_id}" in markdown for arxiv_id, _, _ in APPROVED_IN_WEEK)
    assert_nothing_for_maintainers(markdown, worth)

    maintainers = received[MAINTAINERS]
    assert maintainers["Subject"].endswith("3 new papers (maintainers' edition)")
    assert maintainers["List-Unsubscribe"] is None and maintainers["List-Id"] is None  # not a mailing list
    shown = seen(maintainers)
    assert "Worth a look" in shown
    assert "5 candidates found by Sunday 29 November 2026 are still waiting for a maintainer" in shown
    links = set(APPROVE_URL.findall(str(maintainers.get_body(("plain",)).get_content())))  # type: ignore[union-attr]
    assert len(links) == 2
    key = ensure_secrets(settings).secret_key.get_secret_value()
    tokens = [urlsplit(link).path.rsplit("/", 1)[1] for link in links]
    assert all(link.endswith("?via=email") for link in links)  # the audit log will say "email"
    approved = {verify_link(key, token, NOW).section for token in tokens}
    assert approved == {SECTION}
    written = (settings.weekly_dir / "2026-W48.maintainers.md").read_text(encoding="utf-8")
    # The copy kept on disk lists the second tier without its signed links: they go by email only.
    assert "## Worth a look" in written and APPROVE_URL.findall(written) == [] and "/approve/" not in written
    assert all(token not in written for token in tokens)


def test_the_readers_edition_is_built_without_the_signer_or_the_review_queue(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill_week(database, settings)
    second_tier_papers(database)

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the readers' edition reached for the review queue or the signing key")

    for name in ("second_tier", "pending_candidates", "pending_count", "week_stats"):
        monkeypatch.setattr(contents, name, forbidden)
    monkeypatch.setattr(secondtier, "approval_signer", forbidden)
    monkeypatch.setattr(secretstore, "ensure_secrets", forbidden)
    inbox = Inbox()
    with smtp_server(inbox) as port:
        settings = with_smtp(settings, port)
        outcome = send_week(settings, database, WEEK, NOW, edition="readers")
    assert outcome.status == "sent", outcome
    assert len(inbox.messages) == 1 and inbox.envelopes[0].rcpt_tos == list(READERS)
    with database.reading() as session:
        digest = contents.load_digest(session, settings, WEEK, now=NOW)
    assert (digest.edition, digest.pending_top, digest.second_tier, digest.pending_count) == ("readers", [], [], 0)
    assert not (settings.data_dir / "secrets.json").exists()  # no key was even generated for it


def test_a_failing_edition_is_retried_alone_and_neither_is_lost_or_repeated(
    database: Database, settings: Settings
) -> None:
    fill_week(database, settings)
    second_tier_papers(database)
    inbox = RefusingInbox()
    inbox.refused = set(MAINTAINERS)
    with smtp_server(inbox) as port:
        settings = with_smtp(settings, port)
        first = run_weekly_job(settings, database, NOW)
        early = run_weekly_job(settings, database, NOW + timedelta(minutes=10))
        inbox.refused = set()
        retried = run_weekly_job(settings, database, NOW + timedelta(minutes=30))
        again = run_weekly_job(settings, database, NOW + timedelta(hours=2))

    assert statuses(first) == [("2026-W48", "readers", "sent"), ("2026-W48", "maintainers", "failed")]
    assert first.retry_at == NOW + timedelta(minutes=30)  # weekly.retry_base_minutes, for the maintainers' edition
    assert statuses(early) == [("2026-W48", "readers", "already-sent"), ("2026-W48", "maintainers", "waiting")]
    assert statuses(retried) == [("2026-W48", "readers", "already-sent"), ("2026-W48", "maintainers", "sent")]
    assert statuses(again) == [("2026-W48", "readers", "already-sent"), ("2026-W48", "maintainers", "already-sent")]
    assert [tuple(envelope.rcpt_tos) for envelope in inbox.envelopes] == [READERS, MAINTAINERS]


def test_a_failed_readers_edition_waits_for_its_retry_while_the_maintainers_one_goes(
    database: Database, settings: Settings
) -> None:
    fill_week(database, settings)
    inbox = RefusingInbox()
    inbox.refused = set(READERS)
    with smtp_server(inbox) as port:
        settings = with_smtp(settings, port)
        first = run_weekly_job(settings, database, NOW)
        inbox.refused = set()
        # A week later: the readers' W48 goes first (a retry), then both editions of W49; the maintainers' W48 is
        # not sent again.
        next_week = run_weekly_job(settings, database, NOW + timedelta(days=7))
    assert statuses(first) == [("2026-W48", "readers", "failed"), ("2026-W48", "maintainers", "sent")]
    assert statuses(next_week) == [
        ("2026-W48", "readers", "sent"),
        ("2026-W49", "readers", "sent"),
        ("2026-W49", "maintainers", "sent"),
    ]
    title = "Awesome LMMs Mechanistic Interpretability"
    sent = [
        (tuple(envelope.rcpt_tos), message["Subject"])
        for envelope, message in zip(inbox.envelopes, inbox.messages, strict=True)
    ]
    assert sent == [
        (MAINTAINERS, f"{title} — 2026-W48: 3 new papers (maintainers' edition)"),
        (READERS, f"{title} — 2026-W48: 3 new papers"),
        (READERS, f"{title} — 2026-W49: a quiet week"),
        (MAINTAINERS, f"{title} — 2026-W49: a quiet week (maintainers' edition)"),
    ]


def test_without_maintainer_recipients_their_edition_is_only_written(database: Database, settings: Settings) -> None:
    fill_week(database, settings)
    inbox = Inbox()
    with smtp_server(inbox) as port:
        settings = with_smtp(settings, port, maintainers=())
        result = run_weekly_job(settings, database, NOW)
        outcome = send_week(settings, database, WEEK, NOW, edition="maintainers")
    assert statuses(result) == [("2026-W48", "readers", "sent")]
    assert outcome.status == "off" and "set [smtp] maintainer_recipients" in outcome.message
    assert [tuple(envelope.rcpt_tos) for envelope in inbox.envelopes] == [READERS]
    assert set(result.markdown_paths) == {"readers", "maintainers"}
    assert "## Waiting for review" in result.markdown_paths["maintainers"].read_text(encoding="utf-8")


def test_the_maintainers_edition_links_the_waiting_candidates_to_the_review_page(
    database: Database, settings: Settings
) -> None:
    """The maintainers' email said "5 candidates are waiting for a maintainer" and listed the best three by their
    arXiv pages, with no way to where they are decided: a maintainer reading it had to know the review page's address
    (Discord's notice of waiting candidates links it). Expected: both parts of the email link the review page on the
    public address; the readers' edition does not."""
    fill_week(database, settings)
    settings = settings.model_copy(
        update={"web": settings.web.model_copy(update={"base_url": "https://digest.example.org"})}
    )
    inbox = Inbox()
    with smtp_server(inbox) as port:
        run_weekly_job(with_smtp(settings, port), database, NOW)
    received = by_recipients(inbox)
    maintainers = received[MAINTAINERS]
    text = str(maintainers.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    html = str(maintainers.get_body(("html",)).get_content())  # type: ignore[union-attr]
    said = " ".join(text.split())  # the text part is wrapped; the address is kept whole, at a line's end
    assert "Decide them on the review page: https://digest.example.org/review The most promising:" in said, text
    assert "https://digest.example.org/review\n\nThe most promising:\n" in text.replace("\r\n", "\n"), text
    assert '<a href="https://digest.example.org/review"' in html
    assert "/review" not in seen(received[READERS])


def test_the_maintainers_edition_waits_only_on_candidates_found_by_the_weeks_end(
    database: Database, settings: Settings
) -> None:
    """`digest weekly --week 2026-W48` run in W49 put a candidate first seen in W49 under "Waiting for review" (at the
    top, by its score) and counted it, while the rest of an edition keeps to its week. A candidate found after the
    week's end waits in the next week's edition."""
    fill_week(database, settings)
    record = next(record for record in real_papers() if record["arxiv_id"] not in PAPERS)
    seen_after = datetime(2026, 11, 30, 6, 30, tzinfo=UTC)  # Monday 07:30 in Berlin: W49
    insert_candidate(
        database, record, score=0.99, suggested_section=SECTION, first_seen_at=seen_after, updated_at=seen_after
    )
    with smtp_server(Inbox()) as port:
        result = run_weekly_job(with_smtp(settings, port, maintainers=()), database, NOW)
    text = result.markdown_paths["maintainers"].read_text(encoding="utf-8")
    waiting = text.split("## Waiting for review", 1)[1]
    said = f"{len(PENDING)} candidates found by Sunday 29 November 2026 are still waiting for a maintainer"
    assert f"{said} (when this edition was made). The most promising:" in waiting, waiting
    assert record["arxiv_id"] not in waiting and PENDING[0][0] in waiting, waiting


def test_the_waiting_count_says_it_is_of_the_weeks_candidates_still_waiting_when_the_edition_was_made(
    database: Database, settings: Settings
) -> None:
    """A candidate of W48 rejected on Monday morning, before the edition went: the maintainers' email said "4
    candidates are waiting for a maintainer", which reads as the week's queue at its end (5), or as all that waits now
    (a candidate found on Monday is not in it). It says what it counts: found by the week's end, still waiting when
    this edition was made, in the email's two parts and the Markdown copy."""
    fill_week(database, settings)
    with database.transaction() as session:
        decided = session.scalars(select(Candidate.id).where(Candidate.arxiv_id == PENDING[0][0])).one()
    decide(database, settings, decided, "reject", datetime(2026, 11, 30, 6, 30, tzinfo=UTC))  # Monday 07:30, W49
    inbox = Inbox()
    with smtp_server(inbox) as port:
        result = run_weekly_job(with_smtp(settings, port), database, NOW)
    said = f"{len(PENDING) - 1} candidates found by Sunday 29 November 2026 are still waiting for a maintainer"
    maintainers = by_recipients(inbox)[MAINTAINERS]
    text = " ".join(str(maintainers.get_body(("plain",)).get_content()).split())  # type: ignore[union-attr]
    html = " ".join(str(maintainers.get_body(("html",)).get_content()).split())  # type: ignore[union-attr]
    markdown = result.markdown_paths["maintainers"].read_text(encoding="utf-8")
    for shown in (text, html, markdown):
        assert f"{said} (when this edition was made)." in shown, shown
        assert PENDING[0][0] not in shown.split("Waiting for review", 1)[1], shown  # decided: not among the best
