"""Publishing to a repository that changed or is not as expected: the list file renamed or deleted upstream, a
branch or path it lacks, a shallow, new, empty or relative repository, a clone of another user's."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from digest import health
from digest.config import Settings
from digest.config.invocation import same_invocation
from digest.publish.publisher import BLOCKED, FAILED, PUBLISHED, Publisher
from digest.review.reviewer import Reviewer
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from tests.conftest import make_settings
from tests.factories import real_papers
from tests.git_remote import NOW, TYPO_NEW, TYPO_OLD, Remote, git, make_remote, publish_config
from tests.publish_upkeep import approve_first, one_approval_published, publish_once
from tests.publishing import approve, db, remote, services, st  # noqa: F401  (fixtures)


@pytest.mark.parametrize("how", ["renamed", "deleted", "linked"])
def test_a_list_file_renamed_or_deleted_upstream_is_not_written_again_as_a_second_copy(
    how: str,
    tmp_path: Path,
    remote: Remote,  # noqa: F811
    st: Settings,  # noqa: F811
    db: Database,  # noqa: F811  (fixtures)
) -> None:
    """The maintainers move README.md to LIST.md (or delete it, the list living elsewhere now). The next approval
    wrote README.md again from the database: two copies of the list on the branch, the maintainers' later edits in
    LIST.md never brought back. Now publishing stops and says where the file went and what to set. Left behind as a
    symbolic link to LIST.md, README.md was read as the link's text ('LIST.md'): publishing stopped with "not an
    awesome list ...; fix it in the repository", where the list reads as it did. It now names the file to set."""
    reviewer, publisher = services(db, st)
    approve(db, reviewer, 0)
    assert publisher.publish().outcome == PUBLISHED
    git(remote.work, "pull", "-q", "--ff-only", "origin", "main")
    if how in ("renamed", "linked"):
        git(remote.work, "mv", "README.md", "LIST.md")
    if how == "linked":
        (remote.work / "README.md").symlink_to("LIST.md")
        git(remote.work, "add", "README.md")
    if how == "deleted":
        git(remote.work, "rm", "-q", "README.md")
    git(remote.work, "commit", "-qm", f"{how} the list")
    git(remote.work, "push", "-q", "origin", "HEAD:main")
    head = remote.head()
    second = approve(db, reviewer, 1)
    result = publisher.publish()
    assert result.outcome == BLOCKED, result.message
    listed = git(remote.bare, "ls-tree", "--name-only", "main").split()
    assert remote.head() == head and ("README.md" in listed) == (how == "linked"), "no second copy written"
    expected = {
        "renamed": "renamed to LIST.md on branch main",
        "deleted": "README.md is gone from branch main",
        "linked": "README.md is a symbolic link to LIST.md on branch main",
    }[how]
    assert expected in result.message and "publish.path" in result.message, result.message
    (component,) = [c for c in health.components() if c.name == "publish"]
    assert not component.ok and expected in component.message
    if how != "deleted":  # the maintainers' file, and the setting that follows it, bring publishing back
        git(remote.work, "pull", "-q", "--ff-only", "origin", "main")
        listing = remote.work / "LIST.md"
        listing.write_text(listing.read_text(encoding="utf-8").replace(TYPO_OLD, TYPO_NEW), encoding="utf-8")
        git(remote.work, "commit", "-qam", "Fix a typo by hand")
        git(remote.work, "push", "-q", "origin", "HEAD:main")
        moved = make_settings(st.data_dir, publish_config(remote.url) + 'path = "LIST.md"\n')
        assert Publisher(db, moved, clock=lambda: NOW).publish().outcome == PUBLISHED
        on_branch = git(remote.bare, "show", "main:LIST.md")
        assert second in on_branch and TYPO_NEW in on_branch


def test_publish_path_set_to_a_new_file_publishes_the_list_there(remote: Remote, st: Settings, db: Database) -> None:  # noqa: F811  (fixtures)
    """The maintainers point publish.path at a file the branch never had (the list to live in docs/LIST.md from now
    on): publishing stopped with "docs/LIST.md is gone from branch main", though it was never there to be renamed or
    deleted. A path new since the last sync is written, as before the first sync."""
    reviewer, publisher = services(db, st)
    approve(db, reviewer, 0)
    assert publisher.publish().outcome == PUBLISHED
    second = approve(db, reviewer, 1)
    moved = make_settings(st.data_dir, publish_config(remote.url) + 'path = "docs/LIST.md"\n')
    result = Publisher(db, moved, clock=lambda: NOW).publish()
    assert result.outcome == PUBLISHED, result.message
    assert second in git(remote.bare, "show", "main:docs/LIST.md")


