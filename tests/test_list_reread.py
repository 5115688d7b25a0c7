"""A list stored by an older release's reading of the Markdown is read again by this one when the database is next
opened: the bytes do not change, and lines this release reads as text (an entry commented out) leave the entries."""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, delete, select, text

from digest.awesome import store as liststore
from digest.awesome.reading import META_KEY
from digest.cli.program import main
from digest.config import Settings
from digest.resources import seed_list_path
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
from digest.service.wiring import open_service_database
from digest.storage.db import Database, open_database
from digest.storage.models import Candidate, Entry, ListMeta, Paper, Section
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.postgres_server import postgres_server, postgres_url  # noqa: F401  (fixtures)
from tests.postgres_service import pg_settings

HIDDEN = "<!--\n+ **Hidden Paper** [A Paper We Took Out](https://arxiv.org/abs/2412.00001) (Dec. 1, 2024)\n-->\n\n"
ANCHOR = "+ **Attention Lens** [Devils in Middle Layers"


def listed(database: Database) -> set[str]:
    with database.reading() as session:
        return set(session.scalars(select(Paper.arxiv_id).join(Entry, Entry.paper_id == Paper.id)))


def stored_by_an_older_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hidden: str = HIDDEN
) -> tuple[Path, bytes]:
    """A data folder whose list was imported by a reading that did not know HTML comments (as the release before
    this one): the commented-out paper was stored as an entry, and the store says nothing of its reading."""
    settings = make_settings(tmp_path / "data")
    text = seed_list_path().read_text(encoding="utf-8")
    at = text.index(ANCHOR)
    edited = (text[:at] + hidden + text[at:]).encode("utf-8")
    database = open_service_database(settings)
    try:
        with monkeypatch.context() as older:
            older.setattr("digest.awesome.parse.hidden_lines", lambda lines: [False] * len(lines))
            with database.transaction() as session:
                liststore.import_markdown(session, edited, source="edited.md")
        with database.transaction() as session:
            session.execute(delete(ListMeta).where(ListMeta.key == META_KEY))
        assert "2412.00001" in listed(database)
    finally:
        database.dispose()
    return settings.data_dir, edited


def test_the_upgrade_reads_the_stored_list_again_and_says_what_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir, edited = stored_by_an_older_reading(tmp_path, monkeypatch)
    settings = make_settings(data_dir)
    with caplog.at_level(logging.WARNING, logger="digest.service.wiring"):
        database = open_service_database(settings)
    try:
        assert "2412.00001" not in listed(database)  # commented out: no longer a list paper
        with database.reading() as session:
            assert liststore.render_markdown(session, settings.templates_dir).encode("utf-8") == edited  # same bytes
            report = liststore.import_markdown(session, edited, source="again")
            session.rollback()
        assert not report.changed  # importing the file again changes nothing
    finally:
        database.dispose()
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 1 and "1 no longer entries: A Paper We Took Out" in lines[0]
    # Read once: the next opening finds the list already in this release's reading and says nothing.
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="digest.service.wiring"):
        open_service_database(settings).dispose()
    assert caplog.records == []


def test_reading_the_list_again_on_postgres_removes_a_paper_approved_meanwhile(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
) -> None:
    """After the upgrade, process A (a CLI command or the service: every open_service_database) reads the stored list
    again: it renders the list, then imports that rendering in the same transaction, taking no lock (no list-file lock,
    no FOR UPDATE; SQLite is safe only thanks to BEGIN IMMEDIATE). On PostgreSQL (READ COMMITTED) a maintainer's
    approval committed by process B between A's render and A's import is in the database A compares with, but not in
    the Markdown A imports: A deletes the approved paper's entry. The candidate stays 'approved', out of the list.

    The window is widened deterministically by a third session holding the list_meta key A's import inserts first
    (it rolls back: any other transaction touching that row, e.g. another process's re-read that gave up)."""
    settings = pg_settings(tmp_path, postgres_url, '[arxiv]\ncontact = "maintainers@example.org"\n')
    database = open_service_database(settings)
    paper = real_papers()[0]
    candidate_id = insert_candidate(database, paper)
    with database.transaction() as session:  # the list as an older release stored it: no reader version
        session.execute(delete(ListMeta).where(ListMeta.key == META_KEY))
    holder = create_engine(postgres_url)
    blocker = holder.connect()
    blocker.begin()
    blocker.execute(text("INSERT INTO list_meta (key, value) VALUES (:k, 'x')"), {"k": META_KEY})
    result: list[BaseException | None] = []

    def process_a() -> None:
        try:
            open_service_database(settings).dispose()
            result.append(None)
        except BaseException as exc:
            result.append(exc)

    reader = threading.Thread(target=process_a)
    reader.start()
    with holder.connect() as watch:  # A has rendered and now waits on the list_meta key
        for _ in range(200):
            waiting = watch.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar()
            if waiting:
                break
            time.sleep(0.05)
        assert waiting, "process A never reached its import"
    # Process B: a maintainer approves on the web / CLI.
    Reviewer(database, settings).decide(candidate_id, "approve", Actor("ann", None, "cli"), "Probing")
    blocker.rollback()
    blocker.close()
    reader.join(30)
    holder.dispose()
    assert result == [None]
    with database.reading() as session:
        listed = set(session.scalars(select(Paper.arxiv_id).join(Entry, Entry.paper_id == Paper.id)))
    database.dispose()
    assert paper["arxiv_id"] in listed


