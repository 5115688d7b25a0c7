"""The service's clone beside the operator's own ~/.gitconfig (the service often runs as a maintainer's user): what
that file says for their own work must not send the service's fetch and push elsewhere or run their tools."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.publish.publisher import PUBLISHED, Publisher
from digest.review.reviewer import Reviewer
from digest.service.wiring import open_service_database
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.git_remote import ANN, NOW, make_remote, publish_config


def test_the_operators_url_rewrites_and_fsmonitor_leave_the_services_clone_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A maintainer's ~/.gitconfig rewriting the repository's address (`url.<base>.insteadOf`, as many have to use
    ssh instead of https, and `pushInsteadOf`) sent the service's fetch and push to an address it has no login for,
    and its `core.fsmonitor` hook ran in the service's clone. The service now fetches and pushes where its settings
    say, and runs none of the operator's tools."""
    remote = make_remote(tmp_path)
    home, ran = tmp_path / "home", tmp_path / "fsmonitor-ran"
    home.mkdir()
    hook = home / "fsmonitor-hook"
    hook.write_text(f"#!/bin/sh\ntouch {ran}\nexit 1\n")
    hook.chmod(0o755)
    elsewhere = (tmp_path / "elsewhere").as_uri()
    (home / ".gitconfig").write_text(
        f'[url "{elsewhere}/"]\n\tinsteadOf = file://\n\tpushInsteadOf = file://\n[core]\n\tfsmonitor = {hook}\n'
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    settings = make_settings(tmp_path / "data", publish_config(remote.url))
    database = open_service_database(settings)
    try:
        publisher = Publisher(database, settings, clock=lambda: NOW)
        publisher.remember_base()
        paper = real_papers()[0]
        Reviewer(database, settings, clock=lambda: NOW).decide(insert_candidate(database, paper), "approve", ANN)
        result = publisher.publish()
        assert result.outcome == PUBLISHED, result.message
        assert str(paper["arxiv_id"]) in remote.readme()
        assert not ran.exists(), "the operator's fsmonitor hook ran in the service's clone"
    finally:
        database.dispose()
