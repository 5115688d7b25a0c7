"""Fixtures every test module may use: a settings object on a temporary data folder, and its database.

Feature-specific loopback servers live in their own modules (tests/arxiv_server.py, tests/fake_discord.py, ...).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import pytest_asyncio

from digest.config import Settings, load_settings
from digest.storage.db import Database

if TYPE_CHECKING:
    from tests.fake_discord import FakeDiscord
    from tests.processes import Spawned, Started
    from tests.web_server import Site

TESTS_DIR = Path(__file__).resolve().parent
DATA_DIR = TESTS_DIR / "data"
ROOT = TESTS_DIR.parent  # the repository


def make_settings(data_dir: Path, config_text: str = "", environ: dict[str, str] | None = None) -> Settings:
    """Settings for a test: a TOML text (may be empty) and an explicit environment (never the real one)."""
    config_path = None
    if config_text:
        config_path = data_dir.parent / f"{data_dir.name}-config.toml"
        config_path.write_text(config_text, encoding="utf-8")
    return load_settings(config_path, data_dir, environ=environ or {}, load_dotenv_file=False)


@contextmanager
def mounted_tmpfs(mount_point: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` ("2m") at `mount_point`, to fill up as a full disk is (mounting needs root, which these
    machines and the CI run as; the test is skipped elsewhere)."""
    mount_point.mkdir(parents=True, exist_ok=True)
    command = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)]
    if os.geteuid() != 0 or subprocess.run(command, capture_output=True, check=False).returncode != 0:
        pytest.skip("mounting a tmpfs needs root")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill_disk(folder: Path, leave: int = 0) -> None:
    """Writes the file `folder`/filler until the disk holding it has no room left, or (`leave`) that many bytes free
    at most: a few kilobytes, so a database opens and its next write does not fit."""
    handle = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        if leave:
            while shutil.disk_usage(folder).free > leave:
                os.write(handle, b"\0" * 4096)
        else:
            while True:
                os.write(handle, b"\0" * 65536)
    except OSError:
        pass
    finally:
        os.close(handle)


@pytest.fixture(autouse=True)
def _logging_as_it_was() -> Iterator[None]:
    """A test that sets logging up as a command does (digest/cli/logs.py: the root's level and handler, quieter
    libraries) would leave it so for the tests after it in the same worker, and a test reading caplog would then see
    lines its own set-up logged: each test leaves logging as it found it."""
    import logging

    root = logging.getLogger()
    level, handlers = root.level, root.handlers[:]
    named = {
        name: logger.level
        for name, logger in logging.Logger.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger):
            logger.setLevel(named.get(name, logging.NOTSET))


@pytest.fixture(autouse=True)
def _fresh_health() -> Iterator[None]:
    """The service's parts report to a process-wide registry (digest/health.py): each test starts with none."""
    from digest import health

    health.forget()
    yield
    health.forget()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


# What the command line reads from the environment to find another folder, database or service.
CLI_ENVIRONMENT = ("DIGEST_CONFIG", "DIGEST_DATA_DIR", "DIGEST_DATABASE_URL", "DISCORD_TOKEN", "SMTP_PASSWORD")


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder for the command line (`tmp_path / "data"`, the `settings` fixture's), run from `tmp_path` (no
    stray .env from the checkout) with none of the caller's settings in the environment. A module that needs the
    folder made first overrides this fixture and asks for it."""
    monkeypatch.chdir(tmp_path)
    for name in CLI_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "data"


@pytest.fixture(scope="session")
def kept_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cache a new data folder's first model build leaves (tests/kept_model.py), built once for the whole run:
    in the folder all xdist workers share (the run's base folder), or this process's own without xdist."""
    from tests.kept_model import built_once

    base = tmp_path_factory.getbasetemp()
    return built_once(base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base)


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    from digest.service.wiring import open_service_database

    db = open_service_database(settings)
    yield db
    db.dispose()


@pytest_asyncio.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    """The web app on a loopback port over a new data folder (tests/web_server.py); a module may define its own."""
    from tests.web_server import running_site, site_settings  # that module imports this one

    async with running_site(site_settings(tmp_path / "data")) as running:
        yield running


@pytest_asyncio.fixture
async def started() -> AsyncIterator[Started]:
    """The processes the test starts (tests/processes.py): those still running when it ends are killed and reaped."""
    from tests.processes import Started

    processes = Started()
    try:
        yield processes
    finally:
        await processes.end()


@pytest.fixture
def spawned() -> Iterator[Spawned]:
    """`started` for `subprocess.Popen` (tests/processes.py): those still running when the test ends are killed."""
    from tests.processes import Spawned

    processes = Spawned()
    try:
        yield processes
    finally:
        processes.end()


@pytest_asyncio.fixture
async def browser() -> AsyncIterator[Any]:
    """Debian's Chromium through Playwright (never `playwright install`), for the tests of the pages in a browser."""
    from playwright.async_api import async_playwright

    from tests.chromium import CHROMIUM, CHROMIUM_ARGS

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


# The Discord tests' fixtures: the fake Discord on a loopback port, a data folder configured for it (a post cap of 3),
# and that folder's database. A module that needs another set-up defines its own.
@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    from tests.fake_discord import FakeDiscord

    server = FakeDiscord()
    await server.start()
    yield server
    await server.close()


@pytest.fixture
def bot_settings(tmp_path: Path, fake: FakeDiscord) -> Settings:
    return make_settings(tmp_path / "data", fake.config_toml(post_cap=3), {"DISCORD_TOKEN": "fake-token"})


def seed_config(tmp_path: Path, text: str) -> str:
    """The configuration line naming a seed list of `text`, written to tmp_path/seed.md."""
    seed = tmp_path / "seed.md"
    seed.write_text(text, encoding="utf-8")
    return f'seed_list = "{seed}"\n'


def seeded_bot_settings(tmp_path: Path, fake: FakeDiscord, seed_text: str, extra: str = "") -> Settings:
    """Settings for the bot at the fake Discord over a seed list of `seed_text`, `extra` added to its [discord]."""
    config = seed_config(tmp_path, seed_text) + fake.config_toml(extra=extra)
    return make_settings(tmp_path / "data", config, {"DISCORD_TOKEN": "fake-token"})


@pytest.fixture
def db(bot_settings: Settings) -> Iterator[Database]:
    from digest.service.wiring import open_service_database

    database = open_service_database(bot_settings)
    yield database
    database.dispose()
