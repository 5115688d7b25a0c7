"""What PostgreSQL stores or orders unlike SQLite: strings over a column's length, a long query's URL, the row a
hand edit moves, NULLs and ties in the review pages' keyset; each kept or read as on SQLite."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from digest.arxiv.poll_pass import run_poll
from digest.awesome import store as liststore
from digest.config import Settings
from digest.review.reviewer import Reviewer
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from digest.storage.models import Candidate
from tests.arxiv_server import ArxivServer, FakeClock, Reply
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.feedbuild import build_rss, load_records
from tests.postgres_server import postgres_server, postgres_url  # noqa: F401  (fixtures)
from tests.postgres_service import ANN, pg_settings
from tests.postgres_service import database as database  # the fixture
from tests.postgres_service import settings as settings  # the fixture
from tests.web_server import SECRETS_ENV, running_site


@pytest.mark.asyncio
async def test_oversized_feed_fields_do_not_block_the_source(tmp_path: Path, postgres_url: str) -> None:  # noqa: F811
    # PostgreSQL refuses a string longer than its column (SQLite stores it): one hostile item must not make every
    # poll of the source fail. Crafted from real records: a 900-character title, a long announce type and old-style ID
    # (no archive arXiv ever had: that item is skipped in one line, the others kept).
    by_id = {record["arxiv_id"]: record for record in load_records()}
    long_title = {**by_id["2504.11695"], "title": " / ".join([by_id["2504.11695"]["title"]] * 9)}
    long_type = {**by_id["2505.14071"], "announce_type": "replace-cross" * 4}
    long_id = {**by_id["2506.04706"], "arxiv_id": "physics" + "-x" * 20 + "/0101001"}
    body = build_rss("cs.CV", [long_title, long_type, long_id], datetime(2026, 4, 27).date())
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=body))
        settings = pg_settings(tmp_path, postgres_url, '[arxiv]\ncontact = "maintainers@example.org"\n')
        database = await asyncio.to_thread(open_service_database, settings)
        try:
            summary = await run_poll(settings, database, sources=[url], clock=FakeClock())
            with database.reading() as session:
                stored = {c.title[:40]: c for c in session.scalars(select(Candidate))}
        finally:
            database.dispose()
    assert summary.sources[0].outcome == "fetched", summary.sources[0].message
    assert len(stored) == 2
    assert any("is no arXiv ID arXiv can have issued" in problem for problem in summary.sources[0].problems)
    titled = stored[long_title["title"][:40]]
    # Cut to 300 characters with an ellipsis (216f26e), the paper kept.
    assert titled.title.endswith("…") and long_title["title"].startswith(titled.title[:-1])
    assert 250 <= len(titled.title) <= 301 and len(titled.title_key) <= 500
    assert all(len(c.arxiv_id) <= 32 and len(c.announce_type or "") <= 32 for c in stored.values())


def test_a_hand_edited_list_with_long_free_text_imports_or_says_why(database: Database, settings: Settings) -> None:
    seed = settings.seed_list.read_text(encoding="utf-8")
    note = "(Mar. 18, 2025; accepted at a workshop, with a long note the maintainers wrote by hand here)"
    edited = seed.replace(
        "(https://arxiv.org/abs/2503.13891) (Mar. 18, 2025)", f"(https://arxiv.org/abs/2503.13891) {note}"
    )
    assert edited != seed
    with database.transaction() as session:
        report = liststore.import_markdown(session, edited.encode("utf-8"), source="edited.md")
    assert report.changed
    with database.reading() as session:
        assert liststore.render_markdown(session, settings.templates_dir) == edited

    probing = next(line for line in seed.splitlines() if line.startswith("### ") and line.endswith(" Probing"))
    long_heading = seed.replace(probing + "\n", probing + " and more probing" * 12 + "\n", 1)
    with (
        pytest.raises(liststore.ListFormatError, match="over 200 characters; shorten it"),
        database.transaction() as session,
    ):
        liststore.import_markdown(session, long_heading.encode("utf-8"), source="long.md")
    with database.reading() as session:
        assert liststore.render_markdown(session, settings.templates_dir) == edited  # nothing half-written


_TERMS = ["sparse autoencoder", "logit lens", "attention head", "activation patching", "circuit discovery",
          "probing classifier", "steering vector", "neuron analysis", "causal tracing", "representation engineering",
          "feature attribution", "mechanistic interpretability", "superposition", "dictionary learning"]  # fmt: skip
_MODALITIES = [
    "multimodal",
    "vision-language",
    "vision language model",
    "VLM",
    "MLLM",
    "LVLM",
    "CLIP",
    "image",
    "video",
]
_CATEGORIES = ["cs.CV", "cs.CL", "cs.LG", "cs.AI", "cs.MM", "eess.IV", "cs.SD", "eess.AS", "stat.ML", "cs.NE", "cs.IR",
               "cs.HC", "cs.RO", "cs.CY", "q-bio.NC"]  # fmt: skip
LONG_QUERY = (
    "(" + " OR ".join(f'abs:"{term}"' for term in _TERMS) + ") AND ("
    + " OR ".join(f'abs:"{modality}"' for modality in _MODALITIES) + ") AND ("
    + " OR ".join(f"cat:{c}" for c in _CATEGORIES)
    + ")"
)  # fmt: skip


@pytest.mark.asyncio
async def test_a_long_api_query_polls_on_postgresql_as_on_sqlite(tmp_path: Path, postgres_url: str) -> None:  # noqa: F811
    """An [[api]] query of some 800 characters: its URL, the feed's key, is over 1,000 characters, which PostgreSQL
    refused on every poll ("value too long for type character varying(1000)") while SQLite took it."""
    import shutil

    from digest import resources

    assert 600 < len(LONG_QUERY) < 1000
    outcomes = {}
    async with ArxivServer() as server:
        api = server.serve_file("/api/query", "api/api_new_cat-cs.LG-OR-cs.AI_2026-04-30_20entries.xml")
        for name, url in (("sqlite", None), ("postgresql", postgres_url)):
            feeds = tmp_path / name / "feeds"
            feeds.mkdir(parents=True)
            shutil.copy(resources.feeds_dir() / "rules.toml", feeds / "rules.toml")
            (feeds / "sources.toml").write_text(f"feeds = []\n\n[[api]]\nsearch_query = '{LONG_QUERY}'\n")
            config = f'feeds_dir = "{feeds}"\n[arxiv]\ncontact = "qa@example.org"\napi_url = "{api}"\n'
            settings = make_settings(tmp_path / name / "data", config, {"DIGEST_DATABASE_URL": url} if url else {})
            database = open_service_database(settings)
            try:
                summary = await run_poll(settings, database, clock=FakeClock())
            finally:
                database.dispose()
            outcomes[name] = (summary.outcome, summary.sources[0].message)
            assert len(summary.sources[0].source) > 1000
    assert outcomes["postgresql"] == outcomes["sqlite"] and outcomes["sqlite"][0] == "ok", outcomes


def test_an_even_split_of_date_styles_dates_the_first_entry_of_an_empty_section_as_on_sqlite(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
) -> None:
    """The list writes its dates (and bullets) two ways as often: the first entry of an empty section is written the
    way of the list's first entry, as on SQLite, not of the row PostgreSQL's heap gives first (a hand edit moves a row
    to its end)."""
    text = (
        "# X\n\n## Older\n\n+ [Old paper](https://example.org/old) (2025-03-01)\n"
        "- [Other paper](https://example.org/other) (Mar. 2, 2025)\n\n## Vision\n"
    )
    seed = tmp_path / "seed.md"
    seed.write_text(text, encoding="utf-8")
    settings = pg_settings(tmp_path, postgres_url, f'seed_list = "{seed}"\n')
    database = open_service_database(settings)
    try:
        edited = text.replace("Old paper", "Old paper, typo fixed")  # the maintainers fix a typo in the first entry
        with database.transaction() as session:
            liststore.import_markdown(session, edited.encode("utf-8"), source="edited.md")
        record = dict(real_papers()[5], published="2025-05-01")
        candidate_id = insert_candidate(database, record)
        Reviewer(database, settings).decide(candidate_id, "approve", ANN, section="Vision")
        with database.reading() as session:
            written = liststore.render_markdown(session, settings.templates_dir)
    finally:
        database.dispose()
    added = [line for line in written.splitlines() if record["title"] in line]
    assert len(added) == 1 and added[0].rstrip().endswith("(2025-05-01)"), added  # was: '(May. 1, 2025)'
    assert added[0].startswith("+ ["), added  # the bullet likewise; was: '- ['


@pytest.mark.asyncio
@pytest.mark.parametrize("status", ["pending", "rejected"])
async def test_the_review_pages_keyset_reads_every_candidate_once_on_postgresql(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
    status: str,
) -> None:
    """/review's "older" link pages by the last card's keys (tests/test_browser_review_paging.py on SQLite): on
    PostgreSQL, which sorts NULLs and ties its own way, the pages hold every candidate once, in the page's order."""
    import html
    import re

    from tests.browser_review import QUEUE, long_queue
    from tests.web_server import sign_in

    settings = pg_settings(tmp_path, postgres_url, **SECRETS_ENV)
    async with running_site(settings) as site:
        ids = long_queue(site, **({} if status == "pending" else {"status": status}))
        if status != "pending":
            with site.database.transaction() as session:
                for number, candidate_id in enumerate(ids):
                    session.get_one(Candidate, candidate_id).decided_at = start_of_week() + timedelta(hours=number // 3)
        await sign_in(site)
        seen: list[int] = []
        address: str | None = "/review" + ("" if status == "pending" else f"?status={status}")
        while address is not None:
            async with site.client.get(address) as reply:
                assert reply.status == 200
                page = await reply.text()
            seen += [
                int(number) for number in re.findall(r'<article class="candidate[^"]*" id="candidate-(\d+)"', page)
            ]
            older = re.search(r'id="older" href="([^"]+)"', page)
            address = html.unescape(older.group(1)) if older else None
        with site.database.reading() as session:
            rows = session.execute(select(Candidate.id, Candidate.score, Candidate.first_seen_at, Candidate.decided_at))
            if status == "pending":
                order = [row.id for row in sorted(rows, key=lambda row: (-row.score, row.first_seen_at, row.id))]
            else:
                order = [
                    row.id for row in sorted(rows, key=lambda row: (-row.decided_at.timestamp(), -row.score, row.id))
                ]
    assert len(seen) == QUEUE and seen == order


def start_of_week() -> datetime:
    return datetime(2026, 11, 23, tzinfo=UTC)
