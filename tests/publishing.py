"""The set-up of the publishing tests: a real bare repository as the list's upstream, settings and a database
publishing to it, the service's reviewer and publisher, a real paper approved, and maintainers' edits pushed upstream
by hand (bytes as written, a section renamed); a HOME with a given ~/.gitconfig; the publish runner started as the
service starts it (beside the web app, for the pages' tests)."""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from digest.config import Settings
from digest.publish.publisher import Publisher
from digest.publish.pull_publisher import publisher_for
from digest.publish.runner import PublishRunner
from digest.review.reviewer import Reviewer
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.git_remote import ANN, NOW, Remote, git, make_remote, publish_config
from tests.web_server import Site, running_site, site_settings


@pytest.fixture
def remote(tmp_path: Path) -> Remote:
    return make_remote(tmp_path)


@pytest.fixture
def st(tmp_path: Path, remote: Remote) -> Settings:
    return make_settings(tmp_path / "data", publish_config(remote.url))


@pytest.fixture
def db(st: Settings) -> Iterator[Database]:
    database = open_service_database(st)
    yield database
    database.dispose()


def push_bytes(remote: Remote, data: bytes, subject: str = "hand edit") -> None:
    git(remote.work, "pull", "--quiet", "--ff-only", "origin", "main")
    (remote.work / "README.md").write_bytes(data)
    git(remote.work, "commit", "--quiet", "-am", subject)
    git(remote.work, "push", "--quiet", "origin", "HEAD:main")


def rename_sparse_autoencoder(remote: Remote) -> None:
    """A maintainer renames the section (its heading and its table of contents line) upstream."""
    text, headings = re.subn(r"^(### .*Sparse Autoencoder)$", r"\1s", remote.readme(), flags=re.M)
    toc = "  - [Sparse Autoencoder](#-sparse-autoencoder)\n"
    assert headings == 1 and toc in text
    push_bytes(remote, text.replace(toc, "  - [Sparse Autoencoders](#-sparse-autoencoders)\n").encode(), "Rename")


def services(database: Database, settings: Settings) -> tuple[Reviewer, Publisher]:
    """What the running service holds: the one decision path and the publisher for the configured mode (its merge
    base remembered)."""
    publisher = publisher_for(database, settings, clock=lambda: NOW)
    publisher.remember_base()
    return Reviewer(database, settings, clock=lambda: NOW), publisher


@asynccontextmanager
async def running_publisher(settings: Settings) -> AsyncIterator[tuple[Database, Reviewer, PublishRunner]]:
    """The service's database and reviewer, its decisions published by a started PublishRunner (stopped, and the
    database closed, on the way out)."""
    database = open_service_database(settings)
    try:
        runner = PublishRunner(database, settings)
        reviewer = Reviewer(database, settings, clock=lambda: NOW)
        reviewer.add_listener(runner.on_decision)
        await runner.start()
        try:
            yield database, reviewer, runner
        finally:
            await runner.stop()
    finally:
        database.dispose()


@asynccontextmanager
async def site_publishing_to(remote: Remote, data: Path) -> AsyncIterator[Site]:
    """The web app on loopback (its data in `data`) with the service's publishing to `remote`: a started
    PublishRunner hearing its reviewer's decisions (stopped on the way out)."""
    async with running_site(site_settings(data, publish_config(remote.url))) as site:
        runner = PublishRunner(site.database, site.settings)
        site.reviewer.add_listener(runner.on_decision)
        await runner.start()
        try:
            yield site
        finally:
            await runner.stop()


def approve(database: Database, reviewer: Reviewer, index: int, **overrides: object) -> str:
    paper = real_papers()[index]
    candidate_id = insert_candidate(database, paper, **overrides)
    reviewer.decide(candidate_id, "approve", ANN)
    return str(paper["arxiv_id"])


def git_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gitconfig: str) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text(gitconfig)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)


def back_up(settings: Settings, backup: Path) -> None:
    """The database copied as README's "Backing up" says, with the service running (sqlite3's backup)."""
    live, copy = sqlite3.connect(settings.data_dir / "digest.sqlite3"), sqlite3.connect(backup)
    try:
        live.backup(copy)
    finally:
        live.close()
        copy.close()


def restore(settings: Settings, backup: Path) -> None:
    """The backup put back as README says, the service stopped: its write-ahead log removed, the file copied over."""
    for suffix in ("-wal", "-shm"):
        (settings.data_dir / f"digest.sqlite3{suffix}").unlink(missing_ok=True)
    shutil.copyfile(backup, settings.data_dir / "digest.sqlite3")
