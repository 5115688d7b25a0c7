"""The maintainers are told once of a list paper arXiv withdrew or retitled, whichever command meets it: `digest
backfill` as `digest poll` does. A real API answer (tests/data/arxiv/api, its entries made two papers of the bundled
list) served on loopback, the real commands over a real SQLite file."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from digest.cli import main
from tests.arxiv_answers import WITHDRAWN
from tests.arxiv_server import ARXIV_DATA, ArxivServer, Reply
from tests.feedbuild import build_rss, load_records

ANSWER = "api/api_new_arxiv.py_id_1707.08567_s0_m100_6a1afebfc6a3_http200.xml"  # one paper
SEEDED = "2501.16496"  # Open Problems in Mechanistic Interpretability: in the bundled list
APPROVED = "2505.16146"  # Steering LVLMs via Sparse Autoencoder: approved into the list
SURVEY = "2503.05613"  # A Survey on Sparse Autoencoders: ...: in the bundled list
NEW_TITLE = "Sparse Autoencoders <b>Surveyed</b> & Explained"
TOLD_WITHDRAWN = (  # the command it names then is the command's own invocation (test_withdrawn_in_list)
    f"{SEEDED} is in the list, but arXiv says it was withdrawn: take it out of list.md and run `digest "
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


@pytest.mark.asyncio
async def test_a_paper_taken_out_of_the_list_and_put_back_is_told_of_again(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A maintainer took a withdrawn paper out of list.md (`digest list import`), and later put it back by mistake:
    the poll said nothing of the withdrawn version it linked again, the notice kept from before it left."""
    answer = tmp_path / "answer.xml"
    answer.write_bytes(_answer())
    poll = ("--data-dir", str(data_dir), "poll", "--source", str(answer))
    assert TOLD_WITHDRAWN in (await _run(capsys, *poll))[1]
    status, listed = await _run(capsys, "--data-dir", str(data_dir), "list", "export", log=False)
    assert status == 0 and f"(https://arxiv.org/abs/{SEEDED})" in listed
    entry = re.search(rf"\+ \[Open Problems[^\n]*\n[^\n]*abs/{SEEDED}\)\n\n", listed)
    assert entry is not None
    without, back = tmp_path / "without.md", tmp_path / "back.md"
    without.write_text(listed.replace(entry.group(), ""), encoding="utf-8")
    back.write_text(listed, encoding="utf-8")
    for path in (without, back):
        status, said = await _run(capsys, "--data-dir", str(data_dir), "list", "import", str(path))
        assert status == 0, said
    status, said = await _run(capsys, *poll)
    assert status == 0 and TOLD_WITHDRAWN in said, said
    assert TOLD_WITHDRAWN not in (await _run(capsys, *poll))[1]  # once again, not at every poll


def test_a_paper_rejected_out_of_the_list_and_approved_again_is_told_of_again(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An approved paper arXiv then withdrew was rejected out of the list, and approved back into it later: the poll
    said nothing of the withdrawn version it linked again (notices.py kept it as told)."""
    paper = next(r for r in load_records("review_papers.jsonl") if r["arxiv_id"] == APPROVED)
    monday, tuesday = tmp_path / "monday.xml", tmp_path / "tuesday.xml"
    monday.write_bytes(build_rss("cs.CV", [dict(paper, announce_type="new")], date(2026, 11, 30)))
    withdrawn = dict(paper, announce_type="replace", version=2, abstract=WITHDRAWN)
    tuesday.write_bytes(build_rss("cs.CV", [withdrawn], date(2026, 12, 1)))
    told = f"{APPROVED} is in the list, but arXiv says it was withdrawn: `digest --data-dir {data_dir} reject 1` takes"
    said = []
    for command in (["poll", "--source", str(monday)], ["approve", APPROVED], ["poll", "--source", str(tuesday)],
                    ["reject", APPROVED], ["approve", APPROVED], ["poll", "--source", str(tuesday)]):  # fmt: skip
        assert main(["--data-dir", str(data_dir), *command]) == 0
        out = capsys.readouterr()
        said.append(out.out + out.err)
    assert told in said[2] and "into" in said[4], said
    assert told in said[5], said[5]
