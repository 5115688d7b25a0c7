"""Discord's `/add` typed after a maintainer's decision, in the running service (the real bot against the fake Discord,
arXiv's API on loopback serving a real recorded paper): the model that learnt from the decision is built while the
maintainer types, so /add finds it ready, and files the paper where that model suggests.

Was: the service learnt from decisions only after a quiet minute, so every /add within it built the model again (in
a child process, seconds after "thinking…") before it could answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from digest.arxiv.candidates import paper_text
from digest.arxiv.parse import parse_feed
from digest.config import Settings
from digest.relevance import store
from digest.relevance.stream import ensure_thresholds
from digest.service import model_refresh
from digest.service.process import Service
from digest.service.wiring import open_service_database
from tests.add_command import API_PATH, trimmed
from tests.arxiv_server import ArxivServer
from tests.conftest import make_settings
from tests.discord_add_setup import answer
from tests.discord_bot import eventually, last_embed, message_id, section_of
from tests.factories import insert_candidate
from tests.fake_discord import GUILD_ID, MAINTAINER, FakeDiscord

FEED = "api/api_new_cat-cs.LG-OR-cs.AI_2026-04-30_20entries.xml"
MORFI = "2604.26866"  # "MoRFI: Monotonic Sparse Autoencoder Feature Identification"
# How long the test gives the service to learn from a decision: the quiet it waits for and the build (a few seconds;
# more under the suite's load), about as long as a maintainer takes to type `/add ID` after reacting and check it.
TYPING_SECONDS = 60.0
# The quiet waited for after the last decision: ten seconds in the service, its length tests/test_model_refresh.py's
# concern; here one decision is made, and the wait for a second one that never comes was a third of the test.
QUIET_SECONDS = 0.5


@pytest_asyncio.fixture(name="arxiv")
async def arxiv_serving_morfi() -> AsyncIterator[ArxivServer]:
    async with ArxivServer() as server:
        server.program(API_PATH, trimmed(FEED, MORFI))
        yield server


def suggested_section(settings: Settings) -> str | None:
    """Where the model for the database as it is now would file MoRFI (built unless the service built it already)."""
    (paper,) = parse_feed(trimmed(FEED, MORFI).body, "recorded").papers
    database = open_service_database(settings)
    try:
        model = ensure_thresholds(database, settings)
    finally:
        database.dispose()
    return model.judge_many([paper_text(paper)], explain_all=True)[0].section


@pytest.mark.asyncio
async def test_an_add_after_a_decision_finds_the_model_that_learnt_from_it(
    fake: FakeDiscord, arxiv: ArxivServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model_refresh, "QUIET_SECONDS", QUIET_SECONDS)
    config = fake.config_toml() + (
        f'[arxiv]\nsources = ["{arxiv.url("/rss/unused")}"]\napi_url = "{arxiv.url(API_PATH)}"\n'
        "min_interval_seconds = 0\nmax_retries = 0\n"
    )
    settings = make_settings(tmp_path / "data", config, {"DISCORD_TOKEN": "fake-token"})
    (paper,) = parse_feed(trimmed(FEED, MORFI).body, "recorded").papers
    # A companion of MoRFI (its abstract, under another title) that the maintainer files under Attention.
    companion = {
        "arxiv_id": "2604.99990",
        "title": f"{paper.title}: a companion study",
        "abstract": paper.abstract,
        "published": "2026-04-29T00:00:00",
        "categories": list(paper.categories),
    }
    database = open_service_database(settings)
    try:
        candidate = insert_candidate(
            database, companion, suggested_section="Attention", suggested_sections=["Attention"]
        )
    finally:
        database.dispose()
    store.train_in_child_process(True)  # as `digest run` does
    store.clear_model_cache()
    try:
        # Before the decision the model files MoRFI under Sparse Autoencoder: the decision is what moves it.
        assert await asyncio.to_thread(suggested_section, settings) == "Sparse Autoencoder"
        service = Service(settings)
        await service.start(schedule=False, serve_web=False)
        try:
            refresher = service.model_refresher
            assert service.bot is not None and refresher is not None
            await eventually(lambda: GUILD_ID in fake.commands, "commands registered")
            await service.bot.post_pending()
            assert service.database is not None
            mid = message_id(service.database, candidate)
            await fake.react(mid, MAINTAINER, "✅")
            await eventually(lambda: "Approved by ann" in last_embed(fake, mid)["description"], "approved and shown")
            # While the maintainer types `/add`, the service learns from the decision.
            await eventually(lambda: refresher.builds >= 1, "the model built after the decision", within=TYPING_SECONDS)
            text = await answer(fake, await fake.use_command(MAINTAINER, "add", {"paper": MORFI}))
        finally:
            await service.stop()
    finally:
        store.train_in_child_process(False)
        store.clear_model_cache()
    assert text.startswith(f"{MORFI}: approved into Attention (candidate ") and "new candidate" in text
    listed = section_of(settings.list_markdown_path.read_text(encoding="utf-8"), "Attention")
    assert f"https://arxiv.org/abs/{MORFI}" in listed and "https://arxiv.org/abs/2604.99990" in listed
