"""The weekly digest without email: ISO weeks, the Markdown of a real week, templates, the command line."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from digest.cli import main
from digest.config import Settings
from digest.storage.db import Database
from digest.weekly import store as weekly_store
from digest.weekly.contents import load_digest
from digest.weekly.issue import Edition, IsoWeek, last_complete_week
from digest.weekly.rendering import markdown_text, render
from digest.weekly.store import run_weekly_job
from digest.weekly.weeks import long_date
from tests.conftest import make_settings
from tests.weekly_data import APPROVED_BEFORE, APPROVED_IN_WEEK, PAPERS, PENDING, WEEK, fill_week

CONFIG = 'timezone = "Europe/Berlin"\n\n[weekly]\npending_top = 3\n'
MONDAY_MORNING = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # 08:00 in Berlin, the default cron


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data", CONFIG)


def markdown_of(
    database: Database,
    settings: Settings,
    week: IsoWeek = WEEK,
    edition: Edition = "readers",
    now: datetime | None = None,
) -> str:
    with database.reading() as session:
        digest = load_digest(session, settings, week, now=now, edition=edition)
        return render(digest, settings.templates_dir, "digest.md.j2")


def title(arxiv_id: str) -> str:
    return str(PAPERS[arxiv_id]["title"])


def test_iso_weeks_parse_and_span_monday_to_monday_in_the_zone(settings: Settings) -> None:
    week = IsoWeek.parse("2026-W48")
    assert (week, str(week), IsoWeek.parse(" 2026w48 ")) == (WEEK, "2026-W48", WEEK)
    assert (week.monday, week.sunday) == (date(2026, 11, 23), date(2026, 11, 29))
    start, end = week.bounds(settings.tz)
    assert start.astimezone(UTC) == datetime(2026, 11, 22, 23, 0, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2026, 11, 29, 23, 0, tzinfo=UTC)
    assert str(IsoWeek.parse("2026-W53").previous()) == "2026-W52"  # 2026 has 53 ISO weeks
    assert str(IsoWeek(2026, 1).previous()) == "2025-W52"
    for bad, reason in (("2025-W53", "2025 has no ISO week 53"), ("2026-48", "use YYYY-Www"), ("W48", "YYYY-Www")):
        with pytest.raises(ValueError, match=reason):
            IsoWeek.parse(bad)


def test_the_last_complete_week_depends_on_the_time_zone(settings: Settings) -> None:
    sunday_night_utc = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)  # already Monday 00:30 in Berlin
    assert last_complete_week(sunday_night_utc, settings.tz) == WEEK
    assert str(last_complete_week(sunday_night_utc, UTC)) == "2026-W47"
    assert last_complete_week(MONDAY_MORNING, settings.tz) == WEEK


def test_markdown_groups_the_weeks_approvals_by_section_in_list_order(database: Database, settings: Settings) -> None:
    before = markdown_of(database, settings)
    fill_week(database, settings)
    text = markdown_of(database, settings, edition="maintainers")

    assert text.startswith("# Awesome LMMs Mechanistic Interpretability: week 2026-W48\n")
    assert "*Monday 23 November 2026 to Sunday 29 November 2026* · maintainers' edition" in text
    assert "3 new papers joined the list this week." in text
    # The list's order is Sparse Autoencoder, ..., Steering, Representation, Attention; each headed as the list heads
    # it ("### 📜 Sparse Autoencoder", saved there as Mac Roman mojibake), not with its Discord reaction (🧩).
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == [
        "## 📜 Sparse Autoencoder",
        "## 📜 Steering",
        "## 📜 Attention",
        "## Waiting for review",
        "## The week in numbers",
    ]
    for arxiv_id, _, _ in APPROVED_IN_WEEK:
        assert f"- **[{markdown_text(title(arxiv_id))}](https://arxiv.org/abs/{arxiv_id})**" in text
        assert f"[arXiv](https://arxiv.org/abs/{arxiv_id})" in text
    assert "[Code](https://github.com/wj210/CLIP_LTC)" in text  # the code link from 2505.17425's abstract
    assert "Sparse autoencoders (SAEs) are useful for detecting and steering interpretable features" in text
    assert title(APPROVED_BEFORE[0])[:40] not in text  # approved the week before
    # Five pending, the best three shown by score.
    waiting = "5 candidates found by Sunday 29 November 2026 are still waiting for a maintainer"
    assert f"{waiting} (when this edition was made). The most promising:" in text
    shown = [line for line in text.splitlines() if line[:3] in ("1. ", "2. ", "3. ", "4. ")]
    assert [line.split("](")[1].split(")")[0] for line in shown] == [
        f"https://arxiv.org/abs/{arxiv_id}" for arxiv_id, _, _ in PENDING[:3]
    ]
    assert "(score 0.91, suggested for *Steering*)" in text

    def in_list(markdown: str) -> int:
        line = next(line for line in markdown.splitlines() if line.startswith("- Papers in the list:"))
        return int(line.split("**")[1])

    assert in_list(text) == in_list(before) + 4  # three this week, one the week before
    entries = settings.list_markdown_path.read_text(encoding="utf-8").count("\n+ ")
    assert f"(in {entries} entries: a paper can sit in more than one section)" in text  # as the list page counts
    assert "- Added this week: **3**" in text
    assert "- New candidates found on arXiv: **9**" in text
    assert "- Candidates decided: **4** (3 approved, 1 rejected)" in text

    # The readers' edition: the same papers and the list's size; nothing of the review queue.
    readers = markdown_of(database, settings)
    assert [line for line in readers.splitlines() if line.startswith("## ")] == [
        "## 📜 Sparse Autoencoder",
        "## 📜 Steering",
        "## 📜 Attention",
        "## The week in numbers",
    ]
    with database.reading() as session:  # the email's HTML part heads them alike
        html = render(load_digest(session, settings, WEEK), settings.templates_dir, "email.html.j2")
    assert [line.split(">")[-2].split("<")[0] for line in html.splitlines() if "<h2 " in line][:3] == [
        "📜 Sparse Autoencoder",
        "📜 Steering",
        "📜 Attention",
    ], html
    assert readers.split("## The week in numbers")[0] == text.split("## Waiting for review")[0].replace(
        " · maintainers' edition", ""
    )
    assert in_list(readers) == in_list(text) and "- Added this week: **3**" in readers
    for arxiv_id, _, _ in PENDING:
        assert arxiv_id not in readers
    for word in ("candidate", "waiting", "review", "score", "suggested", "maintainer"):
        assert word not in readers.lower()


def test_a_week_in_utc_loses_the_approval_made_on_monday_night_in_berlin(tmp_path: Path) -> None:
    from digest.service.wiring import open_service_database

    settings = make_settings(tmp_path / "utc")
    database = open_service_database(settings)
    try:
        fill_week(database, settings)
        text = markdown_of(database, settings)
    finally:
        database.dispose()
    assert "2 new papers joined the list this week." in text
    assert title(APPROVED_IN_WEEK[0][0]) not in text


def test_a_hostile_title_is_inert_in_the_markdown(database: Database, settings: Settings) -> None:
    fill_week(database, settings, hostile=True)
    text = markdown_of(database, settings)
    assert "<script>" not in text
    assert r"**[\<script\>alert('x')\</script\> & Interpreting CLIP with Hierarchical" in text


def test_a_quiet_week_says_so_and_still_lists_what_waits(database: Database, settings: Settings) -> None:
    fill_week(database, settings)
    after = datetime(2026, 12, 14, 7, 0, tzinfo=UTC)  # the Monday after: the week is over
    text = markdown_of(database, settings, IsoWeek(2026, 50), edition="maintainers", now=after)
    assert "A quiet week: no papers joined the list." in text
    assert "5 candidates found by Sunday 13 December 2026 are still waiting" in text
    assert "- Added this week: **0**" in text


def test_a_week_not_over_counts_its_waiting_candidates_as_of_today_in_every_format(
    database: Database,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`digest weekly --now --edition maintainers` on a Monday said "5 candidates found by Sunday 13 December 2026 are
    still waiting", a day still to come: a week not over counts them as of the day it is made, in all three formats;
    a complete week keeps its Sunday."""
    monkeypatch.chdir(tmp_path)  # no .env from the working tree
    fill_week(database, settings)
    base = ["--config", str(settings.config_path), "--data-dir", str(settings.data_dir), "weekly"]
    today = long_date(datetime.now(UTC).astimezone(settings.tz).date())
    current = last_complete_week(datetime.now(UTC), settings.tz).next()
    so_far = f"5 candidates found so far, by {today}, are still waiting for a maintainer"
    assert main([*base, "--now", "--dry-run", "--edition", "maintainers"]) == 0
    assert so_far in capsys.readouterr().out
    assert main([*base, "--now", "--dry-run", "--edition", "maintainers", "--format", "email"]) == 0
    text, html = capsys.readouterr().out.split("--- text/html ---")
    assert so_far in " ".join(text.split()) and so_far in html
    assert f"found by {long_date(current.sunday)}" not in " ".join(text.split()) + html
    assert main([*base, "--week", "2026-W48", "--dry-run", "--edition", "maintainers", "--format", "email"]) == 0
    complete = " ".join(capsys.readouterr().out.split())
    assert complete.count("5 candidates found by Sunday 29 November 2026 are still waiting for a maintainer") == 2


