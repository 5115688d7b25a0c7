"""A paper a maintainer took out of the list by hand in its git repository. Was: an approval made meanwhile (a move to
another section) put it back with the next publish ("Add 1 paper ...") without a word of the hand deletion, and an
approval made after the publish brought the deletion in said just "approved into Sparse Autoencoder". Now the hand
deletion stands against a pending change that would put the paper back, the publish saying so, and an approval made
on purpose afterwards says whose deletion it undoes (a real bare repository, the command line as a user runs it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.config import Settings
from digest.config.invocation import same_invocation
from digest.storage.db import Database
from tests.conftest import make_settings
from tests.discord_bot import list_md, section_of
from tests.factories import insert_candidate, real_papers
from tests.git_remote import AUTHOR_ENV, Remote, git, publish_config
from tests.publish_recovery import cli, published_approval
from tests.publishing import db as db  # the fixture
from tests.publishing import remote as remote  # the fixture
from tests.publishing import st as st  # the fixture
from tests.web_server import SECRETS_ENV, running_site, sign_in

CAROL = "Carol <carol@example.org>"


def taken_out_by_carol(remote: Remote, arxiv_id: str) -> str:
    """Carol deletes the paper's entry (its title line and the lines under it) upstream; her commit's short hash."""
    git(remote.work, "pull", "--quiet", "--ff-only", "origin", "main")
    readme = remote.work / "README.md"
    lines = readme.read_text(encoding="utf-8").split("\n")
    first = next(n for n, line in enumerate(lines) if line.startswith("+ ") and arxiv_id in line)
    end = next(n for n in range(first + 1, len(lines)) if not lines[n].startswith("  "))
    end += 1 if not lines[end].strip() else 0  # the blank line after it
    del lines[first:end]
    readme.write_text("\n".join(lines), encoding="utf-8")
    git(remote.work, "commit", "--quiet", f"--author={CAROL}", "-am", "Take a paper out")
    git(remote.work, "push", "--quiet", "origin", "HEAD:main")
    assert AUTHOR_ENV["GIT_AUTHOR_NAME"] != "Carol"
    return git(remote.bare, "rev-parse", "--short=12", "main").strip()


def said(capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str) -> str:
    capsys.readouterr()
    assert cli(tmp_path, *args) == 0
    out = capsys.readouterr().out.strip()
    assert "\n" not in out, out
    return out


def test_a_paper_taken_out_upstream_is_not_put_back_by_a_move_made_meanwhile(
    remote: Remote, st: Settings, db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, candidate, (arxiv_id, _) = published_approval(db, st)  # in Sparse Autoencoder, published
    commit = taken_out_by_carol(remote, arxiv_id)
    moved = said(capsys, tmp_path, "approve", str(candidate), "--section", "Probing")
    assert "moved from Sparse Autoencoder" in moved and "to Probing" in moved  # the list here still held it
    other = real_papers()[1]
    said(capsys, tmp_path, "approve", str(insert_candidate(db, other)), "--section", "Steering")
    out = said(capsys, tmp_path, "publish")
    assert arxiv_id not in remote.readme(), "the hand deletion was undone"  # was: back, under Probing
    assert arxiv_id not in list_md(st)
    assert str(other["arxiv_id"]) in section_of(remote.readme(), "Steering")  # the publish's other change kept
    assert remote.commits()[0].startswith("Add 1 paper: "), remote.commits()[0]
    assert f"{arxiv_id} stays out of the list: Carol took it out by hand in commit {commit}" in out, out
    assert "approval into Probing" in out and f"`{same_invocation(st, 'approve', arxiv_id)}` puts it back" in out, out
    message = remote.message_of_head()  # in the list's repository, often public: no path or database of this machine
    assert f"{arxiv_id} stays out of the list" in message and f"(`digest approve {arxiv_id}` puts it back)" in message
    assert str(st.data_dir.absolute()) not in message and "--data-dir" not in message, message
    # An approval made now, on purpose, puts it back and says whose deletion it undoes.
    again = said(capsys, tmp_path, "approve", str(candidate), "--section", "Probing")
    assert again.startswith(f"candidate {candidate} ({arxiv_id}): approved into Probing; "), again
    assert "Carol had taken it out of the list by hand on " in again and f" UTC (commit {commit})" in again, again
    said(capsys, tmp_path, "publish")
    assert arxiv_id in section_of(remote.readme(), "Probing")


def test_approving_a_paper_taken_out_by_hand_says_so_and_puts_it_back(
    remote: Remote, st: Settings, db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, candidate, (arxiv_id, _) = published_approval(db, st)
    commit = taken_out_by_carol(remote, arxiv_id)
    said(capsys, tmp_path, "publish")  # the hand deletion brought in
    assert arxiv_id not in list_md(st)
    out = said(capsys, tmp_path, "approve", str(candidate))
    assert out.startswith(f"candidate {candidate} ({arxiv_id}): approved into Sparse Autoencoder; "), out
    date = git(remote.bare, "log", "-1", "--format=%ad", "--date=format:%Y-%m-%d %H:%M", "main").strip()
    assert f"Carol had taken it out of the list by hand on {date} UTC (commit {commit})" in out, out
    assert arxiv_id in section_of(list_md(st), "Sparse Autoencoder")  # it still does what was asked
    said(capsys, tmp_path, "publish")
    assert arxiv_id in section_of(remote.readme(), "Sparse Autoencoder")
    # Said once: approved again later, it is an approval like any other.
    said(capsys, tmp_path, "reject", str(candidate))
    assert "by hand" not in said(capsys, tmp_path, "approve", str(candidate))


def test_approving_a_paper_taken_out_by_a_list_import_says_when(
    st: Settings, db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    candidate = insert_candidate(db, real_papers()[0])
    arxiv_id = str(real_papers()[0]["arxiv_id"])
    said(capsys, tmp_path, "approve", str(candidate))
    edited = tmp_path / "edited.md"
    text = list_md(st)
    start = text.index(next(line for line in text.split("\n") if line.startswith("+ ") and arxiv_id in line))
    end = text.index("\n+ ", start) + 1
    edited.write_text(text[:start] + text[end:], encoding="utf-8")
    capsys.readouterr()
    assert cli(tmp_path, "list", "import", str(edited)) == 0
    out = said(capsys, tmp_path, "approve", str(candidate))
    assert "approved into Sparse Autoencoder; a maintainer had taken it out of the list by hand on " in out, out
    assert "(`digest list import`)" in out, out


def test_approving_again_a_paper_taken_out_upstream_puts_it_back_where_it_was_approved(
    remote: Remote, st: Settings, db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, candidate, (arxiv_id, _) = published_approval(db, st)
    said(capsys, tmp_path, "approve", str(candidate), "--section", "Probing")  # not its suggested section
    said(capsys, tmp_path, "publish")
    taken_out_by_carol(remote, arxiv_id)
    said(capsys, tmp_path, "publish")  # the hand deletion brought in
    assert arxiv_id not in list_md(st)
    out = said(capsys, tmp_path, "approve", str(candidate))
    assert out.startswith(f"candidate {candidate} ({arxiv_id}): approved into Probing"), out  # was: Sparse Autoencoder
    assert "the section it was approved into before" in out, out
    assert arxiv_id in section_of(list_md(st), "Probing")
    assert arxiv_id not in section_of(list_md(st), "Sparse Autoencoder")
    said(capsys, tmp_path, "publish")
    assert arxiv_id in section_of(remote.readme(), "Probing")


def test_the_history_says_an_approval_a_publish_left_out_is_not_in_the_list(
    remote: Remote, st: Settings, db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, candidate, (arxiv_id, _) = published_approval(db, st)  # ann's, into Sparse Autoencoder
    commit = taken_out_by_carol(remote, arxiv_id)
    said(capsys, tmp_path, "approve", str(candidate), "--section", "Probing")  # made meanwhile, here
    said(capsys, tmp_path, "publish")  # it leaves the approval out: Carol's deletion stands
    assert arxiv_id not in remote.readme()
    history = said_history(capsys, tmp_path)
    assert "approved into Probing (moved from Sparse Autoencoder)" in history[-1], history
    assert "not in the list: Carol had taken it out of the list by hand on " in history[-1], history  # was: no word
    assert f" UTC (commit {commit})" in history[-1], history
    assert "not in the list" not in history[0], history  # ann's approval no longer stands
    said(capsys, tmp_path, "approve", str(candidate))  # put back on purpose
    assert not any("not in the list" in line for line in said_history(capsys, tmp_path))


@pytest.mark.asyncio
async def test_the_history_page_says_an_approval_a_publish_left_out_is_not_in_the_list(
    remote: Remote, st: Settings, db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest history` marked the approval whose paper Carol had taken out of the list by hand; /history showed it
    as any approval that stands, the list holding its paper."""
    _, _, candidate, (arxiv_id, _) = published_approval(db, st)
    commit = taken_out_by_carol(remote, arxiv_id)
    said(capsys, tmp_path, "approve", str(candidate), "--section", "Probing")
    said(capsys, tmp_path, "publish")  # it leaves the approval out: Carol's deletion stands
    async with running_site(make_settings(st.data_dir, publish_config(remote.url), dict(SECRETS_ENV))) as site:
        await sign_in(site)
        async with site.client.get("/history") as reply:
            assert reply.status == 200
            rows = (await reply.text()).split('<tr class="decision">')[1:]
    assert len(rows) == 2 and "approved into Probing" in rows[0], rows  # newest first
    assert "not in the list: Carol had taken it out of the list by hand on " in rows[0], rows[0]
    assert f" UTC (commit {commit})" in rows[0], rows[0]
    assert "not in the list" not in rows[1], rows[1]  # ann's approval no longer stands


def said_history(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> list[str]:
    capsys.readouterr()
    assert cli(tmp_path, "history") == 0
    return capsys.readouterr().out.strip().split("\n")
