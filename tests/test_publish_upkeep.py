"""Publishing after a year of use: `digest publish` run while the service publishes, the list file renamed in the
repository, a refused token, a full disk. Each against a real bare repository, as a maintainer team meets it."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from digest import health
from digest.config import Settings
from digest.publish.publisher import BLOCKED, FAILED, PUBLISHED, UNCHANGED, Publisher, PublishResult
from digest.publish.runner import PublishRunner
from digest.review.reviewer import Reviewer
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.git_http import GitHttpServer, backend_path
from tests.git_remote import ANN, NOW, TYPO_NEW, TYPO_OLD, Remote, git, make_remote, publish_config
from tests.test_publish import approve, services
from tests.test_publish_recovery import db, remote, st  # noqa: F401  (fixtures)


def publish_once(settings: Settings) -> PublishResult:
    """What `digest publish` does once in a shell: its own connection, one publish."""
    database = open_service_database(settings)
    try:
        return Publisher(database, settings, clock=lambda: NOW).publish()
    finally:
        database.dispose()


def one_approval_published(settings: Settings, upstream: Remote) -> None:
    """A paper approved, then `digest publish` once in a shell: the publish goes through and the paper is upstream."""
    approved = approve_first(settings)
    result = publish_once(settings)
    assert result.outcome == PUBLISHED, result.message
    assert approved in upstream.readme()


def approve_first(settings: Settings) -> str:
    """The first real paper approved in the data folder of `settings` (its database opened and closed again), as a
    maintainer's decision before a publish; its arXiv ID."""
    database = open_service_database(settings)
    try:
        return approve(database, Reviewer(database, settings, clock=lambda: NOW), 0)
    finally:
        database.dispose()


def test_digest_publish_in_a_shell_while_the_service_publishes_loses_no_approval(
    remote: Remote,  # noqa: F811
    st: Settings,  # noqa: F811
    db: Database,  # noqa: F811  (fixtures)
) -> None:
    """A maintainer runs `digest publish` (its own process, its own connection) while the service publishes. Both
    worked in the one clone: the service's commit was taken over by the shell's checkout, so the service pushed the
    shell's older commit, said "Add 2 papers", and recorded the second paper as published; the next sync read it as
    taken out by hand and dropped it from the list. Now the second publish waits for the first."""
    reviewer, service = services(db, st)
    shell_database = open_service_database(st)
    shell = Publisher(shell_database, st, clock=lambda: NOW)
    first = approve(db, reviewer, 0)
    shell_read, go_shell, service_committing, go_service = (threading.Event() for _ in range(4))
    shell_commit = shell.git.commit
    service_run = service.git._run

    def commit_after_a_pause(*args: Any, **kwargs: Any) -> str:  # the shell has read the database, then is slow
        shell_read.set()
        go_shell.wait(10)
        return shell_commit(*args, **kwargs)

    def run_with_a_pause(*args: str, **kwargs: Any) -> Any:  # the service has committed, then is slow
        if args == ("rev-parse", "HEAD"):
            service_committing.set()
            go_service.wait(10)
        return service_run(*args, **kwargs)

    shell.git.commit = commit_after_a_pause  # type: ignore[method-assign]
    service.git._run = run_with_a_pause  # type: ignore[method-assign]
    results: dict[str, Any] = {}
    in_shell = threading.Thread(target=lambda: results.update(shell=shell.publish()))
    in_service = threading.Thread(target=lambda: results.update(service=service.publish()))
    try:
        in_shell.start()
        assert shell_read.wait(10)
        second = approve(db, reviewer, 1)  # approved on Discord while the shell's publish runs
        in_service.start()
        service_committing.wait(2)  # before the fix it commits now; after it, it waits for the shell's publish
        go_shell.set()
        in_shell.join(30)
        go_service.set()
        in_service.join(30)
    finally:
        go_shell.set()
        go_service.set()
        shell_database.dispose()
    assert results["shell"].outcome == PUBLISHED and results["service"].outcome == PUBLISHED
    assert service.publish().outcome == UNCHANGED
    readme = remote.readme()
    assert first in readme and second in readme, "an approval was lost"
    assert second in st.list_markdown_path.read_text(encoding="utf-8")
    assert remote.commits()[0].startswith("Add 1 paper: Steering CLIP"), remote.commits()


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


