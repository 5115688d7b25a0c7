"""Pull-request mode: approvals pushed to a branch of the service's own and one pull request opened or updated
through a protocol-level fake of GitHub's REST API, against a real bare git remote (set up in tests/publish_pull.py).
The token's handling is in test_publish_pull_tokens.py, rewrites of the target's history in
test_publish_pull_rewrites.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from digest.config import Settings
from digest.publish.publisher import FAILED, PUBLISHED, UNCHANGED
from digest.publish.store import read_status
from digest.review.reviewer import Reviewer
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from tests.conftest import make_settings
from tests.fake_forge import FakeForge
from tests.git_remote import TYPO_NEW, TYPO_OLD, Remote, git
from tests.publish_pull import FIRST, SECOND, TOKEN, file_on, maintainer_merges, pull_config, services, tip
from tests.publish_pull import forge as forge  # the fixture
from tests.publish_pull import settings as settings  # the fixture
from tests.publishing import approve
from tests.publishing import remote as remote  # the fixture


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
