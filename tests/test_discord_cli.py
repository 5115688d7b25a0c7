"""`digest approve` and `digest reject`: the same decisions as a reaction, from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from digest.cli import main
from digest.config.invocation import same_invocation
from digest.service.wiring import open_service_database
from digest.storage.models import Candidate, Decision
from tests.factories import real_papers, with_candidates


def test_approve_into_a_named_section_and_reject(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings, (first, second) = with_candidates(data_dir, real_papers()[:2])
    assert main(["--data-dir", str(data_dir), "approve", str(first), "--section", "steering"]) == 0
    assert main(["--data-dir", str(data_dir), "reject", str(second)]) == 0
    out = capsys.readouterr().out
    assert f"candidate {first} ({real_papers()[0]['arxiv_id']}): approved into Steering" in out
    assert f"candidate {second} ({real_papers()[1]['arxiv_id']}): rejected" in out
    markdown = settings.list_markdown_path.read_text(encoding="utf-8")
    assert real_papers()[0]["arxiv_id"] in markdown and real_papers()[1]["arxiv_id"] not in markdown
    database = open_service_database(settings)
    try:
        with database.reading() as session:
            statuses = [c.status for c in session.scalars(select(Candidate).order_by(Candidate.id))]
            audit = [(d.action, d.channel) for d in session.scalars(select(Decision).order_by(Decision.id))]
    finally:
        database.dispose()
    assert statuses == ["approved", "rejected"]
    assert audit == [("approve", "cli"), ("reject", "cli")]


def test_unknown_candidate_or_section_is_one_line(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, (candidate_id,) = with_candidates(data_dir, real_papers()[2:3])
    assert main(["--data-dir", str(data_dir), "approve", "999"]) == 1
    assert main(["--data-dir", str(data_dir), "approve", str(candidate_id), "--section", "Nowhere"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "digest: no candidate with id 999"
    assert err[1].startswith("digest: no section named 'Nowhere' in the list")
    assert len(err) == 2


def test_a_candidate_is_also_named_by_its_papers_arxiv_id_or_address(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A maintainer who hears of a paper knows its arXiv ID, not the candidate's number."""
    settings, (first, second) = with_candidates(data_dir, real_papers()[:2])
    one, two = real_papers()[0]["arxiv_id"], real_papers()[1]["arxiv_id"]
    assert main(["--data-dir", str(data_dir), "approve", f"{one}v2", "--section", "steering"]) == 0
    assert main(["--data-dir", str(data_dir), "reject", f"https://arxiv.org/abs/{two}"]) == 0
    assert main(["--data-dir", str(data_dir), "pending", f"arXiv:{two}"]) == 0
    assert main(["--data-dir", str(data_dir), "reject", "2101.00001"]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        f"candidate {first} ({one}): approved into Steering",
        f"  you named v2 of {one}; the queue holds v1: the decision is the paper's, any version",
        f"candidate {second} ({two}): rejected",
        f"candidate {second} ({two}): back to pending",
    ]
    assert err.splitlines() == [
        f"digest: no candidate for arXiv 2101.00001: `{same_invocation(settings, 'candidates')}` lists them; "
        f"`{same_invocation(settings, 'add', '2101.00001')}` adds a paper the polls never found"
    ]
    assert one in settings.list_markdown_path.read_text(encoding="utf-8")


def test_approving_by_arxiv_id_a_paper_the_list_holds_without_a_candidate_says_where_it_is(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest approve 2402.17304`, a paper a maintainer listed by hand (no candidate): the answer sent them to
    `digest add 2402.17304`, which then refuses it as listed. It says the list holds it, and where."""
    with_candidates(data_dir, real_papers()[:1])
    assert main(["--data-dir", str(data_dir), "approve", "2402.17304"]) == 1
    assert capsys.readouterr().err == (
        "digest: no candidate for arXiv 2402.17304: the list holds the paper already (Probing); nothing was changed\n"
    )


def test_several_candidates_are_decided_in_turn_and_one_unknown_stops_none_of_the_others(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A batch cleared from the shell: `digest reject 4 7 9`. Each is its own decision; an unknown one is one line and
    the exit status says something failed; a malformed one stops the command before anything is decided."""
    settings, ids = with_candidates(data_dir, real_papers()[:3])
    arxiv = [paper["arxiv_id"] for paper in real_papers()[:3]]
    assert main(["--data-dir", str(data_dir), "reject", str(ids[0]), "999", arxiv[1]]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        f"candidate {ids[0]} ({arxiv[0]}): rejected",
        f"candidate {ids[1]} ({arxiv[1]}): rejected",
    ]
    assert err.splitlines() == ["digest: no candidate with id 999"]
    assert main(["--data-dir", str(data_dir), "approve", str(ids[2]), "x1"]) == 2
    assert capsys.readouterr().out == ""
    database = open_service_database(settings)
    try:
        with database.reading() as session:
            statuses = [c.status for c in session.scalars(select(Candidate).order_by(Candidate.id))]
    finally:
        database.dispose()
    assert statuses == ["rejected", "rejected", "pending"]