def test_a_repository_given_as_a_relative_path_is_published_to(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`repository = "remote.git"` (a bare repository beside the config, as in a first try): `config check` said OK,
    then every publish failed with "'remote.git' does not appear to be a git repository", as git read it in the
    service's own clone. Now the path is read from the working folder, as the other paths in the settings are."""
    upstream = make_remote(tmp_path)
    monkeypatch.chdir(tmp_path)
    settings = make_settings(tmp_path / "data", publish_config("remote.git"))
    one_approval_published(settings, upstream)


def test_a_first_publish_to_a_branch_the_repository_lacks_names_the_branches_it_has(tmp_path: Path) -> None:
    """`branch = "master"` for a repository whose list is on main (the example's default taken for the other name):
    the first publish pushed a new, unrelated history to master holding the bundled list, beside the maintainers'
    main. Now it stops in one line naming the branches the repository has; an empty repository still gets its first
    branch (test_a_failed_first_push_to_an_empty_repository_is_retried)."""
    upstream = make_remote(tmp_path)
    settings = make_settings(tmp_path / "data", publish_config(upstream.url) + 'branch = "master"\n')
    approve_first(settings)
    result = publish_once(settings)
    assert result.outcome == FAILED, result.message
    assert "branch master is not in" in result.message and "it has main" in result.message, result.message
    assert "master" not in git(upstream.bare, "branch", "--list")


def test_a_first_publish_to_a_path_the_repository_lacks_names_the_list_file_it_has(tmp_path: Path) -> None:
    """`path = "READme.md"` (or "docs/README.md") for a repository whose list is README.md at the root: the first
    publish created the mistyped file holding the whole list, a second copy beside the maintainers' README.md, whose
    edits never came back. Now it stops in one line naming the list file the repository has; a repository with no
    list yet still gets its new file."""
    upstream = make_remote(tmp_path)
    before = upstream.head()
    settings = make_settings(tmp_path / "data", publish_config(upstream.url) + 'path = "docs/README.md"\n')
    approve_first(settings)
    result = publish_once(settings)
    assert result.outcome == BLOCKED, result.message
    assert "docs/README.md is not on branch main" in result.message, result.message
    assert 'set publish.path = "README.md"' in result.message and "\n" not in result.message, result.message
    assert upstream.head() == before

    other = tmp_path / "other"
    other.mkdir()
    fresh = make_remote(other)
    (fresh.work / "README.md").write_text("# A code repository\n\nNothing listed here.\n", encoding="utf-8")
    git(fresh.work, "commit", "--quiet", "-am", "Not a list")
    git(fresh.work, "push", "--quiet", "origin", "main")
    settings = make_settings(other / "data", publish_config(fresh.url) + 'path = "papers.md"\n')
    approve_first(settings)
    result = publish_once(settings)
    assert result.outcome == PUBLISHED, result.message
    assert "papers.md" in git(fresh.bare, "ls-tree", "--name-only", "main")


def test_publish_path_naming_a_folder_says_so_and_pushes_nothing(tmp_path: Path) -> None:
    """`path = "docs"` for a repository holding a docs folder: git read the folder's listing as the file, and publishing
    stopped with 'docs upstream has 1 new lint error(s): ... not an awesome list ...; fix it in the repository', where
    nothing there is broken. Now it says publish.path names a folder and to name the list's file."""
    upstream = make_remote(tmp_path)
    (upstream.work / "docs").mkdir()
    (upstream.work / "docs" / "papers.md").write_text("# Notes\n", encoding="utf-8")
    git(upstream.work, "add", "docs")
    git(upstream.work, "commit", "--quiet", "-m", "Docs")
    git(upstream.work, "push", "--quiet", "origin", "main")
    before = upstream.head()
    settings = make_settings(tmp_path / "data", publish_config(upstream.url) + 'path = "docs"\n')
    approve_first(settings)
    result = publish_once(settings)
    assert result.outcome == BLOCKED, result.message
    assert "docs is a folder on branch main" in result.message, result.message
    assert "set publish.path to the list's file" in result.message and "lint" not in result.message, result.message
    assert upstream.head() == before


def test_a_shallow_repository_is_published_to_and_its_hand_edits_come_back(tmp_path: Path) -> None:
    """The list's repository a shallow copy (a mirror made with `git clone --bare --depth 1`, as a move to a new
    server from a CI checkout makes): git refuses a fetch from it that deepens nothing by default, so every publish
    failed with 'git rev-parse failed: fatal: Needed a single revision'. The approvals now go out, a hand edit there
    comes back, and neither is lost."""
    (tmp_path / "full").mkdir()
    full = make_remote(tmp_path / "full")
    full.push_edit(TYPO_OLD, TYPO_NEW)
    bare, work = tmp_path / "shallow.git", tmp_path / "shallow-work"
    git(tmp_path, "clone", "--quiet", "--bare", "--depth", "1", full.bare.as_uri(), str(bare))
    git(tmp_path, "clone", "--quiet", bare.as_uri(), str(work))
    upstream = Remote(bare, work)
    settings = make_settings(tmp_path / "data", publish_config(upstream.url))
    one_approval_published(settings, upstream)
    upstream.push_edit(TYPO_NEW, "**Spatial Reasoning for VLMs (fixed twice)**")
    database = open_service_database(settings)
    try:
        second = approve(database, Reviewer(database, settings, clock=lambda: NOW), 1)
    finally:
        database.dispose()
    result = publish_once(settings)
    assert result.outcome == PUBLISHED, result.message
    assert second in upstream.readme() and "(fixed twice)" in upstream.readme()
    assert str(real_papers()[0]["arxiv_id"]) in upstream.readme()
    assert "(fixed twice)" in settings.list_markdown_path.read_text(encoding="utf-8")


def test_a_list_moved_to_a_new_empty_repository_says_so_and_accepting_starts_it(tmp_path: Path) -> None:
    """publish.repository changed to a new, empty repository (the list moving to another organisation): every publish
    failed with 'branch main is gone from <new> ... if it was renamed, set publish.branch to its new name', of a
    repository with no branch at all, and nothing let the list go out. The line now says the repository is empty and
    what to do; `digest publish --accept-upstream` starts it with the list as it stands here, approvals and all."""
    upstream = make_remote(tmp_path)
    settings = make_settings(tmp_path / "data", publish_config(upstream.url))
    one_approval_published(settings, upstream)
    new = Remote(tmp_path / "new.git", tmp_path / "new-work")
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(new.bare))
    moved = make_settings(tmp_path / "data", publish_config(new.url))
    database = open_service_database(moved)
    try:
        second = approve(database, Reviewer(database, moved, clock=lambda: NOW), 1)
        publisher = Publisher(database, moved, clock=lambda: NOW)
        result = publisher.publish()
        assert result.outcome == FAILED
        accept = same_invocation(moved, "publish", "--accept-upstream")
        assert "has no branch" in result.message and f"`{accept}`" in result.message, result.message
        assert "set publish.branch" not in result.message, result.message
        assert git(new.bare, "branch", "--list") == ""
        accepted = publisher.publish(accept_upstream=True)
        assert accepted.outcome == PUBLISHED, accepted.message
    finally:
        database.dispose()
    git(tmp_path, "clone", "--quiet", new.url, str(new.work))
    assert new.readme() == moved.list_markdown_path.read_text(encoding="utf-8")
    assert second in new.readme() and str(real_papers()[0]["arxiv_id"]) in new.readme()
    new.push_edit(TYPO_OLD, TYPO_NEW)
    database = open_service_database(moved)
    try:
        third = approve(database, Reviewer(database, moved, clock=lambda: NOW), 2)
    finally:
        database.dispose()
    assert publish_once(moved).outcome == PUBLISHED
    assert third in new.readme() and TYPO_NEW in new.readme()


