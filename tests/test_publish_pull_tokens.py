"""Pull-request mode's token (DIGEST_GIT_TOKEN): sent only in the Authorization header to the fake of GitHub's
REST API, never in a URL, a log line, an error or a file; refused in one line without it when it cannot be sent."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from digest import health
from digest.publish.publisher import FAILED, PUBLISHED
from digest.publish.store import read_status
from digest.storage.db import Database
from tests.conftest import make_settings
from tests.fake_forge import FakeForge
from tests.git_remote import Remote
from tests.publish_pull import TOKEN, pull_config, services
from tests.publish_pull import forge as forge  # the fixture
from tests.publish_pull import settings as settings  # the fixture
from tests.publishing import approve
from tests.publishing import remote as remote  # the fixture


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