def test_the_job_without_smtp_writes_markdown_and_says_email_is_off_once(
    database: Database, settings: Settings, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(weekly_store, "_email_off_logged", False)  # the once-per-process note, from a clean start
    fill_week(database, settings)
    with caplog.at_level(logging.INFO, logger="digest.weekly.store"):
        first = run_weekly_job(settings, database, MONDAY_MORNING)
        second = run_weekly_job(settings, database, MONDAY_MORNING)
    path, maintainers = settings.weekly_dir / "2026-W48.md", settings.weekly_dir / "2026-W48.maintainers.md"
    assert first.markdown_path == second.markdown_path == path
    assert first.markdown_paths == {"readers": path, "maintainers": maintainers}
    assert first.emails == () and first.retry_at is None
    assert path.read_text(encoding="utf-8") == markdown_of(database, settings)
    assert maintainers.read_text(encoding="utf-8") == markdown_of(database, settings, edition="maintainers")
    assert [r.getMessage() for r in caplog.records].count(
        "weekly: email is off (set [smtp] host and recipients); only the Markdown is written"
    ) == 1
    assert sorted(p.name for p in settings.weekly_dir.iterdir()) == ["2026-W48.maintainers.md", "2026-W48.md"]


def test_a_template_in_the_users_folder_wins(database: Database, settings: Settings, tmp_path: Path) -> None:
    own = tmp_path / "my-templates"
    (own / "weekly").mkdir(parents=True)
    (own / "weekly" / "digest.md.j2").write_text(
        "Week {{ digest.week }}: {{ digest.added_count }} added\n"
        "{% for s in digest.sections %}{% for i in s.items %}* {{ i.title | md }}\n{% endfor %}{% endfor %}",
        encoding="utf-8",
    )
    fill_week(database, settings)
    mine = settings.model_copy(update={"templates_dir": own})
    with database.reading() as session:
        digest = load_digest(session, mine, WEEK)
    assert render(digest, mine.templates_dir, "digest.md.j2").splitlines()[:2] == [
        "Week 2026-W48: 3 added",
        "* Interpreting CLIP with Hierarchical Sparse Autoencoders",
    ]
    # Templates the user did not copy come from the bundled folder.
    assert "== The week in numbers ==" in render(digest, mine.templates_dir, "email.txt.j2")


def test_the_command_writes_prints_and_refuses_in_one_line(
    database: Database,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the working tree
    fill_week(database, settings)
    base = ["--config", str(settings.config_path), "--data-dir", str(settings.data_dir), "weekly"]
    target, maintainers = settings.weekly_dir / "2026-W48.md", settings.weekly_dir / "2026-W48.maintainers.md"

    assert main([*base, "--week", "2026-W48", "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert printed == markdown_of(database, settings)
    assert not target.exists()

    assert main([*base, "--week", "2026-W48", "--dry-run", "--edition", "maintainers"]) == 0
    assert capsys.readouterr().out == markdown_of(database, settings, edition="maintainers")

    assert main([*base, "--week", "2026-W48"]) == 0
    assert capsys.readouterr().out == f"2026-W48: wrote {target}\n2026-W48: wrote {maintainers}\n"
    assert target.read_text(encoding="utf-8") == printed
    assert maintainers.read_text(encoding="utf-8") == markdown_of(database, settings, edition="maintainers")

    assert main([*base, "--week", "2026-W48", "--format", "email"]) == 0
    shown = capsys.readouterr().out
    assert "Subject: Awesome LMMs Mechanistic Interpretability — 2026-W48: 3 new papers" in shown
    assert "--- text/plain ---" in shown and "--- text/html ---" in shown

    assert main([*base, "--week", "2026-W60"]) == 2  # a usage error
    assert capsys.readouterr().err == "digest: 2026 has no ISO week 60\n"
    assert main([*base, "--week", "last"]) == 2
    assert capsys.readouterr().err == "digest: 'last' is not an ISO week: use YYYY-Www, e.g. 2026-W48\n"
    assert main([*base, "--week", "2026-W48", "--send"]) == 2  # a settings problem
    assert capsys.readouterr().err == (
        "digest: email is off: set [smtp] host and recipients in the config to send the weekly digest, or leave out "
        "--send to write its Markdown alone (nothing was written or sent)\n"
    )


def test_the_documented_example_is_what_the_week_renders(database: Database, settings: Settings) -> None:
    """docs/examples/weekly-2026-W48.md (the readers' edition) and weekly-2026-W48.maintainers.md: the seed list
    plus this week's three approvals (kept in step here)."""
    fill_week(database, settings)
    examples = Path(__file__).resolve().parent.parent / "docs" / "examples"
    assert (examples / "weekly-2026-W48.md").read_text(encoding="utf-8") == markdown_of(database, settings)
    maintainers = markdown_of(database, settings, edition="maintainers")
    assert (examples / "weekly-2026-W48.maintainers.md").read_text(encoding="utf-8") == maintainers


def test_a_paper_taken_out_of_the_list_since_its_approval_did_not_join_it(
    database: Database, settings: Settings
) -> None:
    """An approval whose entry a maintainer removed (an edited list imported) was still announced as joining."""
    from digest.awesome import store as liststore

    fill_week(database, settings)
    taken_out, _, _ = APPROVED_IN_WEEK[0]
    with database.transaction() as session:
        markdown = liststore.render_markdown(session, settings.templates_dir)
        lines = markdown.splitlines(keepends=True)
        first = next(i for i, line in enumerate(lines) if line.startswith("+ ") and taken_out in line)
        end = first + 1
        while end < len(lines) and lines[end].startswith("  "):
            end += 1
        report = liststore.import_markdown(session, "".join(lines[:first] + lines[end:]).encode(), source="edited")
        assert len(report.removed) == 1
    text = markdown_of(database, settings, edition="maintainers")
    assert f"{len(APPROVED_IN_WEEK) - 1} new papers joined the list this week." in text
    assert taken_out not in text.split("## Waiting for review")[0]


def test_send_takes_only_complete_weeks_and_a_year_the_calendar_holds(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Sent half-way, a week counted as sent and its later papers never reached readers; a typo'd future week was
    sent as "a quiet week"; year 9999 ended in a traceback."""
    from datetime import UTC, datetime

    from digest.weekly.issue import last_complete_week

    current = last_complete_week(datetime.now(UTC), make_settings(data_dir).tz).next()
    base = ["--data-dir", str(data_dir), "weekly"]
    for week in (current.next().next(), current):
        assert main([*base, "--week", str(week), "--send"]) == 2
        error = capsys.readouterr().err
        assert error.count("\n") == 1 and f"{week} is not over yet" in error
    assert main([*base, "--week", "9999-W52", "--dry-run"]) == 2
    assert "the year must be between" in capsys.readouterr().err


def test_writing_takes_only_complete_weeks_or_says_to_use_now(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest weekly --week <next week or this one>` wrote a file calling the week quiet (or short of the rest of its
    papers), exit 0, not a word that it was not over. Expected: refused in one line naming --now and --dry-run, no
    file; --dry-run still shows the week as it stands."""
    current = last_complete_week(datetime.now(UTC), make_settings(data_dir).tz).next()
    base = ["--data-dir", str(data_dir), "weekly"]
    for week in (current.next(), current):
        assert main([*base, "--week", str(week)]) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and captured.err.count("\n") == 1
        assert f"{week} is not over yet" in captured.err and "--now" in captured.err and "--dry-run" in captured.err
        assert not (data_dir / "weekly" / f"{week}.md").exists()
    assert main([*base, "--week", str(current.next()), "--dry-run"]) == 0
    assert f"week {current.next()}" in capsys.readouterr().out


def test_now_is_the_current_week_for_sending_printing_and_writing(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """README: '`--send --now` sends the current week as it stands'. Without --week it sent the last complete week
    (already sent, most Mondays: 'already sent', and the current one never went), and `--now` without --send wrote
    the last complete week too, exit 0; --now is the current week in each."""
    from tests.smtp_server import Inbox, free_port, smtp_server

    port = free_port()
    config = data_dir.parent / "smtp.toml"
    smtp = f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\nrecipients = ["readers@example.org"]\n'
    config.write_text(smtp, encoding="utf-8")
    current = last_complete_week(datetime.now(UTC), make_settings(data_dir).tz).next()
    base = ["--config", str(config), "--data-dir", str(data_dir), "weekly"]
    assert main([*base, "--now"]) == 0
    assert f"{current}: wrote" in capsys.readouterr().out
    assert (data_dir / "weekly" / f"{current}.md").is_file()
    assert main([*base, "--now", "--dry-run"]) == 0
    assert f"week {current}" in capsys.readouterr().out
    inbox = Inbox()
    with smtp_server(inbox, port):
        assert main([*base, "--send", "--now", "--edition", "readers"]) == 0
    assert f"{current}: sent to readers@example.org" in capsys.readouterr().out
    assert [str(message["Subject"]).split(" — ")[1].split(":")[0] for message in inbox.messages] == [str(current)]
    assert main([*base, "--now", "--week", str(current.next())]) == 2  # --now is the current week, not another
    assert "--now" in capsys.readouterr().err


def test_sending_the_current_week_says_its_later_papers_go_in_no_digest(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest weekly --now --send` on a Monday sent the week as it stood and said only "sent to ...": the week then
    counted as sent, so the scheduled digest next Monday said "already sent" and the papers approved from Tuesday to
    Sunday reached no reader, without a word at the send. A complete week's send says nothing more."""
    from tests.smtp_server import Inbox, free_port, smtp_server

    port = free_port()
    config = data_dir.parent / "smtp.toml"
    smtp = f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\nrecipients = ["readers@example.org"]\n'
    config.write_text(smtp, encoding="utf-8")
    current = last_complete_week(datetime.now(UTC), make_settings(data_dir).tz).next()
    base = ["--config", str(config), "--data-dir", str(data_dir), "weekly", "--edition", "readers"]
    with smtp_server(Inbox(), port):
        assert main([*base, "--send", "--now"]) == 0
        now_sent = capsys.readouterr()
        assert main([*base, "--send"]) == 0
        complete_sent = capsys.readouterr()
    assert f"{current}: sent to readers@example.org" in now_sent.out
    sunday = f"{current.sunday:%A} {current.sunday.day} {current.sunday:%B %Y}"
    assert now_sent.err == (
        f"digest: {current} is not over: it now counts as sent, so the papers that join the list by {sunday} go in "
        "no weekly digest\n"
    )
    assert f"{current.previous()}: sent to readers@example.org" in complete_sent.out
    assert complete_sent.err == ""


def test_a_past_weeks_digest_made_again_later_is_the_same_file(database: Database, settings: Settings) -> None:
    """A week's digest made again after more papers joined the list (an email retried, the weeks a stopped service
    missed, `digest weekly --week` by hand) said the list's size of the day it was made: four catch-up digests in a
    row each named a size that counts papers none of them announced, and the file for the week changed."""
    from sqlalchemy import select

    from digest.storage.models import Candidate
    from digest.weekly.contents import write_markdown
    from tests.weekly_data import decide

    fill_week(database, settings)
    with database.reading() as session:
        path = write_markdown(load_digest(session, settings, WEEK, edition="readers"), settings)
    first = path.read_text(encoding="utf-8")
    assert "Papers in the list: **" in first
    later = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # in the week after
    arxiv_id = PENDING[0][0]
    with database.reading() as session:
        waiting = session.scalars(select(Candidate.id).where(Candidate.arxiv_id == arxiv_id)).one()
    decide(database, settings, waiting, "approve", later)
    with database.reading() as session:
        write_markdown(load_digest(session, settings, WEEK, edition="readers"), settings)
    assert path.read_text(encoding="utf-8") == first
    assert title(arxiv_id) in markdown_of(database, settings, WEEK.next())
