"""`digest pending ID` (undo from the shell), `digest history` (the audit log) and the section `digest candidates`
shows for an approved paper."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from digest.cli import main
from digest.clock import utc_now
from digest.config import Settings
from digest.review.history import action_words
from digest.review.queries import latest_decision
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from digest.storage.models import Candidate, Decision
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers

ANN = Actor(name="ann", id="42", channel="discord")


@pytest.fixture
def made(data_dir: Path) -> Iterator[tuple[Settings, Database, list[int]]]:
    settings = make_settings(data_dir)
    database = open_service_database(settings)
    ids = [insert_candidate(database, paper) for paper in real_papers()[:3]]
    yield settings, database, ids
    database.dispose()


def cli(data_dir: Path, *argv: str) -> int:
    return main(["--data-dir", str(data_dir), *argv])


def test_pending_returns_an_approved_paper_to_pending_and_the_audit_log_says_so(
    data_dir: Path, made: tuple[Settings, Database, list[int]], capsys: pytest.CaptureFixture[str]
) -> None:
    settings, database, (first, second, _) = made
    arxiv_id = real_papers()[0]["arxiv_id"]
    assert cli(data_dir, "approve", str(first), "--section", "Steering") == 0
    assert arxiv_id in settings.list_markdown_path.read_text(encoding="utf-8")
    assert cli(data_dir, "reject", str(second)) == 0
    capsys.readouterr()

    assert cli(data_dir, "pending", str(first)) == 0
    assert cli(data_dir, "pending", str(second)) == 0
    assert cli(data_dir, "pending", str(second)) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"candidate {first} ({arxiv_id}): back to pending",
        f"candidate {second} ({real_papers()[1]['arxiv_id']}): back to pending",
        f"candidate {second} ({real_papers()[1]['arxiv_id']}): already pending",
    ]
    assert arxiv_id not in settings.list_markdown_path.read_text(encoding="utf-8")
    with database.reading() as session:
        candidates = {c.id: c for c in session.scalars(select(Candidate))}
        audit = [(d.candidate_id, d.action, d.channel, d.applied) for d in session.scalars(select(Decision))]
    assert (candidates[first].status, candidates[first].decided_section, candidates[first].decided_by) == (
        "pending",
        None,
        None,
    )
    assert candidates[second].status == "pending"
    assert audit[2:] == [
        (first, "revert", "cli", True),
        (second, "revert", "cli", True),
        (second, "revert", "cli", False),
    ]


def test_pending_refuses_an_unknown_or_malformed_id_in_one_line(
    data_dir: Path, made: tuple[Settings, Database, list[int]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(data_dir, "pending", "999") == 1
    assert cli(data_dir, "pending", "x1") == 2
    assert capsys.readouterr().err.splitlines() == [
        "digest: no candidate with id 999",
        "digest pending: 'x1' is not a candidate id: give its number (from 1, in the digits 0-9) or its paper's arXiv "
        "ID",
    ]


def test_history_shows_who_decided_what_when_through_which_channel_into_which_section(
    data_dir: Path, made: tuple[Settings, Database, list[int]], capsys: pytest.CaptureFixture[str]
) -> None:
    settings, database, (first, second, third) = made
    times = iter(
        datetime(2026, 11, day, hour, 5, tzinfo=UTC) for day, hour in ((20, 9), (21, 10), (24, 11), (25, 12), (25, 13))
    )
    reviewer = Reviewer(database, settings, clock=lambda: next(times))
    reviewer.decide(first, "approve", ANN, "probing")
    reviewer.decide(second, "reject", Actor(name="web maintainer", id=None, channel="web"))
    reviewer.decide(first, "approve", ANN, "Probing")  # changed nothing
    reviewer.decide(first, "revert", Actor(name="bob", id=None, channel="cli"))
    reviewer.decide(third, "approve", Actor(name="feed link", id=None, channel="feed"))
    papers = real_papers()

    assert cli(data_dir, "history") == 0
    assert capsys.readouterr().out.splitlines() == [
        f"2026-11-20 09:05 UTC  {first:>5} {papers[0]['arxiv_id']:<12} approved into Probing by ann via discord: "
        f"{papers[0]['title']}",
        f"2026-11-21 10:05 UTC  {second:>5} {papers[1]['arxiv_id']:<12} rejected by web maintainer: "
        f"{papers[1]['title']}",
        f"2026-11-24 11:05 UTC  {first:>5} {papers[0]['arxiv_id']:<12} approved into Probing by ann via discord "
        f"(changed nothing): {papers[0]['title']}",
        f"2026-11-25 12:05 UTC  {first:>5} {papers[0]['arxiv_id']:<12} back to pending by bob via cli: "
        f"{papers[0]['title']}",
        f"2026-11-25 13:05 UTC  {third:>5} {papers[2]['arxiv_id']:<12} approved into Sparse Autoencoder by feed link "
        f"via feed: {papers[2]['title']}",
    ]

    assert cli(data_dir, "history", "--since", "2026-11-25", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["candidate_id"], r["action"], r["section"], r["actor"], r["channel"]) for r in rows] == [
        (first, "revert", None, "bob", "cli"),
        (third, "approve", "Sparse Autoencoder", "feed link", "feed"),
    ]
    assert rows[1]["at"] == "2026-11-25T13:05:00+00:00" and rows[1]["applied"] is True
    assert rows[1]["arxiv_id"] == papers[2]["arxiv_id"] and rows[1]["title"] == papers[2]["title"]

    assert cli(data_dir, "history", "--since", "2026-12-01") == 0
    assert capsys.readouterr().out == "no decisions since 2026-12-01\n"
    with pytest.raises(SystemExit) as stopped:
        cli(data_dir, "history", "--since", "last week")
    assert stopped.value.code == 2
    assert capsys.readouterr().err.endswith("argument --since: 'last week' is not a date like 2025-01-31\n")


def test_history_ends_on_the_decision_that_stands_when_two_processes_decide_at_once(
    data_dir: Path, made: tuple[Settings, Database, list[int]], capsys: pytest.CaptureFixture[str]
) -> None:
    """Bob's `digest reject` read the time, then waited for the write lock while the service committed Ann's approval
    of the same paper: his reject came second and stands. `digest history` listed the two by the times read, his
    reject first and her approval last, so the audit log said the paper is in the list when it is not."""
    settings, database, (first, _, _) = made
    service, ann = Reviewer(database, settings), []

    def time_read_then_ann_decides() -> datetime:
        read = utc_now()
        ann.append(threading.Thread(target=service.decide, args=(first, "approve", ANN, "Probing")))
        ann[0].start()
        ann[0].join(1)  # she commits first, unless this decision holds the lock already
        return read

    Reviewer(database, settings, clock=time_read_then_ann_decides).decide(first, "reject", Actor("bob", None, "cli"))
    ann[0].join()

    with database.reading() as session:
        stands = latest_decision(session, first)
        assert stands is not None
        said = f"{action_words(stands)} by {stands.actor} via {stands.channel}: "
    assert cli(data_dir, "history") == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and said in lines[-1], lines


def test_candidates_shows_the_section_a_paper_was_approved_into(
    data_dir: Path, made: tuple[Settings, Database, list[int]], capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, (first, second, _) = made  # both suggested for Sparse Autoencoder
    assert cli(data_dir, "approve", str(first), "--section", "Steering") == 0
    capsys.readouterr()
    assert cli(data_dir, "candidates") == 0
    rows = capsys.readouterr().out.splitlines()[1:]  # under the header, each row but the notes under a decided one
    lines = {int(line.split()[0]): line for line in rows if not line.startswith(" " * 7)}
    assert "[Steering]" in lines[first] and "[Sparse Autoencoder]" not in lines[first]
    assert "[Sparse Autoencoder]" in lines[second]  # pending: the suggestion
    assert cli(data_dir, "candidates", "--status", "approved", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["id"], r["decided_section"], r["suggested_section"]) for r in rows] == [
        (first, "Steering", "Sparse Autoencoder")
    ]


def test_history_help_names_every_channel_a_decision_comes_through(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest history --help` listed the channels as "discord, web, feed, cli": a maintainer reading it could not
    place the `email` rows (the weekly email's approve links) the command prints, which the README names."""
    from digest.vocab import Channel

    with pytest.raises(SystemExit) as leaving:
        cli(data_dir, "history", "--help")
    assert leaving.value.code == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert [channel.value for channel in Channel if channel.value not in shown] == []


