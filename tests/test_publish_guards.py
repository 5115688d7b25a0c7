"""Publishing as maintainers meet it over years, against a real bare repository: a maintainer who commits under the
service's identity, a protected branch, a mass removal upstream. Each as a maintainer would see it."""

from __future__ import annotations

import asyncio
import logging
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from digest.cli import main
from digest.config import Settings
from digest.config.invocation import same_invocation
from digest.publish import rules
from digest.publish import runner as runner_module
from digest.publish.publisher import BLOCKED, PUBLISHED, UNCHANGED
from digest.publish.store import read_status
from digest.service.wiring import open_service_database
from tests import waiting
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.git_http import GitHttpServer
from tests.git_remote import ANN, AUTHOR_ENV, TYPO_NEW, TYPO_OLD, Remote, git, publish_config
from tests.printed import printed_command
from tests.publishing import approve, back_up, push_bytes, restore, running_publisher, services
from tests.publishing import remote as remote  # the fixture

MAINTAINER = f"{AUTHOR_ENV['GIT_AUTHOR_NAME']} <{AUTHOR_ENV['GIT_AUTHOR_EMAIL']}>"


BOT = "digest bot <bot@example.org>"
HELD_LOOKS = 6  # how many looks at the branch upstream a held publish is watched for: its first and five checks


def looks(paths: list[str]) -> list[str]:
    """The requests of a look at the branch upstream (ls-remote) or a fetch, as the forge saw them."""
    return [path for path in paths if path.endswith("/info/refs?service=git-upload-pack")]


def pushes(paths: list[str]) -> list[str]:
    return [path for path in paths if path.endswith("/info/refs?service=git-receive-pack")]


def after_the_push(paths: list[str]) -> list[str]:
    """The requests the forge saw after the first push began ([] before it)."""
    first = pushes(paths)[:1]
    return paths[paths.index(first[0]) + 1 :] if first else []


def settings_for(tmp_path: Path, remote: Remote, author: str = BOT, extra: str = "") -> Settings:
    config = publish_config(remote.url).replace(BOT, author) + extra
    return make_settings(tmp_path / "data", config)


# 1 ------------------------------------------------------------------------------------------------------------------
def test_a_maintainers_commit_under_the_services_identity_is_not_taken_for_its_publish(
    tmp_path: Path, remote: Remote
) -> None:
    """The service's author set to the maintainer's own identity (as many do), and the maintainer pushed the list
    with the pending paper by hand: `digest publish --status` named the maintainer's commit as the service's last
    publish. Now the service knows its own commits by a trailer it writes, not by who authored them."""
    settings = settings_for(tmp_path, remote, author=MAINTAINER)
    database = open_service_database(settings)
    try:
        reviewer, publisher = services(database, settings)
        approve(database, reviewer, 0)
        push_bytes(remote, settings.list_markdown_path.read_bytes(), "Add the paper by hand")
        assert publisher.publish().outcome == UNCHANGED
        status = read_status(database, settings.templates_dir)
        assert status.published_commit is None, "the maintainer's commit was taken for the service's publish"
        assert status.pending == []
    finally:
        database.dispose()


def test_a_publish_killed_after_its_push_is_known_as_its_own_after_the_author_setting_changed(
    tmp_path: Path, remote: Remote
) -> None:
    """A publish stopped after its push, before it was recorded, and the `author` setting changed before the restart:
    the service's own commit was no longer recognised, so `publish --status` never showed it as published."""
    settings = settings_for(tmp_path, remote)
    database = open_service_database(settings)
    backup = tmp_path / "before-push.sqlite3"
    try:
        reviewer, publisher = services(database, settings)
        approve(database, reviewer, 0)
        back_up(settings, backup)
        pushed = publisher.publish()
        assert pushed.outcome == PUBLISHED
    finally:
        database.dispose()
    restore(settings, backup)  # the state as a kill between the push and its record leaves it
    renamed = settings_for(tmp_path, remote, author="List Bot <list-bot@example.org>")
    database = open_service_database(renamed)
    try:
        _reviewer, restarted = services(database, renamed)
        assert restarted.publish().outcome == UNCHANGED
        status = read_status(database, renamed.templates_dir)
        assert status.published_commit == pushed.commit and status.pending == []
    finally:
        database.dispose()


