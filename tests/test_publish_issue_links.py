"""A paper's title naming an issue by its address ("Fixes https://github.com/owner/list/issues/5"): what the service
pushes (a commit on the list's branch, a pull request's description) must not close that issue or link to it, as it
must not for "#5", "owner/name#5" and "GH-5"."""

from __future__ import annotations

import re
from pathlib import Path

from digest.config import Settings
from digest.publish.publisher import PUBLISHED
from digest.service.wiring import open_service_database
from tests.conftest import make_settings
from tests.fake_forge import FakeForge
from tests.git_remote import Remote, publish_config
from tests.publish_pull import forge as forge  # the fixture
from tests.publish_pull import services as pull_services
from tests.publish_pull import settings as settings  # the fixture
from tests.publishing import approve, services
from tests.publishing import remote as remote  # the fixture

HOSTILE = (
    "Steering fixes https://github.com/owner/list/issues/5, https://github.com/o/l/pull/6, GH-7 and "
    "https://gitlab.com/o/l/-/merge_requests/8"
)
# An issue's or a pull request's own address, which GitHub reads after "fixes" as it reads "#5" (and GitLab, Gitea).
LIVE_LINK = re.compile(r"/(?:issues|pulls?|merge_requests)/\d")


def test_a_title_with_an_issues_address_closes_nothing_from_the_commit(tmp_path: Path, remote: Remote) -> None:
    settings = make_settings(tmp_path / "data", publish_config(remote.url))
    database = open_service_database(settings)
    try:
        reviewer, publisher = services(database, settings)
        approve(database, reviewer, 0, title=HOSTILE)
        assert publisher.publish().outcome == PUBLISHED
    finally:
        database.dispose()
    message = remote.message_of_head()
    assert LIVE_LINK.search(message) is None and "GH-7" not in message, message
    assert message.replace("\u200d", "").count(HOSTILE) == 2  # the subject and the paper's line read as the title


def test_a_title_with_an_issues_address_closes_nothing_from_the_pull_request(
    remote: Remote, forge: FakeForge, settings: Settings
) -> None:
    database = open_service_database(settings)
    try:
        reviewer, publisher = pull_services(database, settings)
        arxiv_id = approve(database, reviewer, 0, title=HOSTILE)
        assert publisher.publish().outcome == PUBLISHED
    finally:
        database.dispose()
    (line,) = [line for line in forge.pulls[1]["body"].splitlines() if arxiv_id in line]
    assert LIVE_LINK.search(line) is None and "GH-7" not in line, line
    assert "fixes https://github.com/owner/list/issues/\u200d5" in line