def test_two_processes_reading_the_list_again_on_postgres_both_open(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
) -> None:
    """After the upgrade the service and a CLI command (or the cron's `digest backfill`) start together: both find
    no reader version and both read the list again. The first to commit inserts list_meta's reader_version; the
    other's INSERT of the same key waits for it and then fails: open_service_database raises IntegrityError (a
    traceback, the command or the service does not start), where the second should find the list read already.

    The first process is stood for by a session that does what its import does first (insert the key) and commits."""
    settings = pg_settings(tmp_path, postgres_url, '[arxiv]\ncontact = "maintainers@example.org"\n')
    database = open_service_database(settings)
    with database.transaction() as session:
        session.execute(delete(ListMeta).where(ListMeta.key == META_KEY))
    database.dispose()
    holder = create_engine(postgres_url)
    first = holder.connect()
    first.begin()
    first.execute(text("INSERT INTO list_meta (key, value) VALUES (:k, '2')"), {"k": META_KEY})
    result: list[BaseException | None] = []

    def second_process() -> None:
        try:
            open_service_database(settings).dispose()
            result.append(None)
        except BaseException as exc:
            result.append(exc)

    reader = threading.Thread(target=second_process)
    reader.start()
    with holder.connect() as watch:
        for _ in range(200):
            if watch.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar():
                break
            time.sleep(0.05)
    first.commit()
    first.close()
    reader.join(30)
    holder.dispose()
    assert result == [None], repr(result[0])[:200]


def stored_with_markup_names(tmp_path: Path, **candidate: object) -> tuple[Settings, int, bytes]:
    """A data folder as the release before this one left it: sections named with their heading's markup, no reader
    version, a candidate pending (`candidate`: its fields); the settings, the candidate and the list file's bytes."""
    settings = make_settings(tmp_path / "data")
    markdown = seed_list_path().read_text(encoding="utf-8")
    markdown = markdown.replace("### \uf8ffüìú Attention\n", '### <a name="attn"></a>Attention\n', 1)
    markdown = markdown.replace("### \uf8ffüìú Probing\n", "### **Probing**\n", 1)
    assert '<a name="attn">' in markdown and "**Probing**" in markdown
    database = open_service_database(settings)
    paper = real_papers()[0]
    try:
        with database.transaction() as session:
            liststore.import_markdown(session, markdown.encode("utf-8"), source="edited.md")
        candidate_id = insert_candidate(database, paper, **candidate)
        with database.transaction() as session:  # as the release before this one stored them, and no reader version
            session.execute(delete(ListMeta).where(ListMeta.key == META_KEY))
            session.execute(text("UPDATE sections SET name = 'a name=\"attn\"></a>Attention' WHERE name = 'Attention'"))
            session.execute(text("UPDATE sections SET name = '**Probing**' WHERE name = 'Probing'"))
        written = settings.list_markdown_path.read_bytes()
    finally:
        database.dispose()
    return settings, candidate_id, written


def test_the_upgrade_names_a_section_by_its_headings_text_as_a_new_folder_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """The release before this one named a section by its heading with the markup ('a name="attn"></a>Attention',
    '**Probing**'); this one by its text. Reading the stored list again on upgrade compared entries and intros only,
    so an upgraded folder kept the old names: `approve --section Attention` was refused (no such section) and every
    line went on saying 'approved into a name="attn"></a>Attention', where a new folder says 'Attention'."""
    settings, candidate_id, written = stored_with_markup_names(tmp_path)
    capsys.readouterr()
    with caplog.at_level(logging.WARNING, logger="digest.service.wiring"):
        assert main(["--data-dir", str(settings.data_dir), "approve", str(candidate_id), "--section", "Attention"]) == 0
    said = [record.getMessage() for record in caplog.records if record.name == "digest.service.wiring"]
    # one line naming each renamed section, and no entry said to have moved (none did)
    assert len(said) == 1 and "'a name=\"attn\"></a>Attention' is 'Attention'" in said[0], said
    assert "'**Probing**' is 'Probing'" in said[0] and "moved" not in said[0]
    assert capsys.readouterr().out.strip().endswith("approved into Attention")
    assert main(["--data-dir", str(settings.data_dir), "list", "lint", "--json"]) in (0, 1)
    capsys.readouterr()
    database = open_service_database(settings)
    try:
        with database.reading() as session:
            names = set(session.scalars(select(Section.name)))
    finally:
        database.dispose()
    assert {"Attention", "Probing"} <= names and not {'a name="attn"></a>Attention', "**Probing**"} & names
    assert settings.list_markdown_path.read_bytes() != written  # the approval went in; the headings stay as written
    assert b'### <a name="attn"></a>Attention\n' in settings.list_markdown_path.read_bytes()


