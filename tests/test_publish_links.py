"""What publishing names when a paper's entry links it the way maintainers write by hand (its pdf, its Hugging Face
or alphaXiv page, its DOI) rather than the arXiv abs link the service writes: the commit message in the remote's log,
through real git against a bare remote."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from digest.config import Settings
from digest.publish.publisher import PUBLISHED, UNCHANGED, Publisher
from digest.review.reviewer import Reviewer
from digest.storage.db import Database
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.git_remote import ANN, HAND_LINKS, Remote, publish_config
from tests.publishing import remote as remote  # the fixture
from tests.publishing import services


@pytest.fixture
def settings(tmp_path: Path, remote: Remote) -> Settings:
    return make_settings(tmp_path / "data", publish_config(remote.url))


def approved_then_relinked(
    database: Database, reviewer: Reviewer, publisher: Publisher, remote: Remote, form: str, title: str | None = None
) -> tuple[int, str]:
    """A paper approved and published, whose entry a maintainer then linked through `form` upstream, and the service
    synced with that edit (made in the same publish as a decision on that entry, the two meet and wait for a
    maintainer)."""
    paper = real_papers()[0]
    arxiv_id = str(paper["arxiv_id"])
    candidate_id = insert_candidate(database, paper, **({"title": title} if title else {}))
    reviewer.decide(candidate_id, "approve", ANN)
    assert publisher.publish().outcome == PUBLISHED
    remote.relink(arxiv_id, HAND_LINKS[form])
    assert publisher.publish().outcome == UNCHANGED
    return candidate_id, arxiv_id


@pytest.mark.parametrize("form", sorted(HAND_LINKS))
def test_a_paper_linked_by_hand_and_taken_out_is_named_in_the_commit_message(
    form: str, remote: Remote, settings: Settings, database: Database
) -> None:
    """The service found a paper in what a change added or removed by its arXiv abs link only: a paper the maintainers
    linked through its pdf, Hugging Face, alphaXiv or DOI page left the list under "Update the list", unnamed."""
    reviewer, publisher = services(database, settings)
    candidate_id, arxiv_id = approved_then_relinked(database, reviewer, publisher, remote, form)
    reviewer.decide(candidate_id, "revert", ANN)
    result = publisher.publish()
    assert result.outcome == PUBLISHED, result.message
    assert HAND_LINKS[form].format(id=arxiv_id) not in remote.readme()
    subject, _blank, *body = remote.message_of_head().splitlines()
    assert subject == f"Remove 1 paper: {real_papers()[0]['title']}"
    assert f"- remove {real_papers()[0]['title']}: https://arxiv.org/abs/{arxiv_id} (by ann via discord)" in body
    assert subject in result.message


@pytest.mark.parametrize("form", sorted(HAND_LINKS))
def test_a_paper_linked_by_hand_and_moved_is_named_a_move(
    form: str, remote: Remote, settings: Settings, database: Database
) -> None:
    """Approved into another section, the entry the maintainers relinked by hand moves: it was named an addition."""
    reviewer, publisher = services(database, settings)
    candidate_id, arxiv_id = approved_then_relinked(database, reviewer, publisher, remote, form)
    reviewer.decide(candidate_id, "approve", ANN, "Steering")
    assert publisher.publish().outcome == PUBLISHED
    subject = remote.commits()[0]
    assert subject == f"Move 1 paper: {real_papers()[0]['title']} (Steering)"
    assert len(re.findall(re.escape(arxiv_id), remote.readme())) == 2  # one entry: its title and its badge


def test_a_hostile_title_of_a_paper_linked_by_hand_and_taken_out_is_one_inert_line(
    remote: Remote, settings: Settings, database: Database
) -> None:
    """Named now where it was left out, the paper's title from arXiv reaches the commit message: as one line, with no
    trailer of its own, no control or bidi character, no issue it closes and nobody it mentions."""
    reviewer, publisher = services(database, settings)
    hostile = "Evil\n\nSigned-off-by: Mallory <m@example.org>\x1b[31m\u202e fixes #1 @octocat\r\n# not a comment"
    candidate_id, _arxiv_id = approved_then_relinked(database, reviewer, publisher, remote, "huggingface", hostile)
    reviewer.decide(candidate_id, "revert", ANN)
    assert publisher.publish().outcome == PUBLISHED
    message = remote.message_of_head()
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e]", message)
    assert not any(line.startswith(("Signed-off-by", "#")) for line in message.splitlines())
    assert re.findall(r"#\w|(?<![\w.+-])@\w", message) == []  # the address's "@" mentions nobody
    flat = "Evil Signed-off-by: Mallory <m@example.org> [31m fixes #\u200d1 @\u200doctocat # not a comment"
    assert message.splitlines()[0] == f"Remove 1 paper: {flat}"
