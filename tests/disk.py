"""The set-up of the tests of a full or read-only disk: a data folder holding candidates (with its config file), and
a folder seen read-only through a bind mount."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.factories import insert_candidate, real_papers

# A command that only reads, on a folder it cannot write, reads on with this warning, a line of its log.
READ_ONLY_WARNING = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d WARNING +digest\.cli\.context: reading the database read-only"
)
CONFIG = '[arxiv]\nsources = ["http://127.0.0.1:9/unused"]\napi_url = "http://127.0.0.1:9/api/query"\n'


def folder_with_candidates(tmp_path: Path) -> Path:
    from digest.config import load_settings
    from digest.service.wiring import open_service_database

    data = tmp_path / "with-candidates"
    settings = load_settings(config_file(tmp_path), data, environ={}, load_dotenv_file=False)
    database = open_service_database(settings)
    try:
        for paper in real_papers()[:3]:
            insert_candidate(database, paper)
    finally:
        database.dispose()
    return data


def config_file(tmp_path: Path) -> Path:
    config = tmp_path / "config.toml"
    if not config.exists():
        config.write_text(CONFIG, encoding="utf-8")
    return config


@contextmanager
def read_only_view(folder: Path, view: Path) -> Iterator[Path]:
    """`folder` seen read-only at `view` (a read-only bind mount); the test is skipped where mounting is not allowed."""
    import subprocess

    view.mkdir()
    bound = subprocess.run(["mount", "--bind", str(folder), str(view)], capture_output=True, check=False)
    if bound.returncode != 0:
        pytest.skip(f"a read-only folder needs a bind mount: {bound.stderr.decode().strip() or 'refused'}")
    try:
        remounted = subprocess.run(["mount", "-o", "remount,ro,bind", str(view)], capture_output=True, check=False)
        if remounted.returncode != 0:
            pytest.skip(f"cannot remount read-only: {remounted.stderr.decode().strip()}")
        yield view
    finally:
        subprocess.run(["umount", str(view)], capture_output=True, check=False)
