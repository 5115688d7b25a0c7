"""When the public Atom feed says a paper's entry changed (<updated>): a title corrected by hand in the list's Markdown
is a change a reader should see; a section heading renamed is not news for each of its papers. Through the web app on
loopback (tests/web_server.py), the list imported as `digest list import` and a git pull import it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
import pytest_asyncio
from alembic import command
from sqlalchemy import func, inspect, select

from digest.awesome import store as liststore
from digest.resources import seed_list_path
from digest.storage.db import alembic_config, create_database_engine
from digest.storage.models import Entry
from tests.web_server import Site, running_site, site_settings

ATOM = "{http://www.w3.org/2005/Atom}"
GUID = "tag:awesome-digest,2025:arxiv:"
OPEN_PROBLEMS_TITLE = b"[Open Problems in Mechanistic Interpretability](https://arxiv.org/abs/2501.16496)"


@pytest_asyncio.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    async with running_site(site_settings(tmp_path / "data", "[web]\nfeed_items = 500\n")) as running:
        yield running


async def atom_entries(site: Site) -> dict[str, tuple[str, datetime, datetime, list[str]]]:
    """Each entry of /feeds/list.atom by id: its title, <published>, <updated> and categories."""
    async with site.client.get("/feeds/list.atom") as response:
        assert response.status == 200
        root = ET.fromstring(await response.read())

    def when(entry: ET.Element, name: str) -> datetime:
        return datetime.fromisoformat(entry.findtext(f"{ATOM}{name}", "").replace("Z", "+00:00"))

    return {
        entry.findtext(f"{ATOM}id", ""): (
            entry.findtext(f"{ATOM}title", ""),
            when(entry, "published"),
            when(entry, "updated"),
            sorted(category.get("term", "") for category in entry.iter(f"{ATOM}category")),
        )
        for entry in root.iter(f"{ATOM}entry")
    }


def imported(site: Site, markdown: bytes) -> datetime:
    """The list as a maintainer edited it, imported a few days on; the time of the import."""
    site.clock.advance(timedelta(days=3))
    when = site.clock()
    with site.database.transaction() as session:
        liststore.import_markdown(session, markdown, source="edited.md", now=when)
    return when


@pytest.mark.asyncio
async def test_a_title_corrected_by_hand_moves_the_entrys_updated(site: Site) -> None:
    """A maintainer fixed a paper's title in the Markdown: the Atom entry carried the new title under the old <updated>,
    so feed readers, which show an entry again by its <updated>, never showed the corrected title."""
    seed = seed_list_path().read_bytes()
    assert seed.count(OPEN_PROBLEMS_TITLE) == 1
    before = await atom_entries(site)
    edited = seed.replace(OPEN_PROBLEMS_TITLE, OPEN_PROBLEMS_TITLE.replace(b"Open Problems", b"Open Questions"))
    when = imported(site, edited)
    after = await atom_entries(site)
    title, published, updated, _ = after[GUID + "2501.16496"]
    assert title == "Open Questions in Mechanistic Interpretability"
    assert updated == when.replace(microsecond=0) and published == before[GUID + "2501.16496"][1]
    # Every other entry is as it was.
    assert {key: value for key, value in after.items() if key != GUID + "2501.16496"} == {
        key: value for key, value in before.items() if key != GUID + "2501.16496"
    }


@pytest.mark.asyncio
async def test_a_corrected_title_is_an_updated_rss_item_as_it_is_an_updated_atom_entry(site: Site) -> None:
    """The Atom entry of a paper whose title was corrected moves its <updated>, and readers show it again; the RSS
    item kept its guid and pubDate with nothing saying it changed (RSS has no <updated>), so RSS readers, which know
    an item by its guid, kept the old title. It keeps its guid (a paper is one item: test_feed_dates) and says when
    it changed in <atom:updated>, as the Atom entry does; the items not changed say nothing of the kind."""
    seed = seed_list_path().read_bytes()
    async with site.client.get("/feeds/list.xml") as response:
        before = {entry.id: entry for entry in feedparser.parse(await response.read()).entries}
    edited = seed.replace(OPEN_PROBLEMS_TITLE, OPEN_PROBLEMS_TITLE.replace(b"Open Problems", b"Open Questions"))
    when = imported(site, edited)
    async with site.client.get("/feeds/list.xml") as response:
        after = {entry.id: entry for entry in feedparser.parse(await response.read()).entries}
    assert set(after) == set(before)
    paper = after[GUID + "2501.16496"]
    assert paper.title == "Open Questions in Mechanistic Interpretability"
    assert paper.published_parsed == before[GUID + "2501.16496"].published_parsed
    assert "updated_parsed" in paper, paper
    assert datetime(*paper.updated_parsed[:6]).replace(tzinfo=UTC) == when.replace(microsecond=0)
    atom_updated = (await atom_entries(site))[GUID + "2501.16496"][2]
    assert atom_updated == when.replace(microsecond=0)
    assert not any("updated_parsed" in entry for key, entry in after.items() if key != GUID + "2501.16496")


@pytest.mark.asyncio
async def test_a_renamed_section_heading_does_not_mark_its_papers_updated(site: Site) -> None:
    """A heading renamed (an "s" and an abbreviation added) made every paper of the section an updated entry in the
    Atom feed, re-announced in readers that show changed entries, though only its category's label changed."""
    seed = seed_list_path().read_text(encoding="utf-8")
    heading = next(line for line in seed.splitlines() if line.startswith("### ") and "Sparse Autoencoder" in line)
    before = await atom_entries(site)
    imported(site, seed.replace(heading + "\n", heading + "s (SAE)\n").encode())
    after = await atom_entries(site)
    renamed = [key for key, (*_, categories) in after.items() if "Sparse Autoencoders (SAE)" in categories]
    assert len(renamed) > 3
    assert [after[key][2] for key in renamed] == [before[key][2] for key in renamed]
    assert all(after[key][:3] == before[key][:3] for key in after)


@pytest.mark.asyncio
async def test_the_changed_at_step_keeps_every_entry_and_feed_date_both_ways(tmp_path: Path) -> None:
    """0019 adds when a paper's shown fields last changed to a database the release before left (the list in it): the
    feed reads the same after the upgrade; going back to 0018 drops only the column, every entry stays."""
    settings = site_settings(tmp_path / "data", "[web]\nfeed_items = 500\n")
    async with running_site(settings) as site:
        before = await atom_entries(site)
        url = str(site.database.engine.url)
    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            entries = connection.scalar(select(func.count()).select_from(Entry))
        command.downgrade(alembic_config(engine), "0018")
        assert "changed_at" not in {column["name"] for column in inspect(engine).get_columns("papers")}
        with engine.connect() as connection:
            assert entries and connection.scalar(select(func.count()).select_from(Entry)) == entries
        command.upgrade(alembic_config(engine), "0019")
        with engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(Entry)) == entries
    finally:
        engine.dispose()
    async with running_site(settings) as site:
        assert await atom_entries(site) == before
        edited = (
            seed_list_path().read_bytes().replace(OPEN_PROBLEMS_TITLE, OPEN_PROBLEMS_TITLE.replace(b"Open ", b"Some "))
        )
        when = imported(site, edited)
        assert (await atom_entries(site))[GUID + "2501.16496"][2] == when.replace(microsecond=0)
