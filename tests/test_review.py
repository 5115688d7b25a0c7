"""The one decision path: approve, reject, revert, and what the list and the audit log show afterwards."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import make_url

from digest.awesome import store as liststore
from digest.cli.program import main
from digest.config import DiscordSettings, Settings
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor, AlreadyDecidedError, ReviewError, Standing, may_decide
from digest.service.wiring import open_service_database
from digest.storage.db import Database, open_database
from digest.storage.models import Candidate, Decision, Entry
from digest.titles import title_key
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.postgres_server import each_database, postgres_server, postgres_url  # noqa: F401  (fixtures)

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
ANN = Actor("ann", "1001", "cli")
STAR = (
    "[![Star](https://img.shields.io/github/stars/ann/steer.svg?style=social&label=Star)](https://github.com/ann/steer)"
)


def reviewer_for(database: Database, settings: Settings) -> Reviewer:
    return Reviewer(database, settings, clock=lambda: NOW)


def section_of(markdown: str, heading: str) -> str:
    """The Markdown from a section's heading to the next heading."""
    start = next(i for i, line in enumerate(markdown.splitlines()) if line.startswith("#") and heading in line)
    lines = markdown.splitlines()[start + 1 :]
    end = next((i for i, line in enumerate(lines) if line.startswith("#")), len(lines))
    return "\n".join(lines[:end])


def test_approve_puts_the_paper_in_the_suggested_section_and_the_file(database: Database, settings: Settings) -> None:
    paper = real_papers()[0]
    candidate_id = insert_candidate(database, paper)
    outcome = reviewer_for(database, settings).decide(candidate_id, "approve", ANN)
    assert outcome.changed and outcome.status == "approved" and outcome.section == "Sparse Autoencoder"
    written = settings.list_markdown_path.read_text(encoding="utf-8")
    assert f"https://arxiv.org/abs/{paper['arxiv_id']}" in section_of(written, "Sparse Autoencoder")
    assert paper["arxiv_id"] not in section_of(written, "Steering")


def test_approving_twice_adds_the_paper_once(database: Database, settings: Settings) -> None:
    paper = real_papers()[1]
    candidate_id = insert_candidate(database, paper)
    reviewer = reviewer_for(database, settings)
    reviewer.decide(candidate_id, "approve", ANN)
    again = reviewer.decide(candidate_id, "approve", Actor("bob", "1002", "web"))
    assert not again.changed and "already approved" in again.message
    with database.reading() as session:
        markdown = liststore.render_markdown(session, settings.templates_dir)
        decisions = session.scalars(select(Decision).order_by(Decision.id)).all()
    entry_lines = [line for line in markdown.splitlines() if line.startswith("+ ") and paper["arxiv_id"] in line]
    assert len(entry_lines) == 1
    assert [(d.action, d.actor, d.channel, d.applied) for d in decisions] == [
        ("approve", "ann", "cli", True),
        ("approve", "bob", "web", False),
    ]


def test_approve_into_another_section_then_move_then_reject(database: Database, settings: Settings) -> None:
    paper = real_papers()[1]
    candidate_id = insert_candidate(database, paper)
    reviewer = reviewer_for(database, settings)
    reviewer.decide(candidate_id, "approve", ANN, section="steering")
    link = f"https://arxiv.org/abs/{paper['arxiv_id']}"
    assert link in section_of(settings.list_markdown_path.read_text(encoding="utf-8"), "Steering")
    reviewer.decide(candidate_id, "approve", ANN, section="Sparse Autoencoder")
    moved = settings.list_markdown_path.read_text(encoding="utf-8")
    assert link not in section_of(moved, "Steering") and link in section_of(moved, "Sparse Autoencoder")
    outcome = reviewer.decide(candidate_id, "reject", ANN)
    assert outcome.status == "rejected"
    assert link not in settings.list_markdown_path.read_text(encoding="utf-8")


def test_revert_returns_to_pending_and_restores_the_list(database: Database, settings: Settings) -> None:
    with database.reading() as session:
        before = liststore.render_markdown(session, settings.templates_dir)
    candidate_id = insert_candidate(database, real_papers()[2])
    reviewer = reviewer_for(database, settings)
    reviewer.decide(candidate_id, "approve", ANN)
    outcome = reviewer.decide(candidate_id, "revert", ANN)
    assert outcome.status == "pending" and outcome.changed
    with database.reading() as session:
        assert liststore.render_markdown(session, settings.templates_dir) == before
        candidate = session.get(Candidate, candidate_id)
        assert candidate is not None and candidate.decided_by is None


