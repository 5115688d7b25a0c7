"""The commands a refusal tells a maintainer to run (a stale approval link's page, a Discord reaction that changed
nothing) run as printed, from another folder than the service's: they name the service's settings file and data folder,
so they act on its database. They were the bare `digest reject N`, which acts on ./data of wherever it is run. On each
database: on PostgreSQL the command starts with the DIGEST_DATABASE_URL the service was given, which a shell without
it (cron, another terminal) needs to reach that database and not the data folder's SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from digest.review.rules import Actor
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.postgres_server import each_database, postgres_server, postgres_url  # noqa: F401  (fixtures)
from tests.printed import printed_command, run_printed
from tests.web_pages import candidate_feed_links
from tests.web_server import SECRETS_ENV, Site, running_site


@pytest_asyncio.fixture
async def site(tmp_path: Path, each_database: dict[str, str]) -> AsyncIterator[Site]:  # noqa: F811
    """The web app over a new data folder on each database in turn; this process's environment names none of them."""
    async with running_site(make_settings(tmp_path / "data", environ={**SECRETS_ENV, **each_database})) as running:
        yield running


@pytest.mark.asyncio
async def test_the_command_a_stale_link_names_changes_the_decision_on_the_service_database(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    candidate_id = insert_candidate(site.database, real_papers()[3])
    reject = next(path for path, label in await candidate_feed_links(site) if label == "Reject")
    site.clock.advance(timedelta(hours=2))
    await site.reviewer.decide_async(candidate_id, "approve", Actor("ann", "1001", "discord"), "Probing")
    async with site.client.post(reject) as refused:
        assert refused.status == 409
        text = await refused.text()
    printed = printed_command(text.replace("&#39;", "'"), "reject")
    assert printed[-2:] == ["reject", str(candidate_id)], printed
    elsewhere = tmp_path / "elsewhere"  # a maintainer's shell, not in the service's folder
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert run_printed(printed, monkeypatch) == 0
    assert site.status_of(candidate_id) == "rejected"
    assert not (elsewhere / "data").exists()


@pytest.mark.asyncio
async def test_the_command_a_reaction_left_unapplied_names_makes_its_choice(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    candidate_id = insert_candidate(site.database, real_papers()[3])
    await site.reviewer.decide_async(candidate_id, "reject", Actor("bob", None, "cli"))
    outcome = site.reviewer.decide(
        candidate_id, "approve", Actor("ann", "1001", "discord"), "Probing", first_stands=True
    )
    assert not outcome.changed and outcome.overruled_by, outcome
    printed = printed_command(outcome.overruled_by, "approve")
    assert printed[-4:] == ["approve", str(candidate_id), "--section", "Probing"], printed
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert run_printed(printed, monkeypatch) == 0
    assert site.status_of(candidate_id) == "approved"
    assert not (elsewhere / "data").exists()