@pytest.mark.skipif(backend_path() is None, reason="git-http-backend is not installed")
@pytest.mark.parametrize("token", ["ghp_Expired00000000000000", None])
def test_a_refused_login_says_so_and_which_setting_to_check(
    token: str | None, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An expired token (or none) made git answer "could not read Username for '...': terminal prompts disabled":
    no word of the token, the login or what to do. Now the line says the login was refused and what to check."""
    make_remote(tmp_path)
    with GitHttpServer(tmp_path, "ghp_TheRightToken000000000") as server:
        environment = {"DIGEST_GIT_TOKEN": token} if token else {}
        settings = make_settings(tmp_path / "data", publish_config(server.url("remote.git")), environment)
        result = publish_once(settings)
    assert result.outcome == FAILED
    assert "Username" not in result.message and "terminal prompts" not in result.message, result.message
    expected = (
        "refused the login: check DIGEST_GIT_TOKEN" if token else "asks for a login: set DIGEST_GIT_TOKEN (https)"
    )
    assert result.message.startswith("git fetch from http://127.0.0.1:") and expected in result.message, result.message
    assert token is None or token not in caplog.text + result.message


def test_an_unreachable_ssh_remote_says_what_ssh_said(tmp_path: Path) -> None:
    """Over ssh, git's line ("Could not read from remote repository") came without ssh's own reason before it (the
    connection refused, the key refused): the maintainer could not tell a firewall from a key."""
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    key = tmp_path / "deploy_key"
    key.write_text("not used: the connection is refused first\n", encoding="utf-8")
    key.chmod(0o600)
    config = publish_config(f"ssh://git@127.0.0.1:{port}/owner/list.git")
    result = publish_once(make_settings(tmp_path / "data", config, {"DIGEST_GIT_SSH_KEY": str(key)}))
    assert result.outcome == FAILED
    assert f"ssh: connect to host 127.0.0.1 port {port}: Connection refused" in result.message, result.message


@pytest.mark.asyncio
async def test_a_full_disk_while_the_service_publishes_is_a_failure_it_comes_back_from(
    remote: Remote,  # noqa: F811
    st: Settings,  # noqa: F811
    db: Database,  # noqa: F811  (fixtures)
) -> None:
    """The disk filled up while the service merged a hand edit with an approval: the OSError ended the service's
    publishing loop for good (nothing in /healthz, nothing published until a restart, the error thrown at stop).
    Now it is a failure with one line, on /healthz and retried with back-off; freed, the next try publishes."""
    runner = PublishRunner(db, st)
    reviewer = Reviewer(db, st, clock=lambda: NOW)
    reviewer.add_listener(runner.on_decision)
    await runner.start()
    try:
        remote.push_edit(TYPO_OLD, TYPO_NEW)
        merge = st.data_dir / "publish" / "merge"
        merge.mkdir(parents=True, exist_ok=True)
        (merge / "ours").symlink_to("/dev/full")  # writing there fails as on a full disk (ENOSPC)
        arxiv_id = str(real_papers()[0]["arxiv_id"])
        await reviewer.decide_async(insert_candidate(db, real_papers()[0]), "approve", ANN)
        for _ in range(200):
            failing = [c for c in health.components() if c.name == "publish" and not c.ok]
            if failing:
                break
            await asyncio.sleep(0.1)
        assert failing, "the failure never reached /healthz"
        assert "No space left on device" in failing[0].message and "free space" in failing[0].message
        assert runner.failures == 1  # the loop lives on, its next attempt on the back-off
    finally:
        await runner.stop()
    (merge / "ours").unlink()  # space freed: the next try (here `digest publish`) publishes both
    assert Publisher(db, st, clock=lambda: NOW).publish().outcome == PUBLISHED
    assert arxiv_id in remote.readme() and TYPO_NEW in remote.readme()


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


@pytest.mark.asyncio
async def test_the_service_stops_at_once_while_digest_publish_holds_the_clone_and_publishes_after_it(
    remote: Remote,  # noqa: F811
    st: Settings,  # noqa: F811
    db: Database,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A maintainer's `digest publish` holds the clone (a slow push) when an approval comes in: the service's publish
    thread blocked on the clone's lock, so stopping the service (SIGTERM, an upgrade) hung until the shell's publish
    ended. Now the service looks again a few seconds later, stops at once meanwhile, and publishes once it is free."""
    from digest.publish import runner as runner_module
    from digest.storage.files import held_for_writing

    monkeypatch.setattr(runner_module, "BUSY_SECONDS", 0.1)
    runner = PublishRunner(db, st)
    reviewer = Reviewer(db, st, clock=lambda: NOW)
    reviewer.add_listener(runner.on_decision)
    arxiv_id = str(real_papers()[0]["arxiv_id"])
    try:
        with held_for_writing(runner.publisher.git.folder):  # what the shell's `digest publish` holds meanwhile
            await runner.start()
            await reviewer.decide_async(insert_candidate(db, real_papers()[0]), "approve", ANN)
            await asyncio.sleep(1.0)  # the runner's publish meets the held clone, perhaps more than once
            assert arxiv_id not in remote.readme()
            began = asyncio.get_running_loop().time()
            await asyncio.wait_for(runner.stop(), 5)  # before: blocked in flock until the shell's publish ended
            assert asyncio.get_running_loop().time() - began < 5
        runner = PublishRunner(db, st)  # the service started again, the clone free
        await runner.start()
        for _ in range(200):
            if arxiv_id in remote.readme():
                break
            await asyncio.sleep(0.1)
    finally:
        await runner.stop()
    assert arxiv_id in remote.readme()


@pytest.mark.asyncio
async def test_the_service_publishes_soon_after_digest_publish_frees_the_clone_not_a_batch_window_later(
    remote: Remote,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """After finding the clone held, the service waited the whole batch window again (a minute by default) on top of
    the few seconds the README promises."""
    import logging

    from digest.publish import runner as runner_module
    from digest.storage.files import held_for_writing

    monkeypatch.setattr(runner_module, "BUSY_SECONDS", 0.1)
    settings = make_settings(tmp_path / "batched", publish_config(remote.url, batch_seconds=8.0))
    database = open_service_database(settings)
    runner = PublishRunner(database, settings)
    reviewer = Reviewer(database, settings, clock=lambda: NOW)
    reviewer.add_listener(runner.on_decision)
    arxiv_id = str(real_papers()[0]["arxiv_id"])
    try:
        await runner.start()
        with caplog.at_level(logging.INFO, logger="digest.publish"):
            with held_for_writing(runner.publisher.git.folder):  # a `digest publish` in a shell meanwhile
                await reviewer.decide_async(insert_candidate(database, real_papers()[0]), "approve", ANN)
                for _ in range(200):  # the batch window (8 s), then the clone found held
                    if "another process is publishing" in caplog.text:
                        break
                    await asyncio.sleep(0.1)
                assert "another process is publishing" in caplog.text
            freed = asyncio.get_running_loop().time()
            while arxiv_id not in remote.readme() and asyncio.get_running_loop().time() - freed < 20:
                await asyncio.sleep(0.1)
            took = asyncio.get_running_loop().time() - freed
    finally:
        await runner.stop()
        database.dispose()
    assert arxiv_id in remote.readme()
    assert took < 6, f"published {took:.1f} s after the clone was free"  # before: the 8 s window once more


# An ssh for git on loopback: it refuses a key file it cannot read (as ssh does: "not accessible", then the server
# refuses the login), else runs git's remote command on this machine, where the ssh URL's path is the bare repository.
STAND_IN_SSH = r"""#!/bin/sh
key=""
while [ $# -gt 1 ]; do
  case "$1" in
    -i) key="$2"; shift 2 ;;
    -o|-p|-l) shift 2 ;;
    -*) shift ;;
    *) break ;;
  esac
done
shift
if [ -z "$key" ] || [ ! -r "$key" ]; then
  echo "Warning: Identity file $key not accessible: No such file or directory." >&2
  echo "git@localhost: Permission denied (publickey)." >&2
  exit 255
fi
exec sh -c "$*"
"""


def test_a_relative_ssh_key_path_is_found_by_ssh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """DIGEST_GIT_SSH_KEY=deploy_key in .env, beside the config: `config check` found the file, but git runs ssh in
    the service's clone, where `-i deploy_key` names nothing; every publish failed with "the repository refused the
    login: check that DIGEST_GIT_SSH_KEY is a key it accepts". Now the path is read from the working folder, as
    `config check` reads it, and the publish goes through."""
    upstream = make_remote(tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "ssh").write_text(STAND_IN_SSH, encoding="utf-8")
    (bin_dir / "ssh").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    (tmp_path / "deploy_key").write_text("a key the stand-in only reads\n", encoding="utf-8")
    (tmp_path / "deploy_key").chmod(0o600)
    monkeypatch.chdir(tmp_path)
    config = publish_config(f"ssh://git@localhost{upstream.bare}")
    settings = make_settings(tmp_path / "data", config, {"DIGEST_GIT_SSH_KEY": "deploy_key"})
    one_approval_published(settings, upstream)


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
        assert "has no branch" in result.message and "--accept-upstream" in result.message, result.message
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


def fake_ssh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch | None, script: str) -> Path:
    """A folder holding an executable `ssh` running `script` (standing in for a forge's ssh endpoint or for ssh
    itself), put first on PATH when `monkeypatch` is given; the folder, for a test that builds its own PATH."""
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "ssh").write_text(script)
    (tools / "ssh").chmod(0o755)
    if monkeypatch is not None:
        monkeypatch.setenv("PATH", f"{tools}:/usr/bin:/bin")
    return tools


