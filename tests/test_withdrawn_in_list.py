"""A paper that arXiv announces withdrawn (a `replace` whose abstract says "This paper has been withdrawn"): in the
list, `digest poll` says so, naming how to take it out, for a paper approved into the list and for one the list held
from the start; pending, it leaves the review queue and `digest candidates` goes on listing it, marked so. Feeds in
arXiv's RSS format (tests/feedbuild.py) from real papers, by `digest poll --source` over a real SQLite file."""

from __future__ import annotations

import json
import re
import shlex
from datetime import date
from pathlib import Path

import pytest

from digest.arxiv.poll_pass import run_poll
from digest.cli import main
from tests.arxiv_answers import WITHDRAWN
from tests.arxiv_server import ARXIV_DATA
from tests.conftest import make_settings
from tests.feedbuild import build_rss, load_records
from tests.web_pages import review
from tests.web_server import SECRETS_ENV, running_site, sign_in

APPROVED = "2505.16146"  # Steering LVLMs via Sparse Autoencoder: approved into the list
SEEDED = "2501.16496"  # Open Problems in Mechanistic Interpretability: in the bundled list


def _poll(data_dir: Path, path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """What a poll says: off a terminal (as here and from cron) the outcome on stdout, what to act on in the log."""
    assert main(["--data-dir", str(data_dir), "poll", "--source", str(path)]) == 0
    said = capsys.readouterr()
    return said.out + said.err


def test_a_withdrawn_version_of_a_paper_in_the_list_is_named_by_the_poll(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Both papers stayed in the list, and the poll said only "1 new version": no one was told the list links a
    paper its authors withdrew."""
    paper = next(r for r in load_records("review_papers.jsonl") if r["arxiv_id"] == APPROVED)
    seeded = {"arxiv_id": SEEDED, "title": "Open Problems in Mechanistic Interpretability", "abstract": WITHDRAWN}
    monday, tuesday = tmp_path / "monday.xml", tmp_path / "tuesday.xml"
    monday.write_bytes(build_rss("cs.CV", [dict(paper, announce_type="new")], date(2026, 11, 30)))
    withdrawn = [dict(paper, announce_type="replace", version=2, abstract=WITHDRAWN)]
    withdrawn.append(dict(seeded, announce_type="replace", version=3))
    tuesday.write_bytes(build_rss("cs.CV", withdrawn, date(2026, 12, 1)))
    assert "poll ok: 1 source (1 fetched), 1 new candidate" in _poll(data_dir, monday, capsys)
    assert main(["--data-dir", str(data_dir), "approve", APPROVED]) == 0
    assert "approved into" in capsys.readouterr().out
    said = _poll(data_dir, tuesday, capsys)
    folder = shlex.quote(str(data_dir))
    assert f"{APPROVED} is in the list, but arXiv says it was withdrawn: `digest --data-dir {folder} reject 1`" in said
    assert (
        f"{SEEDED} is in the list, but arXiv says it was withdrawn: take it out of list.md and run "
        f"`digest --data-dir {folder} list import`"
    ) in said
    assert "arXiv says it was withdrawn" not in _poll(data_dir, monday, capsys)  # an earlier day's feed: nothing
    assert main(["--data-dir", str(data_dir), "poll", "--json", "--source", str(tuesday)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["sources"][0]["withdrawn"] == []  # the same announcement read again (no ETag): told already


def test_the_command_a_withdrawn_paper_is_told_acts_on_the_polls_own_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest --config config.toml poll` (database_url in the settings file, as cron runs it) said `digest reject 1
    takes it out`: run as printed it opened the default data folder's database, not the one the poll stored into, and
    the withdrawn paper stayed in the list."""
    monkeypatch.chdir(tmp_path)  # where a bare `digest` finds its default data folder
    database = tmp_path / "elsewhere" / "digest.sqlite3"
    database.parent.mkdir()
    config = tmp_path / "config.toml"
    config.write_text(f'data_dir = "{tmp_path / "service"}"\ndatabase_url = "sqlite:///{database}"\n', "utf-8")
    paper = next(r for r in load_records("review_papers.jsonl") if r["arxiv_id"] == APPROVED)
    monday, tuesday = tmp_path / "monday.xml", tmp_path / "tuesday.xml"
    monday.write_bytes(build_rss("cs.CV", [dict(paper, announce_type="new")], date(2026, 11, 30)))
    withdrawn = [dict(paper, announce_type="replace", version=2, abstract=WITHDRAWN)]
    tuesday.write_bytes(build_rss("cs.CV", withdrawn, date(2026, 12, 1)))
    assert main(["--config", str(config), "poll", "--source", str(monday)]) == 0
    assert main(["--config", str(config), "approve", APPROVED]) == 0
    capsys.readouterr()
    assert main(["--config", str(config), "poll", "--source", str(tuesday)]) == 0
    said = "".join(capsys.readouterr())
    told = re.search(r"withdrawn: `([^`]*)` takes it out", said)
    assert told is not None, said
    assert main(shlex.split(told.group(1))[1:]) == 0  # run as printed
    capsys.readouterr()
    assert main(["--config", str(config), "list", "export"]) == 0
    assert APPROVED not in capsys.readouterr().out


def test_a_withdrawn_list_paper_is_named_in_poll_json_once_in_each_version(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An API query's answer (a real one, its paper made a list paper withdrawn) holds the same version at every
    poll: each poll named it again, where a day's feed was named once."""
    page = (ARXIV_DATA / "api/api_new_arxiv.py_id_1707.08567_s0_m100_6a1afebfc6a3_http200.xml").read_bytes()
    summary = re.search(rb"<summary>.*?</summary>", page, flags=re.DOTALL)
    assert summary is not None
    answer = tmp_path / "answer.xml"
    withdrawn = page.replace(summary.group(), f"<summary>{WITHDRAWN}</summary>".encode())
    answer.write_bytes(withdrawn.replace(b"1707.08567v1", f"{SEEDED}v3".encode()))
    told = []
    for _ in range(2):
        assert main(["--data-dir", str(data_dir), "poll", "--json", "--source", str(answer)]) == 0
        told.append(json.loads(capsys.readouterr().out)["sources"][0]["withdrawn"])
    assert [[line.split(" ")[0] for line in lines] for lines in told] == [[SEEDED], []]
    answer.write_bytes(withdrawn.replace(b"1707.08567v1", f"{SEEDED}v4".encode()))  # a later version is news
    assert f"{SEEDED} is in the list, but arXiv says it was withdrawn" in _poll(data_dir, answer, capsys)


@pytest.mark.asyncio
async def test_a_pending_candidate_arxiv_withdraws_stays_listed_marked_so_and_out_of_the_review_queue(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It left the review queue, but plain `digest candidates` (whose help says "every candidate") stopped listing it
    too, text and --json, though the README says the candidate stays: a maintainer could not find it."""
    paper = next(r for r in load_records("review_papers.jsonl") if r["arxiv_id"] == APPROVED)
    monday = build_rss("cs.CV", [dict(paper, announce_type="new")], date(2026, 11, 30))
    tuesday = build_rss(
        "cs.CV", [dict(paper, announce_type="replace", version=2, abstract=WITHDRAWN)], date(2026, 12, 1)
    )
    settings = make_settings(tmp_path / "data", environ=dict(SECRETS_ENV))
    async with running_site(settings) as site:
        for name, body in (("monday.xml", monday), ("tuesday.xml", tuesday)):
            (tmp_path / name).write_bytes(body)
            await run_poll(settings, site.database, sources=[str(tmp_path / name)])
        await sign_in(site)
        assert f"arXiv:{APPROVED}</a>" not in await review(site)
    for status in ([], ["--status", "pending"]):
        assert main(["--data-dir", str(settings.data_dir), "candidates", *status]) == 0
        lines = capsys.readouterr().out.splitlines()
        listed = next((i for i, line in enumerate(lines) if APPROVED in line), None)
        assert listed is not None, lines
        assert (
            " pending " in lines[listed] and lines[listed + 1].strip() == "withdrawn on arXiv: not in the review queue"
        )
    assert main(["--data-dir", str(settings.data_dir), "candidates", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(row["arxiv_id"], row["status"], row["withdrawn"]) for row in rows] == [(APPROVED, "pending", True)]
