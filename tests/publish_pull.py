"""The set-up of the pull-request publishing tests: a real bare remote, a protocol-level fake of GitHub's REST API
for it, settings publishing to it in pull-request mode, the service's reviewer and pull-request publisher, and what
maintainers do there by hand (merge the pull request, squash main)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from digest.config import Settings
from digest.publish.publisher import Publisher
from digest.publish.pull_publisher import PullRequestPublisher
from digest.review.reviewer import Reviewer
from digest.storage.db import Database
from tests.conftest import make_settings
from tests.fake_forge import FakeForge
from tests.git_remote import Remote, git, publish_config
from tests.publishing import services as publishing_services

TOKEN = "ghp_PullRequestToken0987654321"
FIRST, SECOND = "awesome-digest/updates-1", "awesome-digest/updates-2"


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


def services(database: Database, settings: Settings) -> tuple[Reviewer, Publisher]:
    """The reviewer and the publisher, which pull-request settings make a pull-request publisher."""
    reviewer, publisher = publishing_services(database, settings)
    assert isinstance(publisher, PullRequestPublisher)
    return reviewer, publisher


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
