"""Publishing over months of real use, the upstream's history: a renamed default branch, a killed git's index lock, a
failed first push to an empty repository, a force-push and a history rewritten from scratch (a real bare repository)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from digest.cli import main
from digest.config import Settings
from digest.config.invocation import same_invocation
from digest.publish.git_process import LOCAL_SECONDS
from digest.publish.publisher import BLOCKED, FAILED, PUBLISHED, Publisher
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from tests.conftest import make_settings
from tests.git_remote import NOW, TYPO_NEW, TYPO_OLD, Remote, git, publish_config
from tests.printed import printed_command
from tests.publish_recovery import cli
from tests.publishing import approve, services
from tests.publishing import db as db  # the fixture
from tests.publishing import remote as remote  # the fixture
from tests.publishing import st as st  # the fixture


# 2 ------------------------------------------------------------------------------------------------------------------
def test_a_renamed_default_branch_is_not_recreated_as_an_unrelated_history(
    remote: Remote, st: Settings, db: Database
) -> None:
    reviewer, publisher = services(db, st)
    approve(db, reviewer, 0)
    assert publisher.publish().outcome == PUBLISHED
    git(remote.bare, "branch", "-m", "main", "trunk")  # the maintainers rename the default branch on the forge
    git(remote.bare, "symbolic-ref", "HEAD", "refs/heads/trunk")
    approve(db, reviewer, 1)
    result = publisher.publish()
    created = subprocess.run(
        ["git", "-C", str(remote.bare), "rev-parse", "--verify", "-q", "main"], capture_output=True, text=True
    ).stdout.strip()
    parents = git(remote.bare, "log", "-1", "--format=%P", created).strip() if created else "n/a"
    assert not created, f"publish {result.outcome!r} re-created main as a root commit (parents: {parents!r})"
    assert result.outcome == FAILED and "main" in result.message


def test_a_renamed_default_branch_is_named_in_the_line(remote: Remote, st: Settings, db: Database) -> None:
    """The maintainers renamed main to trunk on the forge: every publish said 'branch main is gone ...; if it was
    renamed, set publish.branch to its new name', leaving the maintainer to find the name. The repository says which
    branch is its default now: the line names it, and set so, publishing goes on."""
    reviewer, publisher = services(db, st)
    approve(db, reviewer, 0)
    assert publisher.publish().outcome == PUBLISHED
    git(remote.bare, "branch", "-m", "main", "trunk")
    git(remote.bare, "symbolic-ref", "HEAD", "refs/heads/trunk")
    second = approve(db, reviewer, 1)
    result = publisher.publish()
    assert result.outcome == FAILED and 'set publish.branch = "trunk"' in result.message, result.message
    renamed = make_settings(st.data_dir, publish_config(remote.url) + 'branch = "trunk"\n')
    assert Publisher(db, renamed, clock=lambda: NOW).publish().outcome == PUBLISHED
    assert second in git(remote.bare, "show", "trunk:README.md")


# 3 ------------------------------------------------------------------------------------------------------------------
def test_a_stale_index_lock_from_a_killed_publish_is_cleared_and_a_young_one_named(
    remote: Remote, st: Settings, db: Database
) -> None:
    """`kill -9` of the service (or `docker kill`) during a git command leaves the clone's index.lock behind. One
    older than any git command may run is removed; a younger one may be another publish at work: the failure names
    the file (git's fatal line is kept)."""
    reviewer, publisher = services(db, st)
    approve(db, reviewer, 0)
    assert publisher.publish().outcome == PUBLISHED
    lock = st.data_dir / "publish" / "clone" / ".git" / "index.lock"
    lock.write_bytes(b"")
    second = approve(db, reviewer, 1)
    young = publisher.publish()
    assert young.outcome == FAILED and "index.lock': File exists" in young.message
    long_ago = time.time() - LOCAL_SECONDS - 60
    os.utime(lock, (long_ago, long_ago))
    assert publisher.publish().outcome == PUBLISHED
    assert second in remote.readme() and not lock.exists()


# 4 ------------------------------------------------------------------------------------------------------------------
def test_a_failed_first_push_to_an_empty_repository_is_retried(tmp_path: Path, remote: Remote) -> None:
    empty = tmp_path / "empty.git"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(empty))
    deny = tmp_path / "deny"
    hook = empty / "hooks" / "pre-receive"  # stands for any failed first push: no push right yet, network, ...
    hook.write_text(f"#!/bin/sh\nif [ -e {deny} ]; then echo 'permission denied' >&2; exit 1; fi\n")
    hook.chmod(0o755)
    deny.write_text("")
    settings = make_settings(tmp_path / "data2", publish_config(empty.as_uri()))
    database = open_service_database(settings)
    try:
        reviewer, publisher = services(database, settings)
        approve(database, reviewer, 0)
        assert publisher.publish().outcome == FAILED
        deny.unlink()  # the token is fixed / the network is back
        result = publisher.publish()
        assert result.outcome == PUBLISHED, (
            result.message
        )  # today: "a branch named 'digest-publish-new' already exists"
    finally:
        database.dispose()


