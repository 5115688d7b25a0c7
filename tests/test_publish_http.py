"""Publishing over HTTP with a token: the real `git http-backend` behind a loopback server that checks it."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest import health
from digest.publish.publisher import FAILED, PUBLISHED, Publisher
from digest.publish.store import read_status
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
from digest.service.wiring import open_service_database
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.git_http import GitHttpServer, Redirector, backend_path
from tests.git_remote import make_remote, publish_config

TOKEN = "ghp_HttpBackendToken1122334455"
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)

pytestmark = pytest.mark.skipif(backend_path() is None, reason="git-http-backend is not installed")


def files_under(folder: Path) -> str:
    """Every file the service wrote (its clone's config among them), as text."""
    return "\n".join(path.read_text(encoding="utf-8", errors="replace") for path in folder.rglob("*") if path.is_file())


def test_publishing_over_http_sends_the_token_only_as_a_header_and_never_keeps_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    remote = make_remote(tmp_path)
    with GitHttpServer(tmp_path, TOKEN) as server:
        url = server.url("remote.git")
        wrong = make_settings(tmp_path / "data", publish_config(url), {"DIGEST_GIT_TOKEN": "ghp_Wrong000000000000"})
        database = open_service_database(wrong)
        try:
            with caplog.at_level(logging.DEBUG):
                failed = Publisher(database, wrong, clock=lambda: NOW).publish()
                assert failed.outcome == FAILED and "fetch" in failed.message
                kept = [files_under(tmp_path / "data")]
                settings = make_settings(tmp_path / "data", publish_config(url), {"DIGEST_GIT_TOKEN": TOKEN})
                publisher = Publisher(database, settings, clock=lambda: NOW)
                publisher.remember_base()
                paper = real_papers()[0]
                Reviewer(database, settings).decide(
                    insert_candidate(database, paper), "approve", Actor("ann", "1", "web")
                )
                result = publisher.publish()
                kept.append(files_under(tmp_path / "data"))
            status = read_status(database, settings.templates_dir)
        finally:
            database.dispose()
    assert result.outcome == PUBLISHED, result.message
    assert remote.commits()[0].startswith("Add 1 paper: ") and str(paper["arxiv_id"]) in remote.readme()
    assert status.published_commit == remote.head()
    assert server.expected is not None
    assert server.expected in server.authorizations  # the token went as the Authorization header
    assert any("git-receive-pack" in path for path in server.paths)
    texts = [caplog.text, failed.message, result.message, *kept, *(c.message for c in health.components())]
    for token in (TOKEN, "ghp_Wrong000000000000", server.expected.removeprefix("Basic ")):
        assert all(token not in text for text in texts)
        assert all(token not in path for path in server.paths)


def test_the_token_does_not_follow_a_redirect_to_another_host(tmp_path: Path) -> None:
    """git sends an http.extraHeader on every request, to wherever a redirect took it: a repository address that
    redirects to another host (a moved or taken-over domain) got DIGEST_GIT_TOKEN sent there with the next request,
    where the forge's own client gives it to its own host alone. git follows no redirect while a token is set; the
    publish fails in one line naming the redirect, and the other host never sees the token."""
    make_remote(tmp_path)
    with GitHttpServer(tmp_path, None) as elsewhere:
        target = elsewhere.url("").replace("127.0.0.1", "localhost")
        with Redirector(target) as moved:
            settings = make_settings(
                tmp_path / "data", publish_config(moved.url("remote.git")), {"DIGEST_GIT_TOKEN": TOKEN}
            )
            database = open_service_database(settings)
            try:
                result = Publisher(database, settings, clock=lambda: NOW).publish()
            finally:
                database.dispose()
    assert result.outcome == FAILED and "301" in result.message, result.message
    assert TOKEN not in result.message
    assert all(seen is None for seen in elsewhere.authorizations), elsewhere.authorizations