def test_a_publish_killed_after_its_push_is_not_named_again_as_a_move_by_the_next(
    tmp_path: Path, remote: Remote
) -> None:
    """A publish stopped after its push, before it was recorded, then another approval: the next commit added the new
    paper alone, yet its message said 'Move 1 paper: <the paper pushed before> (Sparse Autoencoder)', a paper that
    stayed where it was. The message now names what the commit changes: the new paper, added."""
    settings = settings_for(tmp_path, remote)
    database = open_service_database(settings)
    backup = tmp_path / "before-push.sqlite3"
    try:
        reviewer, publisher = services(database, settings)
        pushed_before = approve(database, reviewer, 0)
        back_up(settings, backup)
        assert publisher.publish().outcome == PUBLISHED
    finally:
        database.dispose()
    restore(settings, backup)  # the state as a kill between the push and its record leaves it
    database = open_service_database(settings)
    try:
        reviewer, restarted = services(database, settings)
        added = approve(database, reviewer, 1)
        assert restarted.publish().outcome == PUBLISHED
    finally:
        database.dispose()
    message = remote.message_of_head()
    assert message.startswith("Add 1 paper: Steering CLIP"), message
    assert "Move" not in message and "move" not in message and pushed_before not in message, message
    assert added in message and remote.readme().count(f"https://arxiv.org/abs/{pushed_before}) (") == 1


# 2 ------------------------------------------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_a_protected_branch_is_said_once_and_not_pushed_to_again_until_the_branch_moves(
    tmp_path: Path, remote: Remote, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The repository refuses the service's push (branch protection, a pre-receive hook): the service pushed again
    and again, forever (30 s doubling to an hour), each a new error. Now one line says why and what to do, and the
    service holds until the branch moves upstream (or it restarts, or `digest publish` is run)."""
    monkeypatch.setattr(rules, "BACKOFF_START", timedelta(seconds=0.2))  # the back-off as fast as a test can wait
    monkeypatch.setattr(runner_module, "HELD_CHECK_SECONDS", 0.3)
    attempts = tmp_path / "attempts"
    hook = remote.bare / "hooks" / "pre-receive"
    hook.write_text(
        f"#!/bin/sh\necho push >> {attempts}\n"
        "echo 'GH006: Protected branch update failed for refs/heads/main.' >&2; exit 1\n"
    )
    hook.chmod(0o755)
    with GitHttpServer(remote.bare.parent, None) as forge:  # the repository as a forge serves it: it sees each look
        settings = make_settings(tmp_path / "data", publish_config(forge.url(remote.bare.name)))
        async with running_publisher(settings) as (database, reviewer, _runner):
            arxiv_id = str(real_papers()[0]["arxiv_id"])
            with caplog.at_level(logging.ERROR, logger="digest.publish"):
                await reviewer.decide_async(insert_candidate(database, real_papers()[0]), "approve", ANN)
                await waiting.until(lambda: "publish: held: " in caplog.text, "the refused push held")
            # The hold looks at the branch upstream once, then at each check: a hold that let go at one of its first
            # checks would have pushed again (and held again, looking) by then.
            await waiting.until(lambda: len(looks(after_the_push(forge.paths))) >= HELD_LOOKS, "the hold's looks")
            assert attempts.read_text().count("push") == 1, "the refused push was tried again with nothing changed"
            assert not pushes(after_the_push(forge.paths)), "the refused push was tried again with nothing changed"
            status = read_status(database, settings.templates_dir)
            assert "Protected branch" in (status.last_error or "") and same_invocation(settings, "publish") in (
                status.last_error or ""
            )
            assert len(status.pending) == 1
            hook.unlink()  # the maintainers let the service push, and the branch moves
            remote.push_edit(TYPO_OLD, TYPO_NEW)
            await waiting.until(lambda: arxiv_id in remote.readme(), "the paper pushed once the branch moved", 10.0)
    assert arxiv_id in remote.readme() and TYPO_NEW in remote.readme()


@pytest.mark.asyncio
async def test_a_branch_the_repository_could_not_update_just_then_is_tried_again(
    tmp_path: Path, remote: Remote, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The repository could not lock its branch at the moment of the push ('cannot lock ref': another push under way
    there, a lock its own crashed process left): the service took it for a refusal, said to let its account push
    there (it may) and held until the branch moved upstream, so the approval waited for someone's next commit. It is
    now tried again with the back-off, and goes out once the branch is free."""
    monkeypatch.setattr(rules, "BACKOFF_START", timedelta(seconds=0.2))
    monkeypatch.setattr(runner_module, "HELD_CHECK_SECONDS", 600.0)
    lock = remote.bare / "refs" / "heads" / "main.lock"
    lock.write_text("a push under way\n")
    settings = settings_for(tmp_path, remote)
    async with running_publisher(settings) as (database, reviewer, _runner):
        arxiv_id = str(real_papers()[0]["arxiv_id"])
        await reviewer.decide_async(insert_candidate(database, real_papers()[0]), "approve", ANN)
        for _ in range(300):
            if read_status(database, settings.templates_dir).last_error:
                break
            await asyncio.sleep(0.1)
        said = read_status(database, settings.templates_dir).last_error or ""
        assert "cannot lock ref" in said and "let the service's account push" not in said, said
        lock.unlink()
        for _ in range(300):  # a loaded machine: the back-off is short, a publish not
            if arxiv_id in remote.readme():
                break
            await asyncio.sleep(0.1)
    assert arxiv_id in remote.readme()


