"""The service tells its own commits in its clone from a maintainer's by the mark it puts on them (a
`Published-by: awesome-digest` trailer), not by the committer: a maintainer running the service under their own git
identity commits there under publish.author's very name and address."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from digest.config import Settings
from digest.publish.publisher import FAILED, PUBLISHED
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from tests.fake_forge import FakeForge
from tests.git_remote import TYPO_NEW, TYPO_OLD, Remote, git
from tests.publish_pull import FIRST
from tests.publish_pull import forge as forge  # the fixture
from tests.publish_pull import services as pull_services
from tests.publish_pull import settings as settings  # the fixture
from tests.publishing import approve, git_home, services
from tests.publishing import db as db  # the fixture
from tests.publishing import remote as remote  # the fixture
from tests.publishing import st as st  # the fixture

MARK = "%(trailers:key=Published-by,valueonly)"


def as_the_service(clone: Path, *args: str, committed: str | None = None) -> None:
    """git run in the clone under publish.author's own name and address (the service runs as the maintainer), at the
    committer date `committed` when given."""
    who = {"NAME": "digest bot", "EMAIL": "bot@example.org"}
    env = {"PATH": os.environ["PATH"], "HOME": "/nonexistent", "GIT_CONFIG_NOSYSTEM": "1"}
    env |= {f"GIT_{role}_{part}": value for role in ("AUTHOR", "COMMITTER") for part, value in who.items()}
    env |= {"GIT_COMMITTER_DATE": committed} if committed else {}
    done = subprocess.run(["git", *args], cwd=clone, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr


def refuse_pushes(remote: Remote) -> Path:
    hook = remote.bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'GH006: Protected branch update failed for refs/heads/main.' >&2; exit 1\n")
    hook.chmod(0o755)
    return hook


def kept_aside(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "hand-commits" in r.getMessage()]


def test_a_commit_by_hand_under_the_services_own_name_and_address_is_kept_aside_and_said(
    remote: Remote, st: Settings, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """The maintainer's fix committed in the clone under publish.author's identity was taken for the service's: not
    kept, not said, and gone from every branch once the next publish moved the clone onto the repository's."""
    reviewer, publisher = services(db, st)
    approve(db, reviewer, 0)
    assert publisher.publish().outcome == PUBLISHED
    clone = st.data_dir / "publish" / "clone"
    in_clone = clone / "README.md"
    in_clone.write_text(in_clone.read_text(encoding="utf-8").replace(TYPO_OLD, TYPO_NEW), encoding="utf-8")
    as_the_service(clone, "commit", "--quiet", "-am", "Fix the typo in the heading")
    approve(db, reviewer, 1)
    assert publisher.publish().outcome == PUBLISHED
    kept = st.data_dir / "publish" / "clone.hand-commits.mbox.1"
    assert kept.is_file(), sorted(path.name for path in kept.parent.iterdir())
    said = kept_aside(caplog)
    assert said and "1 commit(s)" in said[0] and "Fix the typo in the heading" in said[0] and str(kept) in said[0]
    git(remote.work, "pull", "--quiet", "--ff-only", "origin", "main")
    git(remote.work, "am", "--quiet", "-3", str(kept))  # what the line says to do: the fix lands upstream
    assert TYPO_NEW in (remote.work / "README.md").read_text(encoding="utf-8")
    assert git(remote.work, "log", "-1", "--format=%an <%ae>").strip() == "digest bot <bot@example.org>"


