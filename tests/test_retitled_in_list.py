"""A new version on arXiv that retitles a paper the list holds: the list keeps its maintainers' text (and the public
feed its item), and the maintainers are told, in the poll's line and under the paper in `digest candidates`. A real
feed (tests/data/arxiv/rss, edited: see its SOURCES.md) served on loopback, the real commands over a real SQLite file.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path

import pytest

from digest.cli import main
from tests.arxiv_server import ArxivServer, Reply
from tests.feedbuild import build_rss, load_records

FEED = "rss/rss_cs.AI_2026-04-28_edited-replace-retitles-a-listed-paper.xml"
APPROVED = "2505.16146"  # Steering LVLMs via Sparse Autoencoder for Hallucination Mitigation: approved into the list
SEEDED = (
    "2501.16496 is in the list as 'Open Problems in Mechanistic Interpretability'; arXiv now titles it 'Open Problems"
    " in Mechanistic Interpretability: What Remains to Be Solved'"
)
RETITLED = (
    f"{APPROVED} is in the list as 'Steering LVLMs via Sparse Autoencoder for Hallucination Mitigation'; arXiv now "
    "titles it 'Steering LVLMs via Sparse Autoencoders: Mitigating Hallucination at Inference Time'"
)


async def _run(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str, log: bool = True) -> str:
    """What a command says: off a terminal (as from cron) a poll's outcome on stdout, what to act on in the log."""
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["--data-dir", str(data_dir), *args]) == 0  # the loopback arXiv runs here
    said = capsys.readouterr()
    return said.out + said.err if log else said.out


@pytest.mark.asyncio
async def test_a_new_version_retitling_a_listed_paper_is_told_and_leaves_the_list_as_written(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """v2 of a paper approved into the list, and of one the list held from the start, come with new titles: the poll
    said "1 new version", the list and the public feed went on with the old titles, and no one learnt of it."""
    paper = next(r for r in load_records("review_papers.jsonl") if r["arxiv_id"] == APPROVED)
    monday = tmp_path / "monday.xml"
    monday.write_bytes(build_rss("cs.CV", [dict(paper, announce_type="new")], date(2026, 4, 27)))
    await _run(capsys, data_dir, "poll", "--source", str(monday))
    await _run(capsys, data_dir, "approve", APPROVED)
    listed = (data_dir / "list.md").read_bytes()
    async with ArxivServer() as server:
        url = server.serve_file("/rss/cs.AI", FEED, today=True)  # read again on any weekday: not arXiv late
        said = await _run(capsys, data_dir, "poll", "--source", url)
        report = json.loads(await _run(capsys, data_dir, "poll", "--json", "--source", url, log=False))
        exported = await _run(capsys, data_dir, "list", "export", log=False)
    assert RETITLED in said and SEEDED in said
    assert report["sources"][0]["retitled"] == []  # each told once: the same announcement read again tells neither
    assert (data_dir / "list.md").read_bytes() == listed  # the list's text is its maintainers'
    assert "Mitigating Hallucination at Inference Time" not in exported
    shown = (await _run(capsys, data_dir, "candidates", "--status", "approved")).splitlines()
    row = next(i for i, line in enumerate(shown) if APPROVED in line)
    assert shown[row + 1].strip() == RETITLED


@pytest.mark.asyncio
async def test_a_retitled_list_paper_in_two_feeds_of_one_poll_is_told_once(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """cs.LG announces the same new versions cross-listed (replace-cross) the day cs.AI announces them: the poll read
    both feeds and said that the list's paper was retitled twice, once in each feed's line."""
    paper = next(r for r in load_records("review_papers.jsonl") if r["arxiv_id"] == APPROVED)
    monday = tmp_path / "monday.xml"
    monday.write_bytes(build_rss("cs.CV", [dict(paper, announce_type="new")], date(2026, 4, 27)))
    await _run(capsys, data_dir, "poll", "--source", str(monday))
    await _run(capsys, data_dir, "approve", APPROVED)
    seeded = {"arxiv_id": "2501.16496", "abstract": "Mechanistic interpretability aims to understand networks."}
    crossed = [
        dict(seeded, title="Open Problems in Mechanistic Interpretability: What Remains to Be Solved"),
        dict(paper, title="Steering LVLMs via Sparse Autoencoders: Mitigating Hallucination at Inference Time"),
    ]
    cs_lg = build_rss("cs.LG", [dict(r, announce_type="replace-cross", version=2) for r in crossed], date(2026, 4, 28))
    async with ArxivServer() as server:
        sources = [server.serve_file("/rss/cs.AI", FEED), server.program("/rss/cs.LG", Reply(body=cs_lg))]
        said = await _run(capsys, data_dir, "poll", "--source", sources[0], "--source", sources[1])
    assert said.count(SEEDED) == 1 and said.count(RETITLED) == 1, said