def test_a_push_refused_by_a_read_only_deploy_key_says_what_the_forge_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deploy key added without 'Allow write access' (GitHub's default) reads the repository and may not push:
    GitHub's ssh endpoint says so in a line of its own ('ERROR: The key you are authenticating with has been marked as
    read only.'), which the line left out for git's 'fatal: Could not read from remote repository.' alone, so the
    maintainer could not tell it from a wrong address. The forge's words are kept. (`ssh` here stands for GitHub's
    endpoint: it runs the git command asked for on this machine, and refuses pushes as GitHub does for such a key.)"""
    upstream = make_remote(tmp_path)
    fake_ssh(
        tmp_path,
        monkeypatch,
        '#!/bin/sh\nfor last; do :; done\ncase "$last" in\n'
        "  git-receive-pack*) echo 'ERROR: The key you are authenticating with has been marked as read only.' >&2;"
        ' exit 1;;\n  *) exec sh -c "$last";;\nesac\n',
    )
    settings = make_settings(tmp_path / "data", publish_config(f"github.example:{upstream.bare}"))
    approve_first(settings)
    result = publish_once(settings)
    assert result.outcome == FAILED, result.message
    assert "marked as read only" in result.message, result.message


def test_a_token_given_for_an_ssh_address_is_not_blamed_for_the_refused_login(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """publish.repository set to the ssh address a forge's page offers first (git@github.com:o/l.git) and the token
    in DIGEST_GIT_TOKEN, which git sends over https alone: ssh found no key and every publish said 'the repository
    refused the login: check DIGEST_GIT_TOKEN (expired, revoked, ...)', so the maintainer made new tokens in vain.
    The line now says the token goes with an https:// address and what to set. (`ssh` here answers as an ssh server
    refusing every key does.)"""
    upstream = make_remote(tmp_path)
    fake_ssh(
        tmp_path, monkeypatch, "#!/bin/sh\necho 'git@github.example: Permission denied (publickey).' >&2\nexit 255\n"
    )
    token = "ghp_NeverSentOverSsh0000000000"
    config = publish_config(f"git@github.example:{upstream.bare}")
    result = publish_once(make_settings(tmp_path / "data", config, {"DIGEST_GIT_TOKEN": token}))
    assert result.outcome == FAILED, result.message
    assert "check DIGEST_GIT_TOKEN" not in result.message and token not in result.message, result.message
    assert "https://" in result.message and "DIGEST_GIT_SSH_KEY" in result.message, result.message


@pytest.mark.skipif(backend_path() is None, reason="git-http-backend is not installed")
def test_an_ssh_key_given_for_an_https_address_is_named_as_unsent(tmp_path: Path) -> None:
    """The inverse: DIGEST_GIT_SSH_KEY set with publish.repository an https address, where git sends no key: every
    publish said 'the repository asks for a login: set DIGEST_GIT_TOKEN (https) or DIGEST_GIT_SSH_KEY (ssh)', the
    key it named as missing being set. The line now says the key goes with an ssh address and what to set."""
    make_remote(tmp_path)
    key = tmp_path / "deploy_key"
    key.write_text("a key\n", encoding="utf-8")
    key.chmod(0o600)
    with GitHttpServer(tmp_path, "ghp_TheRightToken000000000") as server:
        config = publish_config(server.url("remote.git"))
        result = publish_once(make_settings(tmp_path / "data", config, {"DIGEST_GIT_SSH_KEY": str(key)}))
    assert result.outcome == FAILED, result.message
    assert "DIGEST_GIT_SSH_KEY goes with an ssh address alone" in result.message, result.message
    assert "DIGEST_GIT_TOKEN" in result.message, result.message


@pytest.mark.skipif(backend_path() is None, reason="git-http-backend is not installed")
def test_a_repository_not_found_with_a_token_names_the_tokens_access(tmp_path: Path) -> None:
    """A forge answers 'Repository not found' (404) for a private repository the token may not read (a fine-grained
    token made for other repositories): the line said 'fatal: repository ... not found' alone, and the maintainer
    checked an address that was right. With a token set, the line says the token's access may be why."""
    make_remote(tmp_path)
    token = "ghp_TheRightToken000000000"
    with GitHttpServer(tmp_path, token) as server:
        config = publish_config(server.url("hidden.git"))
        result = publish_once(make_settings(tmp_path / "data", config, {"DIGEST_GIT_TOKEN": token}))
    assert result.outcome == FAILED and "not found" in result.message, result.message
    assert "DIGEST_GIT_TOKEN" in result.message and token not in result.message, result.message