def test_a_suggestion_the_release_before_made_is_named_as_its_section_is_now(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A candidate the release before suggested into 'a name="attn"></a>Attention' went on being listed so after the
    upgrade named the section 'Attention': `digest candidates`, the digest's pending list and the /review page's
    buttons showed the old markup name of a section the list no longer calls so."""
    old = 'a name="attn"></a>Attention'
    settings, candidate_id, _ = stored_with_markup_names(
        tmp_path, suggested_section=old, suggested_sections=[old, "**Probing**", "Steering"]
    )
    capsys.readouterr()
    assert main(["--data-dir", str(settings.data_dir), "candidates", "--status", "pending"]) == 0
    listed = capsys.readouterr().out
    assert "[Attention]" in listed and "a name=" not in listed, listed
    database = open_service_database(settings)
    try:
        with database.reading() as session:
            found = session.get(Candidate, candidate_id)
            assert found is not None
            assert (found.suggested_section, found.suggested_sections) == (
                "Attention",
                ["Attention", "Probing", "Steering"],
            )
    finally:
        database.dispose()


def test_verdicts_and_approvals_into_a_section_the_upgrade_renamed_still_teach_that_section(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Verdicts brought in with `decisions import` and approvals made before the upgrade name their section as the
    release before did ('a name="attn"></a>Attention'); after the upgrade called it 'Attention' they taught the model
    nothing of where such papers go (as for a section renamed by hand), and `decisions list` showed the old name,
    though nobody had renamed anything."""
    from digest.relevance.gathering import feedback_examples
    from digest.storage.state import TrainingDecision

    old = 'a name="attn"></a>Attention'
    settings, _, _ = stored_with_markup_names(tmp_path, status="approved", decided_section=old)
    approved = real_papers()[0]["arxiv_id"]
    database = open_database(settings.database_url)  # not read again yet
    try:
        with database.transaction() as session:
            session.add(
                TrainingDecision(
                    arxiv_id="2401.00001",
                    title="Attention heads in CLIP",
                    abstract="",
                    approved=True,
                    section=old,
                    source="verdicts.jsonl",
                    imported_at=datetime.now(UTC),
                )
            )
    finally:
        database.dispose()
    capsys.readouterr()
    assert main(["--data-dir", str(settings.data_dir), "decisions", "list"]) == 0
    listed = capsys.readouterr().out
    assert "Attention" in listed and "a name=" not in listed, listed
    database = open_service_database(settings)
    try:
        with database.reading() as session:
            taught = {example.arxiv_id: example.section for example in feedback_examples(session)}
    finally:
        database.dispose()
    assert taught["2401.00001"] == "Attention" and taught[approved] == "Attention", taught


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_the_log_line_naming_what_left_shows_no_control_of_the_lists_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], log_format: str
) -> None:
    """The titles named when the list is read again are the list's text as written: a U+202E there reversed the rest
    of the log line on a terminal, and an ESC sequence erased it. The log (as `digest publish` writes it, the service
    too) shows every record's message on its line without invisible characters."""
    from tests.git_remote import make_remote, publish_config

    hostile = HIDDEN.replace("A Paper We", "A Paper\u202e We").replace("Took Out", "Took\x1bc Out")
    data_dir, _edited = stored_by_an_older_reading(tmp_path, monkeypatch, hostile)
    config = tmp_path / "publish.toml"
    config.write_text(f'log_format = "{log_format}"\n' + publish_config(make_remote(tmp_path).url), encoding="utf-8")
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    capsys.readouterr()
    try:
        main(["--config", str(config), "--data-dir", str(data_dir), "publish", "--dry-run"])
        err = capsys.readouterr().err
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    (line,) = [line for line in err.splitlines() if "no longer entries" in line]
    if log_format == "json":
        line = json.loads(line)["message"]
    assert "A Paper We Took c Out" in " ".join(line.split()), line
    assert not {"\u202e", "\x1b"} & set(err), err
