"""Approving again a paper a maintainer moved by hand: approved into Steering, its entry moved to Probing in the list's
git repository and pulled in as the service does (or imported), then `digest approve ID` (no section) and `--section
Steering` moved it back, and `--section Probing` answered "approved into Probing; it was approved into Probing by ann"
while the decision's record changed. Expected: without a section, or into where it is now, nothing changes and the
answer says where it is and why; into another section it moves, the answer saying from where to where."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.cli import main
from digest.config import Settings
from digest.publish.publisher import PUBLISHED, UNCHANGED, Publisher
from digest.storage.db import Database
from tests.discord_bot import list_md, section_of
from tests.factories import insert_candidate, real_papers
from tests.git_remote import ANN, Remote
from tests.list_edits import moved
from tests.printed import printed_command
from tests.publish_recovery import cli
from tests.publishing import db as db  # the fixture
from tests.publishing import push_bytes, services
from tests.publishing import remote as remote  # the fixture
from tests.publishing import st as st  # the fixture

PAPER = real_papers()[0]  # suggested for Sparse Autoencoder
ARXIV_ID = str(PAPER["arxiv_id"])
BY_HAND = "a maintainer {} it by hand after its approval into Steering by ann via discord on 2026-11-25 09:30 UTC"


def moved_by_hand_upstream(remote: Remote, st: Settings, db: Database) -> tuple[int, Publisher]:
    """ann's approval into Steering, published; a maintainer moves the entry to Probing in the repository, and the
    service pulls that in. The candidate and the publisher."""
    reviewer, publisher = services(db, st)
    candidate_id = insert_candidate(db, PAPER)
    reviewer.decide(candidate_id, "approve", ANN, "Steering")
    assert publisher.publish().outcome == PUBLISHED
    push_bytes(remote, moved(ARXIV_ID, "Probing")(remote.readme()).encode(), "Move a paper to Probing by hand")
    assert publisher.publish().outcome == UNCHANGED  # the hand edit pulled in, nothing of the service's to push
    assert ARXIV_ID in section_of(list_md(st), "Probing")
    return candidate_id, publisher


def approved_again(tmp_path: Path, capsys: pytest.CaptureFixture[str], candidate_id: int, *section: str) -> str:
    capsys.readouterr()
    assert cli(tmp_path, "approve", str(candidate_id), *section) == 0
    return capsys.readouterr().out.strip()


@pytest.mark.parametrize("section", [(), ("--section", "Probing")], ids=["no section", "where it is now"])
def test_approving_a_paper_moved_by_hand_again_leaves_it_where_the_maintainer_put_it(
    remote: Remote, st: Settings, db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str], section: tuple[str]
) -> None:
    candidate_id, publisher = moved_by_hand_upstream(remote, st, db)
    out = approved_again(tmp_path, capsys, candidate_id, *section)
    kept = f"already in Probing, where {BY_HAND.format('moved')}; nothing was changed"
    assert out.startswith(f"candidate {candidate_id} ({ARXIV_ID}): {kept}")
    assert "\n" not in out and "approved into Probing" not in out
    for readme in (list_md(st), remote.readme()):
        assert ARXIV_ID in section_of(readme, "Probing") and ARXIV_ID not in section_of(readme, "Steering")
    assert publisher.publish().outcome == UNCHANGED
    capsys.readouterr()
    assert cli(tmp_path, "history") == 0
    assert "(changed nothing)" in capsys.readouterr().out.splitlines()[-1]


def test_the_command_an_approval_left_where_it_was_moved_names_moves_it_run_as_printed(
    remote: Remote,
    st: Settings,
    db: Database,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Approving again without a section a paper moved by hand said "(`digest approve N --section NAME` moves it)":
    run from a maintainer's shell, that acted on ./data there. It names the service's settings file and data folder:
    run as printed from another folder, with a section for NAME, it moves the paper in the service's list."""
    candidate_id, _ = moved_by_hand_upstream(remote, st, db)
    out = approved_again(tmp_path, capsys, candidate_id)
    printed = printed_command(out, "approve")
    assert printed[-4:] == ["approve", str(candidate_id), "--section", "NAME"], printed
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main([*printed[1:-1], "Steering"]) == 0
    assert ARXIV_ID in section_of(list_md(st), "Steering") and ARXIV_ID not in section_of(list_md(st), "Probing")
    assert not (elsewhere / "data").exists()


@pytest.mark.parametrize("target", ["Steering", "Sparse Autoencoder"])
def test_approving_a_paper_moved_by_hand_into_another_section_says_from_where_to_where(
    remote: Remote, st: Settings, db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str
) -> None:
    candidate_id, publisher = moved_by_hand_upstream(remote, st, db)
    out = approved_again(tmp_path, capsys, candidate_id, "--section", target)
    moves = f"moved from Probing (where {BY_HAND.format('had moved')}) to {target}"
    assert out == f"candidate {candidate_id} ({ARXIV_ID}): {moves}"
    assert publisher.publish().outcome == PUBLISHED
    for readme in (list_md(st), remote.readme()):
        assert ARXIV_ID in section_of(readme, target) and ARXIV_ID not in section_of(readme, "Probing")
    out = approved_again(tmp_path, capsys, candidate_id, "--section", target)  # the record followed
    assert out == f"candidate {candidate_id} ({ARXIV_ID}): already approved into {target}"
    capsys.readouterr()
    assert cli(tmp_path, "history") == 0  # the move's decision says it, as its answer did; the one after moved nothing
    assert f"approved into {target} (moved from Probing) by " in capsys.readouterr().out.splitlines()[-2]