def test_a_changed_host_key_is_not_advised_away_as_an_unknown_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The forge's ssh host key changed (GitHub replaced its RSA key in 2023), or someone sits in between: ssh refuses
    with 'REMOTE HOST IDENTIFICATION HAS CHANGED', and the line advised as for an unknown host, to add the key to
    known_hosts with ssh-keyscan: that leaves the old key in the way, and adds an attacker's without a look. It now
    says the key changed, which line holds the old one, and to check the forge's announced key before replacing it.
    (`ssh` here says what ssh says on meeting a changed host key.)"""
    upstream = make_remote(tmp_path)
    warning = [
        "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
        "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @",
        "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
        "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!",
        "Someone could be eavesdropping on you right now (man-in-the-middle attack)!",
        "It is also possible that a host key has just been changed.",
        "The fingerprint for the RSA key sent by the remote host is",
        "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s.",
        "Please contact your system administrator.",
        "Add correct host key in /home/digest/.ssh/known_hosts to get rid of this message.",
        "Offending RSA key in /home/digest/.ssh/known_hosts:3",
        "  remove with:",
        '  ssh-keygen -f "/home/digest/.ssh/known_hosts" -R "github.example"',
        "Host key for github.example has changed and you have requested strict checking.",
        "Host key verification failed.",
    ]
    said = "".join(f"echo '{line}' >&2\n" for line in warning)
    fake_ssh(tmp_path, monkeypatch, f"#!/bin/sh\n{said}exit 255\n")
    result = publish_once(make_settings(tmp_path / "data", publish_config(f"git@github.example:{upstream.bare}")))
    assert result.outcome == FAILED, result.message
    assert "ssh-keyscan" not in result.message and "changed" in result.message, result.message
    assert "/home/digest/.ssh/known_hosts:3" in result.message and "ssh-keygen -R" in result.message, result.message


@pytest.mark.skipif(not Path("/usr/bin/script").is_file(), reason="util-linux script (a terminal to run in) is missing")
def test_ssh_asks_nothing_on_the_terminal_running_digest(tmp_path: Path) -> None:
    """`digest run` (or `digest publish`) in a terminal, publishing over ssh to a host ssh did not know yet: ssh asked
    'Are you sure you want to continue connecting (yes/no)?' on that terminal, in the middle of the service's log, and
    the publish hung there until git's time limit, then blamed a slow remote. git itself asks nothing (its prompts are
    off); ssh now has no terminal either, and the publish fails at once with ssh's reason and what to do. (`ssh` here
    asks as ssh does, on the terminal, when there is one.)"""
    import shlex
    import subprocess
    import sys

    upstream = make_remote(tmp_path)
    tools = fake_ssh(
        tmp_path,
        None,
        "#!/bin/sh\nif (exec 3</dev/tty) 2>/dev/null; then\n"
        "  printf 'Are you sure you want to continue connecting (yes/no/[fingerprint])? ' >/dev/tty\n"
        "  read answer </dev/tty\nfi\necho 'Host key verification failed.' >&2\nexit 255\n",
    )
    config = tmp_path / "config.toml"
    config.write_text(publish_config(f"git@github.example:{upstream.bare}"), encoding="utf-8")
    settings = make_settings(tmp_path / "data", publish_config(f"git@github.example:{upstream.bare}"))
    approve_first(settings)
    command = [sys.executable, "-m", "digest", "--config", str(config), "--data-dir", str(settings.data_dir), "publish"]
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "GIT_"))}
    environment["PATH"] = f"{tools}:/usr/bin:/bin"
    done = subprocess.run(
        ["/usr/bin/script", "-qec", shlex.join(command), "/dev/null"],
        input="",
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )
    assert "Are you sure you want to continue connecting" not in done.stdout, done.stdout
    assert done.returncode == 1 and "Host key verification failed" in done.stdout, done.stdout