@pytest.mark.skipif(os.geteuid() != 0, reason="giving the clone to another user takes root")
def test_a_clone_that_belongs_to_another_user_says_what_to_do(tmp_path: Path) -> None:
    """The service's clone made by another user than the service's (`sudo digest publish` once, a volume from another
    image): git refuses to work in it, and every publish failed with "git remote failed: fatal: detected dubious
    ownership in repository at '.../clone'", which says nothing of what to do. The line now says whose it must be and
    that deleting it loses nothing; done so, the approval goes out."""
    import shutil
    import subprocess

    upstream = make_remote(tmp_path)
    settings = make_settings(tmp_path / "data", publish_config(upstream.url))
    one_approval_published(settings, upstream)
    clone = settings.data_dir / "publish" / "clone"
    subprocess.run(["chown", "-R", "nobody", str(clone)], check=True)
    database = open_service_database(settings)
    try:
        second = approve(database, Reviewer(database, settings, clock=lambda: NOW), 1)
    finally:
        database.dispose()
    result = publish_once(settings)
    assert result.outcome == FAILED and "dubious ownership" in result.message, result.message
    assert "another user" in result.message and "chown -R" in result.message and str(clone) in result.message
    assert "holds nothing the database does not" in result.message, result.message
    shutil.rmtree(clone)
    assert publish_once(settings).outcome == PUBLISHED
    assert second in upstream.readme()