def test_unknown_candidate_or_section_is_one_clear_error(database: Database, settings: Settings) -> None:
    reviewer = reviewer_for(database, settings)
    with pytest.raises(ReviewError, match="no candidate with id 999"):
        reviewer.decide(999, "approve", ANN)
    candidate_id = insert_candidate(database, real_papers()[3])
    with pytest.raises(ReviewError, match="no section named 'Astrology'"):
        reviewer.decide(candidate_id, "approve", ANN, section="Astrology")
    with database.reading() as session:
        candidate = session.get(Candidate, candidate_id)
        assert candidate is not None and candidate.status == "pending"
        assert session.scalars(select(Decision)).all() == []


@pytest.mark.asyncio
async def test_listeners_hear_every_decision_and_a_failing_one_undoes_nothing(
    database: Database, settings: Settings
) -> None:
    heard: list[str] = []

    async def broken(_outcome: object) -> None:
        raise ConnectionError("discord is down")

    async def remember(outcome: object) -> None:
        heard.append(getattr(outcome, "message", ""))

    reviewer = reviewer_for(database, settings)
    reviewer.add_listener(broken)
    reviewer.add_listener(remember)
    candidate_id = insert_candidate(database, real_papers()[4])
    outcome = await reviewer.decide_async(candidate_id, "reject", ANN)
    assert outcome.status == "rejected" and heard == ["rejected"]


def test_only_maintainers_may_decide() -> None:
    rules = DiscordSettings(maintainer_role_ids=(7,), maintainer_user_ids=(42,))
    assert may_decide([], 42, rules)
    assert may_decide([3, 7], 5, rules)
    assert not may_decide([3], 5, rules)


def test_a_paper_whose_title_has_no_letters_or_digits_is_listed_as_untitled(
    database: Database, settings: Settings
) -> None:
    """It was refused ("title '??? — !!!' has no letters or digits"), with no way to list it. Expected: approved, its
    entry titled "Untitled paper, arXiv <id>", as the pages name a title that draws nothing."""
    paper = real_papers()[3]
    candidate_id = insert_candidate(database, paper, title="??? — !!!", title_key="")
    outcome = reviewer_for(database, settings).decide(candidate_id, "approve", ANN)
    assert outcome.changed and outcome.status == "approved"
    with database.reading() as session:
        raws = [entry.raw for entry in session.scalars(select(Entry)) if paper["arxiv_id"] in entry.raw]
    assert len(raws) == 1 and f"[Untitled paper, arXiv {paper['arxiv_id']}](" in raws[0]


def test_only_pending_refuses_a_decided_candidate_while_other_channels_still_overturn(
    database: Database, settings: Settings
) -> None:
    candidate_id = insert_candidate(database, real_papers()[2])
    reviewer = reviewer_for(database, settings)
    reviewer.decide(candidate_id, "approve", Actor("ann", "1001", "discord"), "Probing")
    link = Actor("feed approval link", None, "feed")
    with pytest.raises(AlreadyDecidedError) as refused:
        reviewer.decide(candidate_id, "reject", link, only_pending=True)
    assert refused.value.standing == Standing(candidate_id, "approved", "Probing", "ann", "discord", NOW)
    assert str(refused.value) == (
        f"Candidate {candidate_id} was already approved into Probing by ann via discord on 2026-11-25 09:30 UTC; "
        f"approval links and the review page act only on pending candidates. To change the decision on purpose, run "
        f"`digest reject {candidate_id}`."
    )
    with database.reading() as session:
        candidate = session.get(Candidate, candidate_id)
        assert candidate is not None and candidate.status == "approved"
        assert len(session.scalars(select(Decision)).all()) == 1  # a refused link leaves no audit row

    # Discord and the CLI decide as before: a later reject overturns the approval.
    overturned = reviewer.decide(candidate_id, "reject", ANN)
    assert overturned.changed and overturned.status == "rejected"
    with pytest.raises(AlreadyDecidedError, match=f"run `digest approve {candidate_id}`"):
        reviewer.decide(candidate_id, "approve", link, only_pending=True)


