"""Pull-request mode when maintainers rewrite the target branch while a pull request is open (a squash, a force-push
before or with the merged pull request) or add files of their own there: the pull request never brings back what
they took away, nor undoes what they added."""

from __future__ import annotations

from digest.config import Settings
from digest.config.invocation import same_invocation
from digest.publish.publisher import BLOCKED, PUBLISHED, UNCHANGED
from digest.storage.db import Database
from tests.fake_forge import FakeForge
from tests.git_remote import TYPO_NEW, TYPO_OLD, Remote, git
from tests.publish_pull import FIRST, SECOND, file_on, maintainer_merges, services, squash_main
from tests.publish_pull import forge as forge  # the fixture
from tests.publish_pull import settings as settings  # the fixture
from tests.publishing import approve, push_bytes
from tests.publishing import remote as remote  # the fixture

HAND_ADDED = (
    "+ [A Paper Added by Hand Upstream](https://arxiv.org/abs/2509.01234) (Sep. 1, 2025)\n"
    "  [![arXiv](https://img.shields.io/badge/arXiv-b31b1b.svg)](https://arxiv.org/abs/2509.01234)\n\n"
)


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
    assert f"`{same_invocation(settings, 'publish', '--accept-upstream')}`" in blocked.message, blocked.message
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


def test_a_paper_a_force_push_dropped_that_the_pull_request_puts_back_is_in_its_title_and_description(
    remote: Remote, forge: FakeForge, settings: Settings, database: Database
) -> None:
    """A maintainer added a paper by hand on main (brought into the list here by the sync), then force-pushed main
    back to before it. The next pull request put the paper back, and its commit said so, but its title counted the
    approved paper alone and its description did not name the one put back: a reviewer merging it added a paper no
    one had told them of. Both now name it."""
    reviewer, publisher = services(database, settings)
    push_bytes(remote, remote.readme().replace("+ [Open Problems", HAND_ADDED + "+ [Open Problems").encode(), "Add")
    assert publisher.publish(pull_only=True).outcome == UNCHANGED  # the sync brings the paper in
    git(remote.work, "reset", "--quiet", "--hard", "HEAD~1")
    git(remote.work, "commit", "--quiet", "--allow-empty", "-m", "Rewrite")
    git(remote.work, "push", "--quiet", "--force", "origin", "HEAD:main")
    approved = approve(database, reviewer, 0)
    result = publisher.publish()
    assert result.outcome == PUBLISHED, result.message
    (pull,) = forge.pulls.values()
    assert "2509.01234" in file_on(remote, FIRST) and approved in file_on(remote, FIRST)
    assert pull["title"].startswith("Add 2 papers"), pull["title"]
    body = str(pull["body"])
    put_back = [line for line in body.splitlines() if "2509.01234" in line]
    assert approved in body and put_back and "put back" in put_back[0] and "dropped" in put_back[0], body
