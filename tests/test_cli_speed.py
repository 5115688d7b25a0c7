"""A fast command line, tested by what it does rather than by a clock: which libraries each command imports at start
(bench/bench_cli.py measures the times), plus the usage errors and refusals of issue 14."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from digest import resources
from digest.cli import main
from digest.config import ArxivSettings, ConfigError, WeeklySettings, load_settings
from digest.config.crontab import cron_problem
from digest.service.wiring import open_service_database
from digest.storage.datalock import lock_data_folder
from tests.arxiv_server import ArxivServer
from tests.cli_runs import modules_imported_by
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers

HEAVY = ("sqlalchemy", "alembic", "aiohttp", "discord", "numpy", "scipy", "sklearn", "jinja2", "apscheduler")


def imported_by(folder: Path, *argv: str) -> tuple[int, list[str]]:
    """The exit status and the heavy libraries imported."""
    status, modules = modules_imported_by(folder, *argv)
    return status, sorted({name.split(".")[0] for name in modules} & set(HEAVY))


def test_help_and_usage_errors_import_no_database_network_or_model_library(data_dir: Path) -> None:
    for argv in (["--help"], ["approve", "--help"], ["history", "--since", "yesterday"], ["nonsense"]):
        status, heavy = imported_by(data_dir.parent, "--data-dir", str(data_dir), *argv)
        assert heavy == [], f"digest {' '.join(argv)} imported {heavy}"
        assert status == (0 if argv[-1] == "--help" else 2), argv


def test_candidates_and_approve_on_a_made_database_import_neither_alembic_nor_the_model(data_dir: Path) -> None:
    database = open_service_database(make_settings(data_dir))
    try:
        candidate_id = insert_candidate(database, real_papers()[0])
    finally:
        database.dispose()
    base = ("--data-dir", str(data_dir))
    # SQLAlchemy reads the rows; the built-in cron expressions are not parsed again, so no APScheduler.
    status, heavy = imported_by(data_dir.parent, *base, "candidates")
    assert (status, heavy) == (0, ["sqlalchemy"])
    status, heavy = imported_by(data_dir.parent, *base, "approve", str(candidate_id))
    assert (status, heavy) == (0, ["jinja2", "sqlalchemy"])  # the Markdown is regenerated
    assert real_papers()[0]["arxiv_id"] in (data_dir / "list.md").read_text(encoding="utf-8")


def test_help_imports_neither_the_list_parser_nor_the_heavy_libraries(data_dir: Path) -> None:
    status, modules = modules_imported_by(data_dir.parent, "--help")
    assert status == 0
    assert {name.split(".")[0] for name in modules} & {"apscheduler", "sqlalchemy", "jinja2", "numpy"} == set()
    # The size limit in `list import --help` comes from a leaf module, not from the parser or the settings.
    assert "digest.awesome.limits" in modules
    assert {"digest.awesome.parse", "digest.arxiv.additions", "digest.config"} & set(modules) == set()


def test_approving_a_missing_or_malformed_id_imports_no_scheduler(data_dir: Path) -> None:
    base = ("--data-dir", str(data_dir))
    status, _ = imported_by(data_dir.parent, *base, "candidates")  # makes the database
    assert status == 0
    for candidate_id, expected in (("999999", 1), ("12ab", 2)):
        status, heavy = imported_by(data_dir.parent, *base, "approve", candidate_id)
        assert status == expected, candidate_id
        assert "apscheduler" not in heavy, candidate_id


def test_user_cron_expressions_are_still_checked_and_the_defaults_are_valid(data_dir: Path) -> None:
    # load_settings skips parsing the built-in defaults, so they are checked here with the same parser.
    for expression in (ArxivSettings().poll_cron, ArxivSettings().retry_cron, WeeklySettings().cron):
        assert cron_problem("default", expression) is None, expression
    config = data_dir.parent / "cron.toml"
    config.write_text('[arxiv]\nretry_cron = "0 6 * * mon-fri"\n\n[weekly]\ncron = "61 8 * * mon"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(config, data_dir)
    assert [problem for problem in caught.value.problems if "cron" in problem] == [
        f"weekly.cron is not a valid crontab expression ('61 8 * * mon'): {cron_error('61 8 * * mon')}"
    ]


def cron_error(expression: str) -> str:
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(expression)
    except ValueError as exc:
        return str(exc)
    raise AssertionError(f"{expression!r} parsed")


def test_a_new_data_folder_is_still_migrated_and_seeded_by_a_command(data_dir: Path) -> None:
    status, heavy = imported_by(data_dir.parent, "--data-dir", str(data_dir), "candidates")
    assert status == 0 and "alembic" in heavy
    assert (data_dir / "list.md").exists()


def test_the_service_keeps_no_migration_library_after_upgrading_a_new_database(data_dir: Path) -> None:
    """`digest run` on a new data folder migrates its database (from nothing) in a child process: Alembic, and the
    Mako and Pygments it imports (about 9 MB), stayed in the service's memory for as long as it ran."""

    async def serve_and_run() -> tuple[int, list[str]]:
        async with ArxivServer() as arxiv:
            feed = arxiv.serve_file("/rss/cs.CL", "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml")
            config = data_dir.parent / "config.toml"
            config.write_text(f'[arxiv]\nsources = ["{feed}"]\n', encoding="utf-8")
            argv = ("--config", str(config), "--data-dir", str(data_dir), "run", "--once")
            return await asyncio.to_thread(modules_imported_by, data_dir.parent, *argv)

    status, modules = asyncio.run(serve_and_run())
    assert status == 0
    assert {name.split(".")[0] for name in modules} & {"alembic", "mako", "pygments"} == set()
    assert "sqlalchemy" in modules and "digest.service.process" in modules  # the service did run, in this process
    # The schema is whole and the bundled list imported, as an upgrade in place leaves them.
    status, modules = modules_imported_by(data_dir.parent, "--data-dir", str(data_dir), "candidates")
    assert status == 0 and "alembic" not in modules  # already at the newest revision
    assert (data_dir / "list.md").read_bytes() == resources.seed_list_path().read_bytes()


