"""What arXiv's announcements of older papers look like to a maintainer: a `replace` (a new version) of an on-topic
paper the polls never saw is suggested, and says it is a new version of an older paper (a maintainer may not know
it, but it is not new on arXiv), on `digest candidates`, on /review and in its Discord message (the fake Discord).
Feeds in arXiv's RSS format (tests/feedbuild.py) from real papers, polled with `digest poll --source` and the real
poll over a real SQLite file."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from digest.arxiv.poll_pass import run_poll
from digest.cli import main
from digest.config import Settings
from digest.storage.db import Database
from tests.conftest import make_settings
from tests.discord_bot import running
from tests.feedbuild import build_rss, load_records
from tests.web_pages import card, review
from tests.web_server import SECRETS_ENV, running_site, sign_in

OLD_PAPER = "2406.03662"  # The Missing Curve Detectors of InceptionV1: sparse autoencoders, June 2024
NEW_PAPER = "2505.16146"  # Steering LVLMs via Sparse Autoencoder, announced as `new`
SAID = "Found as a new version of an older paper from June 2024: not new on arXiv."


def _feed(tmp_path: Path) -> Path:
    papers = {record["arxiv_id"]: record for record in load_records("review_papers.jsonl")}
    items = [
        dict(papers[NEW_PAPER], announce_type="new"),
        dict(papers[OLD_PAPER], announce_type="replace", version=3),
    ]
    path = tmp_path / "cs.CV.xml"
    path.write_bytes(build_rss("cs.CV", items, date(2026, 12, 1)))
    return path


def test_a_replacement_of_an_old_paper_never_seen_says_so_in_digest_candidates(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A `replace` of a June 2024 paper the polls never saw became a pending candidate shown like any paper
    announced that day: nothing in `digest candidates` (nor /review, nor the JSON) told it was no new paper."""
    assert main(["--data-dir", str(data_dir), "poll", "--source", str(_feed(tmp_path))]) == 0
    capsys.readouterr()
    assert main(["--data-dir", str(data_dir), "candidates", "--status", "pending"]) == 0
    lines = capsys.readouterr().out.splitlines()
    old = next(i for i, line in enumerate(lines) if OLD_PAPER in line)
    assert lines[old + 1].strip() == SAID
    assert SAID not in "\n".join(line for line in lines if NEW_PAPER in line)
    assert sum(SAID in line for line in lines) == 1  # the paper announced as new says nothing of the kind


@pytest.mark.asyncio
async def test_a_replacement_of_an_old_paper_never_seen_says_so_on_the_review_page(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", environ=dict(SECRETS_ENV))
    async with running_site(settings) as site:
        await run_poll(site.settings, site.database, sources=[str(_feed(tmp_path))])
        await sign_in(site)
        page = await review(site)
        ids = {OLD_PAPER: 0, NEW_PAPER: 0}
        for arxiv_id in ids:
            start = page.index(f"arXiv:{arxiv_id}</a>")
            ids[arxiv_id] = int(page[:start].rsplit('id="candidate-', 1)[1].split('"', 1)[0])
        assert SAID in card(page, ids[OLD_PAPER])
        assert SAID not in card(page, ids[NEW_PAPER])


@pytest.mark.asyncio
async def test_a_replacement_of_an_old_paper_never_seen_says_so_in_its_discord_message(
    tmp_path: Path, fake: Any, db: Database, bot_settings: Settings
) -> None:
    """`digest candidates` and /review said so, but the review channel, where most decisions are made, did not: the
    message of the June 2024 paper read as that of any paper announced that day."""
    await run_poll(bot_settings, db, sources=[str(_feed(tmp_path))])
    async with running(bot_settings, db) as bot:
        assert (await bot.post_pending()).posted == 2
    shown = {embed["url"].rsplit("/", 1)[1]: embed for message in fake.posted() for embed in message["embeds"]}
    assert SAID in shown[OLD_PAPER]["description"].splitlines()
    assert SAID not in shown[NEW_PAPER]["description"]