def test_history_since_a_day_keeps_a_decision_made_after_midnight_on_a_clock_behind(
    data_dir: Path, made: tuple[Settings, Database, list[int]], capsys: pytest.CaptureFixture[str]
) -> None:
    """Ann approves just after midnight; Bob, on a host whose clock is behind, rejects "before midnight": his rejection
    stands, yet `digest history --since` that day left it out and ended on Ann's approval, and `digest history` put it
    first. Expected: both, in the order they were made, Bob's last (with the time each was recorded at)."""
    settings, database, (first, _, _) = made
    times = iter((datetime(2026, 11, 25, 0, 10, tzinfo=UTC), datetime(2026, 11, 24, 23, 50, tzinfo=UTC)))
    reviewer = Reviewer(database, settings, clock=lambda: next(times))
    reviewer.decide(first, "approve", ANN, "Probing")
    reviewer.decide(first, "reject", Actor(name="bob", id=None, channel="cli"))

    for since in ((), ("--since", "2026-11-25")):
        assert cli(data_dir, "history", *since) == 0
        lines = capsys.readouterr().out.splitlines()
        assert [line[:20] for line in lines] == ["2026-11-25 00:10 UTC", "2026-11-24 23:50 UTC"], since
        assert "approved into Probing by ann" in lines[0] and "rejected by bob via cli" in lines[1], since