def test_a_malformed_week_is_a_usage_error_in_one_line(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data-dir", str(data_dir), "weekly", "--week", "2026-49"]) == 2
    captured = capsys.readouterr()
    assert captured.err == "digest: '2026-49' is not an ISO week: use YYYY-Www, e.g. 2026-W48\n"
    assert captured.out == "" and not data_dir.exists()  # refused before the data folder was touched


def test_send_with_dry_run_warns_when_email_is_off(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--data-dir", str(data_dir), "weekly", "--week", "2026-W48", "--send", "--dry-run"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    # A warning of the command's log: with its time and level.
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d WARNING +digest\.cli\.weekly: email is off \(set \[smtp\] host and "
        r"recipients\): --send would send nothing\n",
        captured.err,
    ), captured.err
    assert "2026-W48" in captured.out  # the dry run still shows the digest
    config = data_dir.parent / "email.toml"
    config.write_text('[smtp]\nhost = "127.0.0.1"\nrecipients = ["list@example.org"]\n', encoding="utf-8")
    assert main(["--config", str(config), *argv]) == 0
    assert capsys.readouterr().err == ""  # email on: nothing to warn about
    assert main(["--data-dir", str(data_dir), "weekly", "--week", "2026-W48", "--dry-run"]) == 0
    assert capsys.readouterr().err == ""  # no --send: nothing to warn about


def test_export_refuses_a_missing_folder_instead_of_creating_it(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "no-such-folder" / "deeper" / "list.md"
    assert main(["--data-dir", str(data_dir), "list", "export", "-o", str(target)]) == 1
    captured = capsys.readouterr()
    assert captured.err == (f"digest: {target}: the folder {target.parent} does not exist: create it first\n")
    assert not (tmp_path / "no-such-folder").exists()
    (tmp_path / "here").mkdir()
    assert main(["--data-dir", str(data_dir), "list", "export", "-o", str(tmp_path / "here" / "list.md")]) == 0
    assert (tmp_path / "here" / "list.md").read_bytes() == (data_dir / "list.md").read_bytes()


def test_the_schema_upgrade_child_does_not_import_the_settings(tmp_path: Path) -> None:
    """The service's schema upgrade runs in a child process at every start: storage/private.py imported the settings
    package (pydantic and every settings module, about 0.13 s) only for two file-mode helpers. The child creates a
    new database without importing it."""
    database = tmp_path / "digest.sqlite3"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "digest.storage.upgrade"],
        input=f"sqlite:///{database}",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and json.loads(done.stdout.splitlines()[-1])["applied"], done.stdout
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "digest.storage.private" in imported
    assert sorted(name for name in imported if name.startswith("digest.config")) == []


def test_the_service_answers_its_pages_without_loading_the_model_libraries(tmp_path: Path) -> None:
    # The real `digest run` up to its start (refused here by a data folder another service holds): no model library.
    data = tmp_path / "data"
    held = lock_data_folder(data)
    try:
        status, modules = modules_imported_by(tmp_path, "--data-dir", str(data), "run")
    finally:
        held.release()
    assert status == 1
    assert "digest.service.process" in modules
    assert {name.split(".")[0] for name in modules} & {"numpy", "scipy", "sklearn"} == set()
    # `digest run` serves its first page before a poll or a model build needs NumPy and SciPy (they were most of the
    # wait for it): the modules that start the service, its web app and its bot import neither.
    probe = (
        "import json, sys\n"
        "import digest.cli.run, digest.service.run, digest.service.process, digest.web.app, digest.discord.bot\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True)
    imported = {name.split(".")[0] for name in json.loads(done.stdout)}
    assert imported & {"numpy", "scipy", "sklearn"} == set()