# 3 ------------------------------------------------------------------------------------------------------------------
def without_entries_of(text: str, headings: tuple[str, ...]) -> str:
    """The list with every entry of the named sections deleted (their headings kept), as a bad commit would."""
    kept, dropping = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith("#"):
            dropping = any(heading in line for heading in headings)
        elif dropping and (line.startswith("+ ") or line.startswith("   ")):
            continue
        kept.append(line)
    return "".join(kept)


def test_an_upstream_commit_that_deletes_most_entries_is_held_for_a_maintainer(
    tmp_path: Path, remote: Remote, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commit on the list's repository deleted most of the README's entries (a bad merge, an editor that truncated
    the file): the next publish pulled it in and removed them from the database, and pushed on top. Now such an edit
    is held with one line saying what it removes and what to run; `digest publish --accept-upstream` takes it, run as
    printed from another folder (the service's own invocation: the bare command there acted on ./data)."""
    settings = settings_for(tmp_path, remote)
    database = open_service_database(settings)
    try:
        reviewer, publisher = services(database, settings)
        assert publisher.publish().outcome == UNCHANGED  # the first sync
        arxiv_id = approve(database, reviewer, 0)
        ours = settings.list_markdown_path.read_bytes()
        gutted = without_entries_of(remote.readme(), ("Probing", "Representation", "Neuron Analysis"))
        push_bytes(remote, gutted.encode("utf-8"), "Oops")
        held = publisher.publish()
        assert held.outcome == BLOCKED and held.held
        status = read_status(database, settings.templates_dir)
        accept = same_invocation(settings, "publish", "--accept-upstream")
        assert f"`{accept}`" in (status.last_error or ""), status.last_error
        assert remote.commits()[0] == "Oops" and len(status.pending) == 1
        assert settings.list_markdown_path.read_bytes() == ours  # the database holds every entry still
    finally:
        database.dispose()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(printed_command(status.last_error or "", "publish")[1:]) == 0, capsys.readouterr()
    readme = remote.readme()
    assert arxiv_id in readme and "Oops" in remote.commits()
    assert readme.count("arxiv.org/abs/") == gutted.count("arxiv.org/abs/") + ours.decode().count(f"abs/{arxiv_id}")


def test_a_dry_run_says_a_mass_removal_upstream_would_be_held(
    tmp_path: Path, remote: Remote, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest publish --dry-run` over a commit upstream that deleted most entries printed a one-paper diff and "nothing
    was pushed" (exit 0), while the real run holds: the maintainer checking first was told all was well. Now the dry
    run says it would be held, in the same line, and exits 1."""
    settings = settings_for(tmp_path, remote)
    database = open_service_database(settings)
    try:
        reviewer, publisher = services(database, settings)
        assert publisher.publish().outcome == UNCHANGED  # the first sync
        approve(database, reviewer, 0)
        gutted = without_entries_of(remote.readme(), ("Probing", "Representation", "Neuron Analysis"))
        push_bytes(remote, gutted.encode("utf-8"), "Oops")
    finally:
        database.dispose()
    options = ["--config", str(tmp_path / "data-config.toml"), "--data-dir", str(settings.data_dir)]
    capsys.readouterr()
    assert main([*options, "publish", "--dry-run"]) == 1
    err = capsys.readouterr().err
    accept = same_invocation(settings, "publish", "--accept-upstream")
    assert f"`{accept}`" in err and err.count("\n") == 1, err
    assert main([*options, "publish", "--dry-run", "--accept-upstream"]) == 0
    assert remote.commits()[0] == "Oops"


# More of the same kind ----------------------------------------------------------------------------------------------
def test_a_clone_left_without_its_remote_by_a_killed_first_publish_publishes_again(
    tmp_path: Path, remote: Remote
) -> None:
    """The first publish was killed between `git init` and `git remote add` of the service's clone: every publish
    after it failed with "git remote failed: error: No such remote 'origin'", retried for ever, until someone found
    and deleted data/publish/clone by hand. Now the clone gets its remote and the publish goes through."""
    settings = settings_for(tmp_path, remote)
    clone = settings.data_dir / "publish" / "clone"
    clone.mkdir(parents=True)
    git(clone, "init", "--quiet")  # what the killed first publish left
    database = open_service_database(settings)
    try:
        reviewer, publisher = services(database, settings)
        arxiv_id = approve(database, reviewer, 0)
        result = publisher.publish()
        assert result.outcome == PUBLISHED, result.message
    finally:
        database.dispose()
    assert arxiv_id in remote.readme()


def test_a_broken_clone_inside_a_maintainers_checkout_never_touches_that_checkout(remote: Remote) -> None:
    """The service run from inside the maintainer's own checkout of the list (its data folder there), and the clone's
    .git left empty (a process killed in `git init`, a full disk): git looked past it and ran the service's commands
    in the maintainer's checkout, re-pointing its origin and force-checking-out over its files. Now git never looks
    above the service's clone, which is made again."""
    settings = make_settings(remote.work / "data", publish_config(remote.url))
    (remote.work / "notes.txt").write_text("work in progress\n", encoding="utf-8")
    git(remote.work, "add", "notes.txt")  # staged, not committed: what a forced checkout would throw away
    clone = settings.data_dir / "publish" / "clone"
    (clone / ".git").mkdir(parents=True)
    database = open_service_database(settings)
    try:
        reviewer, publisher = services(database, settings)
        arxiv_id = approve(database, reviewer, 0)
        result = publisher.publish()
    finally:
        database.dispose()
    assert git(remote.work, "remote", "get-url", "origin").strip() == remote.url
    assert "digest-publish" not in git(remote.work, "branch", "--list")
    assert "notes.txt" in git(remote.work, "diff", "--cached", "--name-only")
    assert result.outcome == PUBLISHED, result.message
    assert arxiv_id in remote.readme()


def test_the_maintainers_own_git_settings_do_not_stop_the_service_publishing(
    tmp_path: Path, remote: Remote, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A maintainer whose ~/.gitconfig signs every commit (commit.gpgsign) or push (push.gpgSign: the remote then
    refused with 'the receiving end does not support --signed push') and runs their own hooks (core.hooksPath,
    a pre-push that refuses pushes outside their work) ran `digest publish` or the service from their shell: the
    service's clone took those settings, its commit asked gpg to sign and failed, or its push ran their hook, and
    every approval stayed unpublished. The service's clone is its own: it signs nothing and runs no hooks."""
    home = tmp_path / "home"
    hooks = home / "hooks"
    hooks.mkdir(parents=True)
    for hook in ("pre-push", "post-checkout", "post-merge"):  # the client's side (a file:// remote's own side is local)
        (hooks / hook).write_text("#!/bin/sh\necho refused by the maintainer's own hook >&2\nexit 1\n")
        (hooks / hook).chmod(0o755)
    (home / ".gitconfig").write_text(
        f"[commit]\n\tgpgsign = true\n[gpg]\n\tprogram = /bin/false\n[core]\n\thooksPath = {hooks}\n"
        "[push]\n\tgpgSign = true\n"  # a signed push, which the remote (GitHub, a bare one) does not take
    )
    monkeypatch.setenv("HOME", str(home))
    settings = settings_for(tmp_path, remote)
    database = open_service_database(settings)
    try:
        reviewer, publisher = services(database, settings)
        arxiv_id = approve(database, reviewer, 0)
        result = publisher.publish()
        assert result.outcome == PUBLISHED, result.message
    finally:
        database.dispose()
    assert arxiv_id in remote.readme()


@pytest.mark.parametrize(
    ("damaged", "written"),
    [("index", b"garbage\x00\x01"), ("HEAD", b"garbage\n"), ("config", b"[core\n\x00"), ("index", b"")],
)
def test_a_clone_git_can_no_longer_read_is_set_aside_and_made_again(
    tmp_path: Path, remote: Remote, damaged: str, written: bytes
) -> None:
    """A crash or a full disk left the service's clone with a garbage index, HEAD or config: every publish after it
    failed ('index file smaller than expected', 'not a git repository', 'bad config line 1'), retried for ever until
    someone deleted data/publish/clone by hand. The clone holds nothing the database does not: it is set aside as
    clone.damaged and made again, and the approval goes out."""
    settings = settings_for(tmp_path, remote)
    database = open_service_database(settings)
    try:
        reviewer, publisher = services(database, settings)
        first = approve(database, reviewer, 0)
        assert publisher.publish().outcome == PUBLISHED
        clone = settings.data_dir / "publish" / "clone"
        (clone / ".git" / damaged).write_bytes(written)
        second = approve(database, reviewer, 2)
        result = publisher.publish()
        assert result.outcome == PUBLISHED, result.message
    finally:
        database.dispose()
    assert first in remote.readme() and second in remote.readme()
    assert (clone.parent / "clone.damaged" / ".git" / damaged).read_bytes() == written  # kept for a look


@pytest.mark.parametrize(
    "gitconfig",
    [
        "[core]\n\tautocrlf = true\n\tsafecrlf = true\n",
        "[core]\n\tautocrlf = input\n\tsafecrlf = true\n",
        "[core]\n\teol = crlf\n\tsafecrlf = true\n[core]\n\tautocrlf = false\n",
    ],
)
def test_the_maintainers_line_end_settings_neither_stop_publishing_nor_change_the_files_bytes(
    tmp_path: Path, remote: Remote, monkeypatch: pytest.MonkeyPatch, gitconfig: str
) -> None:
    """A maintainer on Windows habits (core.autocrlf with core.safecrlf, as guides advise) ran `digest publish` or the
    service from their shell: the service's clone took those settings, and git refused to commit the list it wrote
    ('LF would be replaced by CRLF'), or turned the line ends of a file kept in CRLF, so every line changed. The
    service's clone takes the file's bytes as they are."""
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text(gitconfig)
    monkeypatch.setenv("HOME", str(home))
    settings = settings_for(tmp_path, remote)
    database = open_service_database(settings)
    try:
        reviewer, publisher = services(database, settings)
        first = approve(database, reviewer, 0)
        result = publisher.publish()
        assert result.outcome == PUBLISHED, result.message
        assert b"\r" not in git_bytes(remote, "main:README.md")
        crlf = remote.readme().replace("\n", "\r\n").encode()
        push_bytes(remote, crlf, "Saved on Windows")
        second = approve(database, reviewer, 1)
        result = publisher.publish()
        assert result.outcome == PUBLISHED, result.message
    finally:
        database.dispose()
    data = git_bytes(remote, "main:README.md")
    assert first.encode() in data and second.encode() in data
    assert data.count(b"\n") == data.count(b"\r\n")  # the CRLF file kept its line ends, the new entry's too
    stat = git(remote.bare, "show", "--format=", "--numstat", "main")
    assert stat.split()[1] == "0", stat  # lines added, none taken out


def git_bytes(remote: Remote, spec: str) -> bytes:
    return subprocess.run(["git", "show", spec], cwd=remote.bare, capture_output=True, check=True).stdout
