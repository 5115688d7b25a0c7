"""Pull-request mode: approvals pushed to a branch of the service's own and one pull request opened or updated
through a protocol-level fake of GitHub's REST API, against a real bare git remote."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from digest import health
from digest.config import Settings
from digest.publish.publisher import BLOCKED, FAILED, PUBLISHED, UNCHANGED, Publisher
from digest.publish.pull_publisher import PullRequestPublisher, publisher_for
from digest.publish.store import read_status
from digest.review.reviewer import Reviewer
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.fake_forge import FakeForge
from tests.git_remote import ANN, NOW, TYPO_NEW, TYPO_OLD, Remote, git, make_remote, publish_config

TOKEN = "ghp_PullRequestToken0987654321"
FIRST, SECOND = "awesome-digest/updates-1", "awesome-digest/updates-2"


@pytest.fixture
def remote(tmp_path: Path) -> Remote:
    return make_remote(tmp_path)


@pytest.fixture
def forge(remote: Remote) -> Iterator[FakeForge]:
    # A file:// remote's owner/name are its last two path parts: <tmp_path>/remote.git.
    with FakeForge(remote.bare.parent.name, "remote", TOKEN) as fake:
        yield fake


def pull_config(remote: Remote, forge: FakeForge) -> str:
    return publish_config(remote.url) + f'mode = "pull-request"\napi_url = "{forge.url}"\n'


@pytest.fixture
def settings(tmp_path: Path, remote: Remote, forge: FakeForge) -> Settings:
    return make_settings(tmp_path / "data", pull_config(remote, forge), {"DIGEST_GIT_TOKEN": TOKEN})


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    database = open_service_database(settings)
    yield database
    database.dispose()


def services(database: Database, settings: Settings) -> tuple[Reviewer, Publisher]:
    publisher = publisher_for(database, settings, clock=lambda: NOW)
    assert isinstance(publisher, PullRequestPublisher)
    publisher.remember_base()
    return Reviewer(database, settings, clock=lambda: NOW), publisher


def approve(database: Database, reviewer: Reviewer, index: int, **overrides: object) -> str:
    paper = real_papers()[index]
    reviewer.decide(insert_candidate(database, paper, **overrides), "approve", ANN)
    return str(paper["arxiv_id"])


def file_on(remote: Remote, branch: str) -> str:
    return git(remote.bare, "show", f"{branch}:README.md")


def tip(remote: Remote, branch: str) -> str:
    return git(remote.bare, "rev-parse", branch).strip()


def maintainer_merges(remote: Remote, branch: str, how: str) -> None:
    """What the forge's merge button does: a merge commit, or the branch's changes squashed into one commit."""
    git(remote.work, "pull", "--quiet", "--ff-only", "origin", "main")
    git(remote.work, "fetch", "--quiet", "origin", branch)
    if how == "merge":
        git(remote.work, "merge", "--quiet", "--no-ff", "-m", "Merge pull request #1", "FETCH_HEAD")
    else:
        git(remote.work, "merge", "--quiet", "--squash", "FETCH_HEAD")
        git(remote.work, "commit", "--quiet", "-m", "Add papers (#1)")
    git(remote.work, "push", "--quiet", "origin", "HEAD:main")


def test_one_pull_request_is_opened_and_a_later_approval_updates_it(
    remote: Remote, forge: FakeForge, settings: Settings, database: Database
) -> None:
    reviewer, publisher = services(database, settings)
    main = remote.head()
    first = approve(database, reviewer, 0)
    result = publisher.publish()
    assert result.outcome == PUBLISHED, result.message
    assert remote.head() == main  # the target branch is the maintainers'
    assert first in file_on(remote, FIRST) and first not in remote.readme()
    (created,) = forge.requests("POST")
    assert created.body is not None
    assert created.body["head"] == FIRST and created.body["base"] == "main"
    assert created.body["title"] == "Add 1 paper (awesome-digest)"
    assert f"(https://arxiv.org/abs/{first})" in created.body["body"]
    assert "approved by ann via discord" in created.body["body"]
    assert created.headers["Authorization"] == f"Bearer {TOKEN}"

    pushed = tip(remote, FIRST)
    second = approve(database, reviewer, 1)
    assert publisher.publish().outcome == PUBLISHED
    assert len(forge.requests("POST")) == 1 and len(forge.pulls) == 1
    (updated,) = forge.requests("PATCH")
    assert updated.path.endswith("/pulls/1") and updated.body is not None
    assert updated.body["title"] == "Add 2 papers (awesome-digest)"
    assert first in updated.body["body"] and second in updated.body["body"]
    assert forge.pulls[1]["body"] == updated.body["body"]
    git(remote.bare, "merge-base", "--is-ancestor", pushed, FIRST)  # a fast-forward, never forced
    readme = file_on(remote, FIRST)
    assert first in readme and second in readme and remote.head() == main
    assert {r.query["head"] for r in forge.requests("GET")} == {f"{remote.bare.parent.name}:{FIRST}"}

    assert publisher.publish().outcome == UNCHANGED
    assert len(forge.requests("POST")) == 1 and len(forge.requests("PATCH")) == 1
    status = read_status(database, settings.templates_dir)
    assert status.pending == [] and status.published_commit == tip(remote, FIRST)


def test_an_edit_on_the_target_beside_an_open_pull_requests_entry_is_merged_into_it(
    remote: Remote, forge: FakeForge, settings: Settings, database: Database
) -> None:
    """A maintainer fixed, on main, the entry beside one the open pull request adds; the next approval stopped
    publishing ("the list here holds edits of its own; bring the upstream file in with `digest list import`", which
    would have dropped the pull request's papers here). The pull request's papers are made again on main's file with
    the pending ones, and the pull request gets main's edit and the new paper."""
    reviewer, publisher = services(database, settings)
    first = approve(database, reviewer, 0)
    assert publisher.publish().outcome == PUBLISHED
    neighbour_old = "+ **SAE Analyzing Hierarchical Structure in VMs**"  # the entry below the first paper's
    neighbour_new = "+ **SAE Analyzing Hierarchical Structure in ViTs**"
    remote.push_edit(neighbour_old, neighbour_new)
    second = approve(database, reviewer, 1)
    result = publisher.publish()
    assert result.outcome == PUBLISHED, result.message
    proposed = file_on(remote, FIRST)
    assert first in proposed and second in proposed and neighbour_new in proposed and neighbour_old not in proposed
    assert remote.commits()[0] == "Fix a typo by hand" and first not in remote.readme()  # main is the maintainers'
    added = [line for line in git(remote.bare, "diff", "main", FIRST).splitlines() if line.startswith(("+", "-"))]
    assert all(first in line or second in line or line in ("+", "+++ b/README.md", "--- a/README.md") for line in added)
    assert list(forge.pulls) == [1]  # the same pull request, updated


@pytest.mark.parametrize("how", ["merge", "squash"])
def test_after_maintainers_merge_the_next_approval_opens_a_new_pull_request(
    how: str, remote: Remote, forge: FakeForge, settings: Settings, database: Database
) -> None:
    reviewer, publisher = services(database, settings)
    first = approve(database, reviewer, 0)
    assert publisher.publish().outcome == PUBLISHED
    merged_tip = tip(remote, FIRST)
    maintainer_merges(remote, FIRST, how)
    forge.merge(1)
    remote.push_edit(TYPO_OLD, TYPO_NEW)  # and hand edits on the target branch after the merge,
    (merged_line,) = [line for line in remote.readme().splitlines() if line.startswith("+ ") and first in line]
    edited_line = merged_line.replace("[", "[Edited: ", 1)
    remote.push_edit(merged_line, edited_line, "Edit the merged entry")  # one of them to the merged entry

    second = approve(database, reviewer, 1)
    result = publisher.publish()
    assert result.outcome == PUBLISHED, result.message
    assert [r.body["head"] for r in forge.requests("POST") if r.body] == [FIRST, SECOND]
    assert forge.requests("PATCH") == []
    body = forge.pulls[2]["body"]
    assert second in body and first not in body  # the first paper is on main already
    readme = file_on(remote, SECOND)
    assert first in readme and second in readme and TYPO_NEW in readme and TYPO_OLD not in readme
    assert edited_line in readme and merged_line not in readme
    assert edited_line in settings.list_markdown_path.read_text(encoding="utf-8")
    assert second not in remote.readme() and TYPO_NEW in remote.readme()
    assert tip(remote, FIRST) == merged_tip  # the merged branch is left alone
    diff = git(remote.bare, "diff", "--unified=0", "main", SECOND, "--", "README.md")
    changed = [line for line in diff.splitlines() if line.startswith(("+", "-")) and line[:3] not in ("+++", "---")]
    assert all(line.startswith("+") for line in changed)
    entry = [line for line in changed if line.strip("+ ")]
    assert entry and all(second in line for line in entry)


def test_a_closed_pull_request_is_not_reused_and_its_papers_are_proposed_again(
    remote: Remote, forge: FakeForge, settings: Settings, database: Database
) -> None:
    reviewer, publisher = services(database, settings)
    first = approve(database, reviewer, 0)
    assert publisher.publish().outcome == PUBLISHED
    closed_tip = tip(remote, FIRST)
    forge.close(1)
    second = approve(database, reviewer, 1)
    assert publisher.publish().outcome == PUBLISHED
    assert len(forge.pulls) == 2 and forge.pulls[2]["head"]["ref"] == SECOND and forge.requests("PATCH") == []
    assert first in forge.pulls[2]["body"] and second in forge.pulls[2]["body"]
    assert tip(remote, FIRST) == closed_tip


def test_a_hostile_title_is_inert_in_the_pull_request_body(
    remote: Remote, forge: FakeForge, settings: Settings, database: Database
) -> None:
    reviewer, publisher = services(database, settings)
    hostile = "Evil @mallory closes #1\n\n## Heading [click](javascript:alert(1)) <img src=x onerror=alert(1)>"
    hostile += "\x1b\u202e"
    arxiv_id = approve(database, reviewer, 0, title=hostile)
    assert publisher.publish().outcome == PUBLISHED
    body = forge.pulls[1]["body"]
    (line,) = [line for line in body.splitlines() if arxiv_id in line]
    assert re.search(r"@\w", body) is None and re.search(r"#\s*\d", body) is None  # no mention, no reference
    assert "\x1b" not in body and "\u202e" not in body
    assert re.search(r"(?<!\\)<img", body) is None and re.search(r"(?<!\\)\]\(javascript", body) is None
    assert not any(text.startswith("#") for text in body.splitlines())
    assert "Evil @\u200dmallory closes #\u200d1 #\u200d#\u200d Heading \\[click\\](javascript:alert(1)) \\<img" in line


def test_no_token_appears_in_a_request_url_a_log_line_an_error_or_a_file(
    tmp_path: Path, remote: Remote, forge: FakeForge, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "ghp_WrongTokenValue1234567890"
    settings = make_settings(tmp_path / "data", pull_config(remote, forge), {"DIGEST_GIT_TOKEN": wrong})
    reviewer, publisher = services(database, settings)
    approve(database, reviewer, 0)
    with caplog.at_level(logging.DEBUG):
        failed = publisher.publish()
        assert failed.outcome == FAILED and "401: Bad credentials" in failed.message
        assert len(read_status(database, settings.templates_dir).pending) == 1  # kept for the next attempt

        good = make_settings(tmp_path / "data", pull_config(remote, forge), {"DIGEST_GIT_TOKEN": TOKEN})
        _reviewer, publisher = services(database, good)
        assert publisher.publish().outcome == PUBLISHED
    on_disk = "\n".join(
        path.read_text(encoding="utf-8", errors="replace") for path in settings.data_dir.rglob("*") if path.is_file()
    )
    for token in (wrong, TOKEN):
        for text in (caplog.text, failed.message, on_disk, *(c.message for c in health.components())):
            assert token not in text
        for request in forge.received:
            assert token not in request.path + str(request.query) + str(request.body)
    assert {r.headers["Authorization"] for r in forge.received} == {f"Bearer {wrong}", f"Bearer {TOKEN}"}


def test_pull_request_mode_needs_a_token_and_an_owner_and_name(tmp_path: Path) -> None:
    from digest.config import ConfigError

    config = '[publish]\nrepository = "https://github.com/list.git"\nmode = "pull-request"\napi_url = "file:///x"\n'
    with pytest.raises(ConfigError) as caught:
        make_settings(tmp_path / "data", config)
    problems = " ".join(caught.value.problems)
    assert "needs DIGEST_GIT_TOKEN" in problems and "owner/name" in problems and "publish.api_url" in problems
    config = '[publish]\nrepository = "git@github.com:owner/list.git"\nmode = "pull-request"\n'
    assert make_settings(tmp_path / "ok", config, {"DIGEST_GIT_TOKEN": TOKEN}).publish.mode == "pull-request"


def test_the_command_line_publishes_a_pull_request_and_names_it_in_the_status(
    tmp_path: Path,
    remote: Remote,
    forge: FakeForge,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from digest.cli import main

    for name in ("DIGEST_CONFIG", "DIGEST_DATA_DIR", "DIGEST_DATABASE_URL", "DIGEST_GIT_SSH_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DIGEST_GIT_TOKEN", TOKEN)
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "config.toml"
    config.write_text(pull_config(remote, forge), encoding="utf-8")
    data = tmp_path / "cli-data"
    base = ["--config", str(config), "--data-dir", str(data)]
    assert main([*base, "publish", "--status"]) == 0
    assert "pull request: none open" in capsys.readouterr().out
    settings = make_settings(data, pull_config(remote, forge), {"DIGEST_GIT_TOKEN": TOKEN})
    database = open_service_database(settings)
    arxiv_id = approve(database, Reviewer(database, settings), 0)
    database.dispose()
    assert main([*base, "publish", "--dry-run"]) == 0
    assert arxiv_id in capsys.readouterr().out and forge.received == []  # a dry run asks the forge nothing
    assert main([*base, "publish"]) == 0
    assert "pull request #1" in capsys.readouterr().out
    assert main([*base, "publish", "--status"]) == 0
    out = capsys.readouterr().out
    assert f"pull request: #1 from {FIRST}" in out and "pending decisions: 0" in out and TOKEN not in out


def test_a_token_read_from_a_secret_file_opens_the_pull_request_without_its_newline(
    tmp_path: Path, remote: Remote, forge: FakeForge, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A token kept in a container's secret file ends in a newline: the request could not carry it as a header,
    and the ValueError that said so, token and all, went to the log, /healthz and the shell."""
    settings = make_settings(tmp_path / "data", pull_config(remote, forge), {"DIGEST_GIT_TOKEN": f" {TOKEN}\n"})
    reviewer, publisher = services(database, settings)
    approve(database, reviewer, 0)
    with caplog.at_level(logging.DEBUG):
        result = publisher.publish()
    assert result.outcome == PUBLISHED, result.message
    assert {r.headers["Authorization"] for r in forge.received} == {f"Bearer {TOKEN}"}
    assert TOKEN not in caplog.text


@pytest.mark.parametrize("inside", ["\n", "\r", "\x00", " "])
def test_a_token_with_a_line_break_or_space_inside_is_refused_in_one_line_without_it(
    tmp_path: Path, inside: str
) -> None:
    from digest.config import ConfigError

    config = '[publish]\nrepository = "https://github.com/owner/list.git"\n'
    with pytest.raises(ConfigError) as caught:
        make_settings(tmp_path / "data", config, {"DIGEST_GIT_TOKEN": f"ghp_First{inside}ghp_Second"})
    (line,) = caught.value.problems
    assert "DIGEST_GIT_TOKEN" in line and "ghp_" not in line


@pytest.mark.parametrize(
    ("config", "named"),
    [
        (
            '[publish]\nrepository = "https://gitea.example.org/owner/list.git"\nmode = "pull-request"\n'
            'api_url = "http://gitea.example.org/api/v1"\n',
            "publish.api_url",
        ),
        ('[publish]\nrepository = "http://gitea.example.org/owner/list.git"\n', "publish.repository"),
    ],
)
def test_a_token_is_never_sent_over_plain_http_to_another_machine(tmp_path: Path, config: str, named: str) -> None:
    """`api_url = "http://..."` passed (the check's own line says it "must be an https:// address"), and so did an
    http:// repository with DIGEST_GIT_TOKEN set: the token then crossed the network readable in every request's
    Authorization header, where a redirect to plain http is refused it. Both are refused now, this machine aside."""
    from digest.config import ConfigError

    with pytest.raises(ConfigError) as caught:
        make_settings(tmp_path / "data", config, {"DIGEST_GIT_TOKEN": TOKEN})
    (line,) = caught.value.problems
    assert named in line and "https://" in line and TOKEN not in line
    assert make_settings(tmp_path / "no-token", config.replace('mode = "pull-request"\n', "")).publish.enabled


def test_the_pull_request_names_the_section_as_renamed_on_the_target(
    remote: Remote, forge: FakeForge, settings: Settings, database: Database
) -> None:
    """An approval into Sparse Autoencoder, renamed Sparse Autoencoders on the target branch before it was published:
    the description named the section the file no longer has."""
    from tests.publishing import rename_sparse_autoencoder

    reviewer, publisher = services(database, settings)
    assert publisher.publish().outcome == UNCHANGED  # the first sync
    arxiv_id = approve(database, reviewer, 0)
    rename_sparse_autoencoder(remote)
    assert publisher.publish().outcome == PUBLISHED
    (created,) = forge.requests("POST")
    assert created.body is not None
    body = created.body["body"]
    assert f"(https://arxiv.org/abs/{arxiv_id}) in *Sparse Autoencoders* (approved by ann" in body, body
    assert "*Sparse Autoencoder*" not in body, body


def squash_main(remote: Remote, edit: tuple[str, str]) -> str:
    """A maintainer squashes main into one new commit (sharing none with its history) with `edit` in it, and
    force-pushes it; its old head, returned, is in no branch's history any more but the pull request's."""
    git(remote.work, "pull", "--quiet", "--ff-only", "origin", "main")
    old = remote.head()
    git(remote.work, "checkout", "--quiet", "--orphan", "squashed")
    readme = remote.work / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8").replace(*edit), encoding="utf-8")
    git(remote.work, "commit", "--quiet", "-am", "Squash the history")
    git(remote.work, "push", "--quiet", "--force", "origin", "HEAD:main")
    git(remote.work, "checkout", "--quiet", "main")
    return old


def test_a_target_history_rewritten_from_scratch_stops_as_in_commit_mode_and_accepting_it_works(
    remote: Remote, forge: FakeForge, settings: Settings, database: Database
) -> None:
    """While a pull request was open, a maintainer squashed main into one new commit and force-pushed it. The next
    approval was merged into the open pull request's branch with main's new history: the pull request then carried
    every commit of the old history, and merging it would have brought back what the squash took away. As in commit
    mode, publishing now stops and names `digest publish --accept-upstream`; that takes main's new file as an edit
    of the last synced one and proposes the papers in a new pull request from main's new history."""
    reviewer, publisher = services(database, settings)
    first = approve(database, reviewer, 0)
    assert publisher.publish().outcome == PUBLISHED
    old = squash_main(remote, (TYPO_OLD, TYPO_NEW))
    second = approve(database, reviewer, 1)
    blocked = publisher.publish()
    assert blocked.outcome == BLOCKED, blocked.message
    assert "`digest publish --accept-upstream`" in blocked.message, blocked.message
    assert second not in file_on(remote, FIRST)
    result = publisher.publish(accept_upstream=True)
    assert result.outcome == PUBLISHED, result.message
    (branch,) = [str(p["head"]["ref"]) for p in forge.pulls.values() if p["state"] == "open"]
    assert forge.pulls[1]["state"] == "closed" and branch == SECOND, "the old history's pull request is closed"
    proposed = file_on(remote, branch)
    assert first in proposed and second in proposed and TYPO_NEW in proposed and TYPO_OLD not in proposed
    history = git(remote.bare, "rev-list", branch).split()
    assert old not in history and remote.head() in history  # merging it keeps main's new history
    assert remote.commits() == ["Squash the history"]
    assert publisher.publish().outcome == UNCHANGED


def test_a_force_push_of_the_target_that_drops_a_merged_pull_request_puts_its_papers_back(
    remote: Remote, forge: FakeForge, settings: Settings, database: Database
) -> None:
    """Maintainers merged the pull request (the service synced it), then force-pushed main back to before the merge
    with an edit of their own. Measured from the merged file, its paper read as taken out by hand and was dropped
    here without a word. As in commit mode, the merge base is now the file at the commit both histories share: the
    paper comes back (in the next pull request) and the edit stays."""
    reviewer, publisher = services(database, settings)
    first = approve(database, reviewer, 0)
    assert publisher.publish().outcome == PUBLISHED
    maintainer_merges(remote, FIRST, "merge")
    forge.merge(1)
    assert publisher.publish(pull_only=True).outcome == UNCHANGED  # the service's sync every 15 minutes
    git(remote.work, "reset", "--quiet", "--hard", "HEAD~1")  # main rewritten from before the merge
    readme = remote.work / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8").replace(TYPO_OLD, TYPO_NEW), encoding="utf-8")
    git(remote.work, "commit", "--quiet", "-am", "Rewrite")
    git(remote.work, "push", "--quiet", "--force", "origin", "HEAD:main")
    second = approve(database, reviewer, 1)
    result = publisher.publish()
    assert result.outcome == PUBLISHED, result.message
    proposed = file_on(remote, SECOND)
    assert first in proposed and second in proposed and TYPO_NEW in proposed
    assert first in forge.pulls[2]["body"] and first in settings.list_markdown_path.read_text(encoding="utf-8")


def test_a_file_maintainers_add_or_change_on_the_target_is_not_undone_by_the_pull_request(
    remote: Remote, forge: FakeForge, settings: Settings, database: Database
) -> None:
    """While the pull request was open, maintainers added two files to main and changed one. The next approval
    merged main into the pull request's branch with the branch's own copy of every file but the list: the pull
    request deleted the new file and undid the change, and merging it would have done so on main. Main's other files
    now come in with the merge; the pull request changes the list alone."""
    reviewer, publisher = services(database, settings)
    approve(database, reviewer, 0)
    assert publisher.publish().outcome == PUBLISHED
    git(remote.work, "pull", "--quiet", "--ff-only", "origin", "main")
    (remote.work / "CONTRIBUTING.md").write_text("Open a pull request.\n", encoding="utf-8")
    (remote.work / "logo.txt").write_text("a logo\n", encoding="utf-8")
    git(remote.work, "add", "CONTRIBUTING.md", "logo.txt")
    git(remote.work, "commit", "--quiet", "-m", "Add a contributing guide and a logo")
    git(remote.work, "push", "--quiet", "origin", "HEAD:main")
    (remote.work / "logo.txt").write_text("a new logo\n", encoding="utf-8")
    git(remote.work, "commit", "--quiet", "-am", "A new logo")
    git(remote.work, "push", "--quiet", "origin", "HEAD:main")
    approve(database, reviewer, 1)
    assert publisher.publish().outcome == PUBLISHED
    assert git(remote.bare, "diff", "--name-only", "main", FIRST).split() == ["README.md"]
    assert git(remote.bare, "show", f"{FIRST}:logo.txt") == "a new logo\n"


def test_a_force_push_of_the_target_seen_first_by_the_quarter_hourly_sync_still_leaves_the_old_history_behind(
    remote: Remote, forge: FakeForge, settings: Settings, database: Database
) -> None:
    """While a pull request was open, a maintainer force-pushed main without a commit the pull request's branch
    holds, and the service's sync every 15 minutes (nothing pending) saw it first. It took the new history as the
    last synced one, so the next approval merged main into the old branch and the pull request carried the dropped
    commit back. The sync now moves the open pull request's papers onto the new history at once."""
    reviewer, publisher = services(database, settings)
    remote.push_edit(TYPO_OLD, TYPO_NEW)
    dropped = remote.head()
    first = approve(database, reviewer, 0)
    assert publisher.publish().outcome == PUBLISHED
    git(remote.work, "reset", "--quiet", "--hard", "HEAD~1")
    readme = remote.work / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8").replace("a more mature repo", "a mature repo"), "utf-8")
    git(remote.work, "commit", "--quiet", "-am", "Rewrite")
    git(remote.work, "push", "--quiet", "--force", "origin", "HEAD:main")
    publisher.publish(pull_only=True)
    second = approve(database, reviewer, 1)
    assert publisher.publish().outcome == PUBLISHED
    (branch,) = [str(p["head"]["ref"]) for p in forge.pulls.values() if p["state"] == "open"]
    assert branch == SECOND and forge.pulls[1]["state"] == "closed"
    assert dropped not in git(remote.bare, "rev-list", branch).split()
    proposed = file_on(remote, branch)
    assert first in proposed and second in proposed and "a mature repo" in proposed


def test_a_push_to_the_pull_requests_branch_refused_by_a_hook_gives_advice_for_this_mode(
    remote: Remote, forge: FakeForge, settings: Settings, database: Database
) -> None:
    """A rule on the repository refuses pushes to branches other than main. The line said to let the service push
    there 'or set publish.mode = "pull-request"', the mode it is in. It now names the branch it pushes to alone."""
    hook = remote.bare / "hooks" / "pre-receive"
    hook.write_text(
        '#!/bin/sh\nwhile read old new ref; do [ "$ref" = refs/heads/main ] || '
        "{ echo 'only main may be pushed to' >&2; exit 1; }; done\n"
    )
    hook.chmod(0o755)
    reviewer, publisher = services(database, settings)
    approve(database, reviewer, 0)
    result = publisher.publish()
    assert result.outcome == FAILED, result.message
    assert f"refused the push to {FIRST}" in result.message and "only main may be pushed to" in result.message
    assert 'publish.mode = "pull-request"' not in result.message, result.message
    assert forge.requests("POST") == []


def test_a_force_push_of_the_target_that_takes_in_the_pull_requests_papers_closes_it(
    remote: Remote, forge: FakeForge, settings: Settings, database: Database
) -> None:
    """A maintainer rewrote main's history with the open pull request's file in it (its papers taken in by hand) and
    force-pushed. Nothing was left to propose, so the pull request, whose branch holds the old history, was left open
    and forgotten here, and merging it would bring back the commit the rewrite dropped. It is closed."""
    reviewer, publisher = services(database, settings)
    remote.push_edit(TYPO_OLD, TYPO_NEW)
    first = approve(database, reviewer, 0)
    assert publisher.publish().outcome == PUBLISHED
    git(remote.work, "reset", "--quiet", "--hard", "HEAD~1")
    git(remote.work, "fetch", "--quiet", "origin", FIRST)
    git(remote.work, "checkout", "--quiet", "FETCH_HEAD", "--", "README.md")
    git(remote.work, "commit", "--quiet", "-am", "Rewrite, with the pull request's papers")
    git(remote.work, "push", "--quiet", "--force", "origin", "HEAD:main")
    assert publisher.publish(pull_only=True).outcome == UNCHANGED
    assert forge.pulls[1]["state"] == "closed" and len(forge.pulls) == 1
    assert first in remote.readme() and publisher.publish().outcome == UNCHANGED
    assert forge.pulls[1]["state"] == "closed" and len(forge.pulls) == 1


def test_the_operators_signature_check_on_merges_does_not_stop_the_pull_request(
    tmp_path: Path,
    remote: Remote,
    forge: FakeForge,
    settings: Settings,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A maintainer whose ~/.gitconfig checks signatures on every merge (merge.verifySignatures, with signed commits
    at work) ran the service or `digest publish` from their shell: once main moved under the open pull request, the
    service's merge of main into its branch was refused ('Commit ... does not have a GPG signature') and publishing
    stopped with 'main cannot be merged into the pull request's branch ...: merge it there by hand'. The service's
    clone checks no signature, as it makes none, and the pull request gets main's edit and the new paper."""
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text("[merge]\n\tverifySignatures = true\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    reviewer, publisher = services(database, settings)
    first = approve(database, reviewer, 0)
    assert publisher.publish().outcome == PUBLISHED
    remote.push_edit(TYPO_OLD, TYPO_NEW)
    second = approve(database, reviewer, 1)
    result = publisher.publish()
    assert result.outcome == PUBLISHED, result.message
    proposed = file_on(remote, FIRST)
    assert first in proposed and second in proposed and TYPO_NEW in proposed
