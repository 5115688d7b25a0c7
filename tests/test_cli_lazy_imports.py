"""What a spawn of `digest` pays for before its command runs, held without a clock (bench/bench_cli.py measures the
times): `list lint` loads no network client."""

from __future__ import annotations

from pathlib import Path

from digest.service.wiring import open_service_database
from tests.cli_runs import modules_imported_by
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers

NETWORK = ("aiohttp", "yarl", "multidict", "feedparser", "digest.arxiv.api", "digest.arxiv.fetcher")


def made(data_dir: Path) -> int:
    """The data folder made, with one real candidate: its id."""
    database = open_service_database(make_settings(data_dir))
    try:
        return insert_candidate(database, real_papers()[0])
    finally:
        database.dispose()


def test_list_lint_of_the_database_or_a_file_loads_no_network_client(data_dir: Path) -> None:
    made(data_dir)
    listed = data_dir / "list.md"
    for argv in (["list", "lint"], ["list", "lint", str(listed)]):
        status, modules = modules_imported_by(data_dir.parent, "--data-dir", str(data_dir), *argv)
        assert status in (0, 1), argv  # the bundled list's findings, if any
        loaded = sorted(name for name in NETWORK if name in modules)
        assert loaded == [], f"digest {' '.join(argv)} imported {loaded}"
        assert "digest.awesome.lint" in modules  # it did lint
