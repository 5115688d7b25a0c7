"""A user's templates folder overrides single templates; everything it does not hold comes from the bundled set."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.awesome import store as liststore
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.web_server import SECRETS_ENV, running_site


@pytest.mark.asyncio
async def test_one_overridden_page_and_the_rest_bundled(tmp_path: Path) -> None:
    mine = tmp_path / "my-templates" / "web"
    mine.mkdir(parents=True)
    (mine / "list.html").write_text(
        '{% extends "web/_base.html" %}{% block title %}Our list{% endblock %}'
        "{% block main %}<h1>Our list</h1><p>{{ paper_count }} papers, our way.</p>{% endblock %}",
        encoding="utf-8",
    )
    settings = make_settings(tmp_path / "data", f'templates_dir = "{mine.parent}"\n', environ=dict(SECRETS_ENV))
    async with running_site(settings) as site:
        async with site.client.get("/") as response:
            page = await response.text()
        assert response.status == 200 and "papers, our way." in page
        async with site.client.get("/review") as response:  # not overridden: the bundled sign-in page
            assert response.status == 200 and "admin token" in (await response.text()).lower()
        with site.database.reading() as session:
            markdown = liststore.render_markdown(session, settings.templates_dir)
    assert markdown.encode("utf-8") == settings.seed_list.read_bytes()


def test_the_bundled_list_round_trips_with_the_default_folder(database: Database, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    with database.reading() as session:
        assert liststore.render_markdown(session, settings.templates_dir).encode() == settings.seed_list.read_bytes()


def test_an_approved_paper_is_written_in_the_users_entry_style(tmp_path: Path) -> None:
    mine = tmp_path / "my-templates" / "list"
    mine.mkdir(parents=True)
    (mine / "entry.md.j2").write_text(
        "+ [{{ title }}]({{ url }}){% if date_text %} — {{ date_text }}{% endif %}\n", encoding="utf-8"
    )
    settings = make_settings(tmp_path / "data", f'templates_dir = "{mine.parent}"\n')
    database = open_service_database(settings)
    try:
        paper = real_papers()[0]
        candidate_id = insert_candidate(database, paper)
        Reviewer(database, settings).decide(candidate_id, "approve", Actor("ann", None, "cli"))
    finally:
        database.dispose()
    written = settings.list_markdown_path.read_text(encoding="utf-8")
    assert f"+ [{paper['title']}](https://arxiv.org/abs/{paper['arxiv_id']}) — " in written
    assert written.count(f"https://arxiv.org/abs/{paper['arxiv_id']}") == 1  # no arXiv badge in this style