def test_the_first_commit_to_an_empty_repository_says_it_adds_the_list(tmp_path: Path) -> None:
    """A maintainer pointed publishing at a new, empty repository: its first commit, which brings the whole list,
    was titled "Add 1 paper: <title> (<section>)", as if the repository had held the rest already. It says it adds
    the list now, the papers approved here named after it."""
    empty = tmp_path / "empty.git"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(empty))
    settings = make_settings(tmp_path / "data2", publish_config(empty.as_uri()))
    database = open_service_database(settings)
    try:
        reviewer, publisher = services(database, settings)
        approved = approve(database, reviewer, 0)
        assert publisher.publish().outcome == PUBLISHED
        subject, body = git(empty, "log", "-1", "--format=%s%n%b", "main").split("\n", 1)
        assert subject.startswith("Add the list, with 1 paper approved here: "), subject
        assert f"https://arxiv.org/abs/{approved}" in body
        second = approve(database, reviewer, 1)  # later commits name their papers alone, as before
        assert publisher.publish().outcome == PUBLISHED
        assert git(empty, "log", "-1", "--format=%s", "main").startswith("Add 1 paper: "), second
    finally:
        database.dispose()


# 8 ------------------------------------------------------------------------------------------------------------------
def test_a_force_push_that_drops_the_services_commit_is_not_taken_silently(
    remote: Remote, st: Settings, db: Database
) -> None:
    reviewer, publisher = services(db, st)
    first = approve(db, reviewer, 0)
    assert publisher.publish().outcome == PUBLISHED
    git(remote.work, "fetch", "-q", "origin")
    git(remote.work, "reset", "-q", "--hard", "origin/main~1")  # history rewritten from before the bot's commit
    readme = remote.work / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8").replace(TYPO_OLD, TYPO_NEW), encoding="utf-8")
    git(remote.work, "commit", "-qam", "Rewrite")
    git(remote.work, "push", "-q", "--force", "origin", "HEAD:main")
    approve(db, reviewer, 1)
    result = publisher.publish()
    # Merged from the commit both histories share: the approval the rewrite dropped comes back, the rewrite's edit
    # stays. (Measured from the last sync, the dropped paper read as taken out by hand, without a word.)
    assert result.outcome == PUBLISHED, result.message
    assert first in remote.readme() and TYPO_NEW in remote.readme()
    assert first in st.list_markdown_path.read_text(encoding="utf-8")


def test_a_force_push_that_drops_the_services_commit_is_named_in_the_commit_that_puts_it_back(
    remote: Remote, st: Settings, db: Database
) -> None:
    """The commit that puts back an approval a force-push dropped says so: its diff adds that paper's entry, and a
    maintainer reading `git log` must not find a paper arriving that the message does not name."""
    reviewer, publisher = services(db, st)
    first = approve(db, reviewer, 0)
    assert publisher.publish().outcome == PUBLISHED
    git(remote.work, "fetch", "-q", "origin")
    git(remote.work, "reset", "-q", "--hard", "origin/main~1")
    git(remote.work, "commit", "-q", "--allow-empty", "-m", "Rewrite")
    git(remote.work, "push", "-q", "--force", "origin", "HEAD:main")
    second = approve(db, reviewer, 1)
    assert publisher.publish().outcome == PUBLISHED
    assert "+ [" in remote.diff_of_head() and first in remote.diff_of_head()
    message = remote.message_of_head()
    assert f"https://arxiv.org/abs/{second}" in message
    put_back = [line for line in message.splitlines() if f"https://arxiv.org/abs/{first}" in line]
    assert put_back and put_back[0].startswith("- put back "), message
    assert "rewritten" in put_back[0] and "dropped" in put_back[0], message


