"""Fixtures every test module may use: a settings object on a temporary data folder, and its database.

Feature-specific loopback servers live in their own modules (tests/arxiv_server.py, tests/fake_discord.py, ...).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import pytest_asyncio

from digest.config import Settings, load_settings
from digest.storage.db import Database

if TYPE_CHECKING:
    from tests.fake_discord import FakeDiscord
    from tests.web_server import Site

TESTS_DIR = Path(__file__).resolve().parent
DATA_DIR = TESTS_DIR / "data"


def make_settings(data_dir: Path, config_text: str = "", environ: dict[str, str] | None = None) -> Settings:
    """Settings for a test: a TOML text (may be empty) and an explicit environment (never the real one)."""
    config_path = None
    if config_text:
        config_path = data_dir.parent / f"{data_dir.name}-config.toml"
        config_path.write_text(config_text, encoding="utf-8")
    return load_settings(config_path, data_dir, environ=environ or {}, load_dotenv_file=False)


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
async def browser() -> AsyncIterator[Any]:
    """Debian's Chromium through Playwright (never `playwright install`), for the tests of the pages in a browser."""
    from playwright.async_api import async_playwright

    from tests.test_browser import CHROMIUM, CHROMIUM_ARGS

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


@pytest.fixture
def db(bot_settings: Settings) -> Iterator[Database]:
    from digest.service.wiring import open_service_database

    database = open_service_database(bot_settings)
    yield database
    database.dispose()