def test_a_decision_committed_by_another_process_meanwhile_is_seen_not_overwritten(
    database: Database, settings: Settings
) -> None:
    """Two processes on one SQLite file (the CLI and the service): a decision must read the candidate under the write
    lock, or it approves what another process rejected a moment before. The other process is a plain sqlite3
    connection here, holding the write lock while this decision starts, then rejecting the candidate."""
    paper = real_papers()[5]
    candidate_id = insert_candidate(database, paper)
    other = sqlite3.connect(make_url(settings.database_url).database or "", isolation_level=None, timeout=10)
    other.execute("BEGIN IMMEDIATE")
    started = threading.Event()

    def signal_start(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # The decision is under way: about to wait for the lock, or (reading before locking) done reading.
        if statement.startswith("BEGIN") or ("FROM candidates" in statement and "decisions" not in statement):
            started.set()

    event.listen(database.engine, "before_cursor_execute", signal_start)
    event.listen(database.engine, "after_cursor_execute", signal_start)
    link = Actor("feed approval link", None, "feed")
    with ThreadPoolExecutor(max_workers=1) as pool:
        decision = pool.submit(
            reviewer_for(database, settings).decide, candidate_id, "approve", link, "Probing", only_pending=True
        )
        assert started.wait(timeout=10)
        other.execute("UPDATE candidates SET status = 'rejected', decided_by = 'bob' WHERE id = ?", (candidate_id,))
        other.execute("COMMIT")
        with pytest.raises(AlreadyDecidedError, match="already rejected by bob"):
            decision.result(timeout=30)
    other.close()
    with database.reading() as session:
        candidate = session.get(Candidate, candidate_id)
        assert candidate is not None and candidate.status == "rejected"
        markdown = liststore.render_markdown(session, settings.templates_dir)
    assert paper["arxiv_id"] not in markdown


def test_the_decision_that_stands_is_the_last_made_even_after_the_clock_went_back(
    database: Database, settings: Settings
) -> None:
    """Ann approves at 12:00; the clock is stepped back half an hour (NTP, a restored VM, a second host on the same
    PostgreSQL) and Bob rejects: Bob's rejection is what stands, so Ann taking her ✅ back later changes nothing."""
    from datetime import timedelta

    from digest.review.queries import latest_decision

    candidate_id = insert_candidate(database, real_papers()[0])
    now = [datetime(2026, 11, 24, 12, 0, tzinfo=UTC)]
    reviewer = Reviewer(database, settings, clock=lambda: now[0])
    reviewer.decide(candidate_id, "approve", Actor("ann", "1001", "discord"))
    now[0] -= timedelta(minutes=30)
    reviewer.decide(candidate_id, "reject", Actor("bob", None, "cli"))
    with database.reading() as session:
        candidate = session.get(Candidate, candidate_id)
        latest = latest_decision(session, candidate_id)
        assert candidate is not None and candidate.status == "rejected"
        assert latest is not None and (latest.action, latest.actor) == ("reject", "bob")


def test_list_md_ends_on_the_newest_state_when_two_processes_decide_at_once(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service's decision renders list.md, then is slow to write it; meanwhile `digest approve` commits another
    decision and writes. The file must end holding both (the older rendering used to land last)."""
    import digest.awesome.store as store_module

    first, second = (insert_candidate(database, record) for record in real_papers()[:2])
    service, shell = Reviewer(database, settings), Reviewer(database, settings)  # each process its own Reviewer
    rendered_first, second_committed = threading.Event(), threading.Event()
    original = store_module.write_list_markdown

    def slow_first_write(path: Any, text: str, entries: int | None = None) -> Any:
        if threading.current_thread().name == "service":
            rendered_first.set()
            second_committed.wait(5)
        return original(path, text, entries)

    monkeypatch.setattr(store_module, "write_list_markdown", slow_first_write)
    workers = [
        threading.Thread(target=service.decide, args=(first, "approve", Actor("ann", "1", "discord")), name="service")
    ]
    workers[0].start()
    assert rendered_first.wait(10)
    workers.append(threading.Thread(target=shell.decide, args=(second, "approve", Actor("bob", None, "cli"))))
    workers[1].start()
    for _ in range(100):
        with database.reading() as session:
            candidate = session.get(Candidate, second)
            if candidate is not None and candidate.status == "approved":
                break
        threading.Event().wait(0.05)
    threading.Event().wait(0.3)  # the shell's write, without the lock, would be done by now
    second_committed.set()
    for worker in workers:
        worker.join(10)
    with database.reading() as session:
        expected = liststore.render_markdown(session, settings.templates_dir)
    assert settings.list_markdown_path.read_text(encoding="utf-8") == expected


@pytest.mark.parametrize("undo", ["revert", "reject"])
def test_an_approval_is_undone_after_its_sections_heading_was_renamed(
    database: Database, settings: Settings, undo: str
) -> None:
    """The heading of the section a paper was approved into is renamed by hand (imported): `digest pending` and
    `digest reject` said they had worked and the paper stayed in the list."""
    candidate_id = insert_candidate(database, real_papers()[0])
    reviewer = Reviewer(database, settings)
    reviewer.decide(candidate_id, "approve", Actor("ann", None, "cli"), "Steering")
    with database.transaction() as session:
        text = liststore.render_markdown(session, settings.templates_dir)
        heading = next(
            line for line in text.splitlines() if line.startswith("#") and line.rstrip().endswith("Steering")
        )
        renamed = text.replace(heading, heading.replace("Steering", "Activation Editing"))
        liststore.import_markdown(session, renamed.encode("utf-8"), source="edited.md")
    reviewer.decide(candidate_id, undo, Actor("ann", None, "cli"))
    arxiv_id = real_papers()[0]["arxiv_id"]
    with database.reading() as session:
        assert arxiv_id not in liststore.render_markdown(session, settings.templates_dir)
    assert arxiv_id not in settings.list_markdown_path.read_text(encoding="utf-8")


@pytest.mark.parametrize("undo", ["revert", "reject", "approve", "approve where it is"])
def test_an_approval_moved_to_another_section_by_hand_is_undone_where_it_now_is(
    database: Database, settings: Settings, undo: str
) -> None:
    """A maintainer moves an approved paper to another section by hand (imported: "moved Steering -> Probing").
    `digest pending` and `digest reject` said they had worked and the paper stayed in the list; approving it into a
    third section left it in two. Approving it into the section it was moved to, or into another, keeps the
    maintainer's lines."""
    arxiv_id = real_papers()[0]["arxiv_id"]
    candidate_id = insert_candidate(database, real_papers()[0])
    reviewer = Reviewer(database, settings)
    reviewer.decide(candidate_id, "approve", Actor("ann", None, "cli"), "Steering")
    with database.transaction() as session:
        text = liststore.render_markdown(session, settings.templates_dir)
        lines = text.split("\n")
        first = next(i for i, line in enumerate(lines) if line.startswith("+ ") and arxiv_id in line)
        entry = [lines[first], lines[first + 1], "  " + STAR, lines[first + 2]]
        del lines[first : first + 3]
        probing = next(i for i, line in enumerate(lines) if line.startswith("#") and line.endswith("Probing"))
        lines[probing + 2 : probing + 2] = entry
        report = liststore.import_markdown(session, "\n".join(lines).encode("utf-8"), source="edited.md")
        assert [(item["from"], item["to"]) for item in report.moved] == [("Steering", "Probing")]
        liststore.write_markdown(session, settings)  # as `digest list import` writes it
    into = {"approve": "Attention", "approve where it is": "Probing"}.get(undo)
    reviewer.decide(candidate_id, "approve" if into else undo, Actor("ann", None, "cli"), into)
    with database.reading() as session:
        held = liststore.sections_holding(session, arxiv_id)
    assert held == ([into] if into else [])
    written = settings.list_markdown_path.read_text(encoding="utf-8")
    entries = [line for line in written.splitlines() if line.startswith("+ ") and arxiv_id in line]
    assert len(entries) == (1 if into else 0)
    assert (STAR in written) == bool(into)


def test_an_approval_moved_to_another_section_keeps_the_lines_a_maintainer_wrote_in_its_entry(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A maintainer gave an approved paper's entry a bold short name and a star badge (the list edited in git and
    imported); `digest approve --section Probing` then moved it, and the entry in Probing was written anew from arXiv's
    record: the short name and the badge were gone without a word. The entry moves as the maintainer wrote it."""
    settings = make_settings(data_dir)
    database = open_service_database(settings)
    arxiv_id = real_papers()[0]["arxiv_id"]
    try:
        candidate_id = insert_candidate(database, real_papers()[0])
        Reviewer(database, settings).decide(candidate_id, "approve", ANN, "Steering")
        with database.transaction() as session:
            lines = liststore.render_markdown(session, settings.templates_dir).split("\n")
            first = next(i for i, line in enumerate(lines) if line.startswith("+ ") and arxiv_id in line)
            lines[first] = lines[first].replace("+ [", "+ **SteerLVLM** [", 1)
            lines.insert(first + 2, "  " + STAR)
            edited = lines[first : first + 3]
            liststore.import_markdown(session, "\n".join(lines).encode("utf-8"), source="edited.md")
    finally:
        database.dispose()
    capsys.readouterr()
    assert main(["--data-dir", str(data_dir), "approve", str(candidate_id), "--section", "Probing"]) == 0
    assert capsys.readouterr().out.startswith(f"candidate {candidate_id} ({arxiv_id}): approved into Probing")
    written = settings.list_markdown_path.read_text(encoding="utf-8")
    assert "\n".join(edited) in section_of(written, "Probing")
    assert arxiv_id not in section_of(written, "Steering")
    assert sum(line.startswith("+ ") and arxiv_id in line for line in written.splitlines()) == 1


def test_a_rejection_after_approving_where_a_hand_move_put_it_takes_the_entry_out(
    database: Database, settings: Settings
) -> None:
    """Approved into Steering, moved to Probing by hand, then approved into Probing (the maintainer's lines kept):
    the entry is still this approval's. Was: the approval no longer owned it, so a later `digest reject` said
    "rejected" and the paper stayed in Probing."""
    arxiv_id = real_papers()[0]["arxiv_id"]
    candidate_id = insert_candidate(database, real_papers()[0])
    reviewer = Reviewer(database, settings)
    reviewer.decide(candidate_id, "approve", Actor("ann", None, "cli"), "Steering")
    with database.transaction() as session:
        lines = liststore.render_markdown(session, settings.templates_dir).split("\n")
        first = next(i for i, line in enumerate(lines) if line.startswith("+ ") and arxiv_id in line)
        entry = lines[first : first + 3]
        del lines[first : first + 3]
        probing = next(i for i, line in enumerate(lines) if line.startswith("#") and line.endswith("Probing"))
        lines[probing + 2 : probing + 2] = entry
        report = liststore.import_markdown(session, "\n".join(lines).encode("utf-8"), source="edited.md")
        assert [(item["from"], item["to"]) for item in report.moved] == [("Steering", "Probing")]
    reviewer.decide(candidate_id, "approve", Actor("ann", None, "cli"), "Probing")
    outcome = reviewer.decide(candidate_id, "reject", Actor("ann", None, "cli"), None)
    assert outcome.changed
    with database.reading() as session:
        assert liststore.sections_holding(session, arxiv_id) == []
    assert arxiv_id not in settings.list_markdown_path.read_text(encoding="utf-8")


def test_a_deciders_name_cannot_rewrite_what_the_history_says(database: Database, settings: Settings) -> None:
    """A Discord display name with a right-to-left override read, wherever decisions are shown, as if someone else
    had decided through another channel."""
    candidate_id = insert_candidate(database, real_papers()[0])
    Reviewer(database, settings).decide(candidate_id, "reject", Actor("mallory\u202ebew aiv bob\n", "9", "discord"))
    with database.reading() as session:
        candidate = session.get(Candidate, candidate_id)
        decision = session.scalars(select(Decision).where(Decision.candidate_id == candidate_id)).one()
        assert candidate is not None and candidate.decided_by == decision.actor == "mallory bew aiv bob"


def test_a_condition_asked_under_the_lock_refuses_the_decision_and_writes_nothing(
    database: Database, settings: Settings
) -> None:
    """The web's undo asks its rule under the candidate's lock: a decision someone else made between the page's
    check and the undo used to be reverted, and the history said the undoer did it."""
    from digest.review.reviewer import NotAllowedError

    candidate_id = insert_candidate(database, real_papers()[0])
    reviewer = Reviewer(database, settings)
    reviewer.decide(candidate_id, "approve", Actor("alice", "web:a", "web"), "Steering")
    reviewer.decide(candidate_id, "reject", Actor("ann", "1", "discord"))  # meanwhile, in Discord
    asked: list[str] = []

    def still_alices(session: Any, candidate: Candidate, now: datetime) -> bool:
        asked.append(candidate.status)
        return candidate.decided_by == "alice"

    with pytest.raises(NotAllowedError):
        reviewer.decide(candidate_id, "revert", Actor("alice", "web:a", "web"), only_if=still_alices)
    with database.reading() as session:
        candidate = session.get(Candidate, candidate_id)
        decisions = session.scalars(select(Decision).where(Decision.candidate_id == candidate_id)).all()
    assert asked == ["rejected"] and candidate is not None and candidate.status == "rejected"
    assert [(d.action, d.actor) for d in decisions] == [("approve", "alice"), ("reject", "ann")]


def _paused_before_writing_entries(database: Database, reached: threading.Event, resume: threading.Event) -> None:
    """This process's decision reads the section's entries, then waits (at most 3 s) before its first write to them:
    the window in which another process's decision may run."""

    def pause(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        writes = ("INSERT INTO entries", "UPDATE entries", "DELETE FROM entries")
        paused = threading.current_thread().name == "paused" and statement.lstrip().startswith(writes)
        if paused and not reached.is_set():
            reached.set()
            resume.wait(3)

    event.listen(database.engine, "before_cursor_execute", pause)


@pytest.mark.parametrize("first_action", ["approve", "reject"])
def test_two_processes_changing_one_section_at_once_keep_the_list_whole_and_in_date_order(
    tmp_path: Any,
    each_database: dict[str, str],  # noqa: F811
    first_action: str,
) -> None:
    """The service approves a paper into a section while `digest approve` (or `reject`) changes the same section: each
    renumbers the section's entries from what it read. On PostgreSQL the later one used to renumber from a list
    without the other's change: two entries at one place (their order in list.md then the database's whim), or a
    crash on an entry the other had just taken out ("expected to update 1 row(s); 0 were matched")."""
    from tests.conftest import make_settings

    settings = make_settings(tmp_path / "data", environ=each_database)
    service_db, shell_db = open_service_database(settings), open_database(settings.database_url)
    newer, older = real_papers()[0], real_papers()[3]  # May and February 2025: newest first in the section
    newer_id = insert_candidate(service_db, newer)
    older_id = insert_candidate(service_db, older)
    if first_action == "reject":  # the shell takes out an entry the service's renumbering reads
        Reviewer(service_db, settings).decide(older_id, "approve", ANN, "Sparse Autoencoder")
    reached, resume = threading.Event(), threading.Event()
    _paused_before_writing_entries(service_db, reached, resume)
    outcomes: list[object] = []

    def service_decides() -> None:
        try:
            outcomes.append(Reviewer(service_db, settings).decide(newer_id, "approve", ANN, "Sparse Autoencoder"))
        except Exception as exc:
            outcomes.append(exc)

    service = threading.Thread(target=service_decides, name="paused")
    service.start()
    assert reached.wait(10)
    shell = threading.Thread(
        target=Reviewer(shell_db, settings).decide,
        args=(older_id, first_action, Actor("bob", None, "cli"), "Sparse Autoencoder"),
    )
    shell.start()
    shell.join(1)  # done by now unless it waits for the service's decision
    resume.set()
    service.join(15)
    shell.join(15)
    with service_db.reading() as session:
        markdown = liststore.render_markdown(session, settings.templates_dir)
        positions = [(entry.section_id, entry.position) for entry in session.scalars(select(Entry).order_by(Entry.id))]
    service_db.dispose()
    shell_db.dispose()
    assert [type(outcome).__name__ for outcome in outcomes] == ["Outcome"], outcomes
    assert len(positions) == len(set(positions))  # one entry at each place of a section
    section = section_of(markdown, "Sparse Autoencoder")
    assert newer["arxiv_id"] in section
    if first_action == "approve":
        assert older["arxiv_id"] in section
        assert section.index(newer["arxiv_id"]) < section.index(older["arxiv_id"])
    else:
        assert older["arxiv_id"] not in markdown
    assert settings.list_markdown_path.read_text(encoding="utf-8") == markdown


@pytest.mark.parametrize(
    ("title", "short_name"),
    [
        ("SAE-V: Interpreting Multimodal Models", "SAE-V"),
        ("Heat-bath walks in ViTs (code at https://example.org/x)", None),
        ("Ratios 16:9 and 4:3 in vision transformers", None),
    ],
)
def test_an_approved_papers_bold_short_name_is_the_title_before_its_colon_and_space(
    database: Database, settings: Settings, title: str, short_name: str | None
) -> None:
    """The list names a paper titled 'Name: subtitle' by its bold short name. A colon inside a link or a ratio
    ('https://...', '16:9') is no such separator: the name was cut there ('**Heat-bath walks in ViTs (code at
    https**')."""
    paper = real_papers()[0]
    candidate_id = insert_candidate(database, paper, title=title, title_key=title_key(title))
    assert reviewer_for(database, settings).decide(candidate_id, "approve", ANN).changed
    written = settings.list_markdown_path.read_text(encoding="utf-8")
    (entry,) = [line for line in written.splitlines() if line.startswith("+ ") and paper["arxiv_id"] in line]
    assert entry.startswith(f"+ **{short_name}** [") if short_name else entry.startswith("+ ["), entry
