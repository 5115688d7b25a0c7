"""The maintainers are told once of a list paper arXiv withdrew or retitled, whichever command meets it: `digest
backfill` as `digest poll` does. A real API answer (tests/data/arxiv/api, its entries made two papers of the bundled
list) served on loopback, the real commands over a real SQLite file."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.cli import main
from tests.arxiv_answers import WITHDRAWN
from tests.arxiv_server import ARXIV_DATA, ArxivServer, Reply

ANSWER = "api/api_new_arxiv.py_id_1707.08567_s0_m100_6a1afebfc6a3_http200.xml"  # one paper
SEEDED = "2501.16496"  # Open Problems in Mechanistic Interpretability: in the bundled list
SURVEY = "2503.05613"  # A Survey on Sparse Autoencoders: ...: in the bundled list
NEW_TITLE = "Sparse Autoencoders <b>Surveyed</b> & Explained"
TOLD_WITHDRAWN = (
    f"{SEEDED} is in the list, but arXiv says it was withdrawn: take it out of list.md and run digest list import"
)
TOLD_RETITLED = (
    f"{SURVEY} is in the list as 'A Survey on Sparse Autoencoders: Interpreting the Internal Mechanisms of Large "
    f"Language Models'; arXiv now titles it '{NEW_TITLE}'"
)


def _answer() -> bytes:
    """The recorded answer's paper twice: a withdrawn version of one list paper, a retitled version of another."""
    page = (ARXIV_DATA / ANSWER).read_bytes()
    found = re.search(rb"<entry>.*?</entry>", page, flags=re.DOTALL)
    assert found is not None and b"<opensearch:totalResults>1<" in page
    entry = found.group()
    summary = re.search(rb"<summary>.*?</summary>", entry, flags=re.DOTALL)
    title = re.search(rb"<title>.*?</title>", entry, flags=re.DOTALL)
    assert summary is not None and title is not None
    withdrawn = entry.replace(summary.group(), f"<summary>{WITHDRAWN}</summary>".encode())
    retitled = entry.replace(
        title.group(), b"<title>Sparse Autoencoders &lt;b&gt;Surveyed&lt;/b&gt; &amp; Explained</title>"
    )
    both = withdrawn.replace(b"1707.08567v1", f"{SEEDED}v3".encode()) + retitled.replace(
        b"1707.08567v1", f"{SURVEY}v2".encode()
    )
    return page.replace(entry, both).replace(b"<opensearch:totalResults>1<", b"<opensearch:totalResults>2<")


async def _run(capsys: pytest.CaptureFixture[str], *args: str, log: bool = True) -> tuple[int, str]:
    """What a command said (standard output, and the log unless `log` is False), and its exit status; the loopback
    arXiv answers meanwhile."""
    capsys.readouterr()
    status = await asyncio.to_thread(main, list(args))
    said = capsys.readouterr()
    return status, said.out + said.err if log else said.out


@pytest.mark.asyncio
async def test_a_backfill_tells_of_withdrawn_and_retitled_list_papers_once(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A backfill met a withdrawn version of one list paper and a retitled version of another and said only "2
    papers read": no one was told the list links a withdrawn paper under a title arXiv no longer gives it."""
    since = f"{datetime.now(UTC):%Y-%m}-01"  # this month: one window, one page
    async with ArxivServer() as server:
        body = _answer()
        url = server.program("/api/query", Reply(body=body, content_type="application/atom+xml; charset=utf-8"))
        config = tmp_path / "config.toml"
        config.write_text(f'[arxiv]\napi_url = "{url}"\n', encoding="utf-8")
        common = ("--config", str(config), "--data-dir", str(data_dir))
        status, said = await _run(capsys, *common, "backfill", "--since", since)
        assert status == 0, said
        assert TOLD_WITHDRAWN in said and TOLD_RETITLED in said, said
        answer = tmp_path / "answer.xml"  # the same versions, brought again by a poll: told already
        answer.write_bytes(body)
        status, said = await _run(capsys, *common, "poll", "--json", "--source", str(answer), log=False)
    assert status == 0, said
    report = json.loads(said)
    assert (report["sources"][0]["withdrawn"], report["sources"][0]["retitled"]) == ([], [])
