"""The set-up of the publishing-upkeep tests: `digest publish` once as from a shell, a paper approved first, and an
`ssh` standing in for a forge's endpoint or for ssh itself (a script on PATH), each against a real bare repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.config import Settings
from digest.publish.publisher import PUBLISHED, Publisher, PublishResult
from digest.review.reviewer import Reviewer
from digest.service.wiring import open_service_database
from tests.git_remote import NOW, Remote
from tests.publishing import approve


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