def test_the_services_unpushed_commit_bears_the_mark_and_is_not_kept_aside(
    remote: Remote, st: Settings, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A push the repository refused leaves the service's commit at the clone's head; the next publish makes it again
    from the database, so it is not kept as a maintainer's. Each commit it pushes carries the mark."""
    reviewer, publisher = services(db, st)
    hook = refuse_pushes(remote)
    approve(db, reviewer, 0)
    assert publisher.publish().outcome == FAILED
    clone = st.data_dir / "publish" / "clone"
    assert git(clone, "log", "-1", f"--format={MARK}").strip() == "awesome-digest"
    hook.unlink()
    approve(db, reviewer, 1)
    assert publisher.publish().outcome == PUBLISHED
    assert not kept_aside(caplog) and not (st.data_dir / "publish" / "clone.hand-commits.mbox.1").exists()
    said = git(remote.bare, "log", "-1", "--format=%(trailers:only,unfold)", "main").split("\n")
    assert "Published-by: awesome-digest" in said and any(s.startswith("Awesome-Digest-Decisions: ") for s in said)


def test_an_older_releases_unpushed_commit_is_the_services_and_a_bare_one_under_its_name_is_kept(
    remote: Remote, st: Settings, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A clone an older release left: its commit (no mark, but the decisions trailer every commit of the service
    carried) refused by the repository and still at the head. It is the service's and made again, not kept; a commit
    under the same name with neither trailer (a maintainer's) on top of it is kept."""
    reviewer, publisher = services(db, st)
    hook = refuse_pushes(remote)
    approve(db, reviewer, 0)
    assert publisher.publish().outcome == FAILED
    clone = st.data_dir / "publish" / "clone"
    message = git(clone, "log", "-1", "--format=%B").replace("Published-by: awesome-digest\n", "")
    # As an older release wrote it, before this one began its record of the commits it makes (kept in the clone).
    old = ("commit", "--quiet", "--amend", "--cleanup=verbatim", "-m", message)
    as_the_service(clone, *old, committed="2026-01-05T10:00:00Z")
    (clone / ".git" / "awesome-digest-own-commits").unlink()
    assert "Awesome-Digest-Decisions: " in git(clone, "log", "-1", "--format=%B") and "Published-by" not in message
    hook.unlink()
    approve(db, reviewer, 1)
    assert publisher.publish().outcome == PUBLISHED
    assert not kept_aside(caplog), "the older release's own commit was kept as a maintainer's"
    refuse_pushes(remote)
    approve(db, reviewer, 2)
    assert publisher.publish().outcome == FAILED
    (clone / "notes.md").write_text("A maintainer's note\n", encoding="utf-8")
    as_the_service(clone, "add", "notes.md")
    as_the_service(clone, "commit", "--quiet", "-m", "Add a note", "-m", "Awesome-Digest: not a decision")
    hook.unlink()
    approve(db, reviewer, 3)
    assert publisher.publish().outcome == PUBLISHED
    said = kept_aside(caplog)
    assert said and "1 commit(s)" in said[0] and "(Add a note)" in said[0], said


def test_a_pull_requests_commits_and_its_merge_of_the_target_bear_the_mark(
    remote: Remote, forge: FakeForge, settings: Settings
) -> None:
    """In pull-request mode the service's commits carried no trailer at all: its commit on the pull request's branch
    and the merge that brings a maintainer's edit on the target into it (made with commit-tree) now carry the mark."""
    database = open_service_database(settings)
    try:
        reviewer, publisher = pull_services(database, settings)
        approve(database, reviewer, 0)
        assert publisher.publish().outcome == PUBLISHED
        remote.push_edit("+ **SAE Analyzing Hierarchical Structure in VMs**", "+ **SAE Analyzing Hierarchical ViTs**")
        approve(database, reviewer, 1)
        assert publisher.publish().outcome == PUBLISHED
    finally:
        database.dispose()
    marks = [line for line in git(remote.bare, "log", f"--format=%p|{MARK}", f"main..{FIRST}").splitlines() if line]
    assert len(marks) == 2 and len(marks[0].split("|")[0].split()) == 2, marks  # the merge, then the first commit
    assert all(line.split("|")[1] == "awesome-digest" for line in marks), marks


def test_a_maintainers_amend_of_a_services_commit_is_kept_aside_and_said(
    remote: Remote, st: Settings, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A maintainer's `git commit --amend` of the service's commit in the clone (its title fixed) keeps the mark, so the
    amended commit was taken for the service's and dropped without a word: it is not one the service made, so it is
    kept as a hand commit that `git am` applies."""
    reviewer, publisher = services(db, st)
    approve(db, reviewer, 0)
    assert publisher.publish().outcome == PUBLISHED
    clone = st.data_dir / "publish" / "clone"
    in_clone = clone / "README.md"
    in_clone.write_text(in_clone.read_text(encoding="utf-8").replace(TYPO_OLD, TYPO_NEW), encoding="utf-8")
    as_the_service(clone, "commit", "--quiet", "-a", "--amend", "--no-edit")
    assert git(clone, "log", "-1", f"--format={MARK}").strip() == "awesome-digest"  # the amend kept the mark
    approve(db, reviewer, 1)
    assert publisher.publish().outcome == PUBLISHED
    kept = st.data_dir / "publish" / "clone.hand-commits.mbox.1"
    said = kept_aside(caplog)
    assert said and "1 commit(s)" in said[0] and "Add 1 paper" in said[0] and str(kept) in said[0], said
    git(remote.work, "pull", "--quiet", "--ff-only", "origin", "main")
    assert TYPO_NEW not in (remote.work / "README.md").read_text(encoding="utf-8")
    git(remote.work, "am", "--quiet", "-3", str(kept))  # what the line says to do: the fix lands upstream
    assert TYPO_NEW in (remote.work / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "gitconfig",
    ['[trailer "published-by"]\n\tkey = Shipped-by\n', '[trailer]\n\tseparators = "="\n'],
    ids=["key", "separators"],
)
def test_the_operators_trailer_settings_neither_rename_nor_hide_the_mark(
    remote: Remote, st: Settings, db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, gitconfig: str
) -> None:
    """The operator's ~/.gitconfig trailer settings (a trailer.<token>.key, trailer.separators) reached the service's
    `git interpret-trailers`: the mark on the commits it pushed was renamed, or put in a paragraph of its own with a
    stray separator, where no one reads it as a trailer. Each pushed commit carries it as written."""
    git_home(tmp_path, monkeypatch, gitconfig)
    reviewer, publisher = services(db, st)
    approve(db, reviewer, 0)
    assert publisher.publish().outcome == PUBLISHED
    said = git(remote.bare, "log", "-1", "--format=%(trailers:only,unfold)", "main").split("\n")
    assert "Published-by: awesome-digest" in said and any(s.startswith("Awesome-Digest-Decisions: ") for s in said)


def test_an_older_releases_marked_commit_is_read_as_the_services_whatever_the_operators_trailer_separators(
    remote: Remote,
    st: Settings,
    db: Database,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The service read its marks with the operator's ~/.gitconfig: a `trailer.separators` without ':' hid both the
    mark and the decisions trailer of an older release's unpushed commit, which was then kept aside and said as a
    maintainer's. It is read as written, and made again from the database without a word."""
    reviewer, publisher = services(db, st)
    hook = refuse_pushes(remote)
    approve(db, reviewer, 0)
    assert publisher.publish().outcome == FAILED
    clone = st.data_dir / "publish" / "clone"
    message = git(clone, "log", "-1", "--format=%B")
    as_the_service(
        clone, "commit", "--quiet", "--amend", "--cleanup=verbatim", "-m", message, committed="2026-01-05T10:00:00Z"
    )
    (clone / ".git" / "awesome-digest-own-commits").unlink()  # an older release kept no record
    git_home(tmp_path, monkeypatch, '[trailer]\n\tseparators = "="\n')
    hook.unlink()
    approve(db, reviewer, 1)
    assert publisher.publish().outcome == PUBLISHED
    assert not kept_aside(caplog) and not (st.data_dir / "publish" / "clone.hand-commits.mbox.1").exists()