def test_a_history_rewritten_from_scratch_says_how_to_go_on_and_that_works(
    tmp_path: Path,
    remote: Remote,
    st: Settings,
    db: Database,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A maintainer squashed the branch into one new commit (no commit shared with the last sync). Publishing stopped
    and said to bring the file in with `digest list import`, but after that it stopped the same way for ever (the
    last synced commit never changed). It now names `digest publish --accept-upstream`, which merges the rewritten
    file as an edit of the last synced one, and publishing goes on. The command is the service's own (its settings
    file and data folder): the bare one, run from a shell elsewhere, published ./data there, not the service's list."""
    reviewer, publisher = services(db, st)
    first = approve(db, reviewer, 0)
    assert publisher.publish().outcome == PUBLISHED
    git(remote.work, "pull", "--quiet", "--ff-only", "origin", "main")
    git(remote.work, "checkout", "--quiet", "--orphan", "squashed")
    readme = remote.work / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8").replace(TYPO_OLD, TYPO_NEW), encoding="utf-8")
    git(remote.work, "commit", "--quiet", "-am", "Squash the history")
    git(remote.work, "push", "--quiet", "--force", "origin", "HEAD:main")
    second = approve(db, reviewer, 1)
    blocked = publisher.publish()
    accept = same_invocation(st, "publish", "--accept-upstream")
    assert blocked.outcome == BLOCKED and f"`{accept}`" in blocked.message, blocked.message
    assert remote.commits() == ["Squash the history"]
    capsys.readouterr()
    elsewhere = tmp_path / "elsewhere"  # run as printed, from another folder
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(printed_command(blocked.message, "publish")[1:]) == 0
    assert capsys.readouterr().out.startswith("published "), "the pending approval is pushed"
    text = remote.readme()
    assert first in text and second in text and TYPO_NEW in text and TYPO_OLD not in text
    assert remote.commits()[1:] == ["Squash the history"]
    assert cli(tmp_path, "publish") == 0
    assert capsys.readouterr().out.strip() == "README.md is up to date"


def test_a_hand_edit_left_in_the_services_clone_is_kept_aside_and_said(
    remote: Remote, st: Settings, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A maintainer fixes the list in the service's own clone (`<data>/publish/clone`, a checkout like any other) and
    leaves it there uncommitted. The next publish writes the file over it; the edit used to vanish without a word."""
    reviewer, publisher = services(db, st)
    approve(db, reviewer, 0)
    assert publisher.publish().outcome == PUBLISHED
    in_clone = st.data_dir / "publish" / "clone" / "README.md"
    in_clone.write_text(in_clone.read_text(encoding="utf-8").replace(TYPO_OLD, TYPO_NEW), encoding="utf-8")
    approve(db, reviewer, 1)
    assert publisher.publish().outcome == PUBLISHED
    kept = st.data_dir / "publish" / "clone.hand-edit.patch.1"
    assert TYPO_NEW in kept.read_text(encoding="utf-8") and TYPO_OLD in kept.read_text(encoding="utf-8")
    said = [r.getMessage() for r in caplog.records if "hand-edit.patch" in r.getMessage()]
    assert (
        said and "README.md" in said[0] and str(kept) in said[0] and same_invocation(st, "list", "import") in said[0]
    ), said
    assert TYPO_OLD in remote.readme()  # the clone is the service's: an edit there is not published


def test_a_commit_made_by_hand_in_the_services_clone_is_kept_aside_and_said(
    remote: Remote, st: Settings, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A maintainer fixes the list in the service's clone and commits it there, not pushed. The next publish moved
    the clone's branch onto the repository's and the commit was left off every branch, without a word (only the
    hand edit left uncommitted was kept). It is kept as a mailbox `git am` applies, and said."""
    reviewer, publisher = services(db, st)
    approve(db, reviewer, 0)
    assert publisher.publish().outcome == PUBLISHED
    clone = st.data_dir / "publish" / "clone"
    in_clone = clone / "README.md"
    in_clone.write_text(in_clone.read_text(encoding="utf-8").replace(TYPO_OLD, TYPO_NEW), encoding="utf-8")
    git(clone, "commit", "--quiet", "-am", "Fix the typo in the heading")
    approve(db, reviewer, 1)
    assert publisher.publish().outcome == PUBLISHED
    kept = st.data_dir / "publish" / "clone.hand-commits.mbox.1"
    assert kept.is_file(), sorted(path.name for path in kept.parent.iterdir())
    said = [r.getMessage() for r in caplog.records if "hand-commits" in r.getMessage()]
    assert said and "Fix the typo in the heading" in said[0] and str(kept) in said[0] and "git am" in said[0], said
    git(remote.work, "pull", "--quiet", "--ff-only", "origin", "main")
    git(remote.work, "am", "--quiet", "-3", str(kept))  # what the line says to do: the fix lands upstream
    assert TYPO_NEW in (remote.work / "README.md").read_text(encoding="utf-8")
    caplog.clear()
    approve(db, reviewer, 2)
    assert publisher.publish().outcome == PUBLISHED
    assert not [r for r in caplog.records if "hand-commits" in r.getMessage()], "said once, not at every publish"
