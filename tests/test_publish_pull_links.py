"""What a pull request names when a paper's entry links it the way maintainers write by hand (its pdf, its Hugging
Face or alphaXiv page, its DOI) rather than the arXiv abs link the service writes: its title and description on a
protocol-level fake of GitHub's API, and its commit on the branch of a real bare remote."""

from __future__ import annotations

import pytest

from digest.config import Settings
from digest.publish.publisher import PUBLISHED, UNCHANGED
from digest.storage.db import Database
from tests.factories import insert_candidate, real_papers
from tests.fake_forge import FakeForge
from tests.git_remote import ANN, HAND_LINKS, Remote, git
from tests.publish_pull import FIRST, SECOND, maintainer_merges
from tests.publish_pull import forge as forge  # the fixture
from tests.publish_pull import settings as settings  # the fixture
from tests.publishing import remote as remote  # the fixture
from tests.publishing import services

PAPER = real_papers()[0]
ARXIV_ID, TITLE = str(PAPER["arxiv_id"]), str(PAPER["title"])


def merged_by_maintainers(remote: Remote, forge: FakeForge) -> None:
    """The service's first pull request merged with the forge's button."""
    maintainer_merges(remote, FIRST, "merge")
    forge.merge(1)


@pytest.mark.parametrize("form", sorted(HAND_LINKS))
def test_a_paper_linked_by_hand_and_taken_out_is_named_in_the_pull_request(
    form: str, remote: Remote, forge: FakeForge, settings: Settings, database: Database
) -> None:
    """The pull request found its papers by their arXiv abs links only: one the maintainers linked through its pdf,
    Hugging Face, alphaXiv or DOI page was taken out under "Update the list", its description naming no paper."""
    reviewer, publisher = services(database, settings)
    candidate_id = insert_candidate(database, PAPER)
    reviewer.decide(candidate_id, "approve", ANN)
    assert publisher.publish().outcome == PUBLISHED
    merged_by_maintainers(remote, forge)
    remote.relink(ARXIV_ID, HAND_LINKS[form])
    assert publisher.publish().outcome == UNCHANGED
    reviewer.decide(candidate_id, "revert", ANN)
    result = publisher.publish()
    assert result.outcome == PUBLISHED, result.message
    assert forge.pulls[2]["head"]["ref"] == SECOND
    assert forge.pulls[2]["title"] == "Remove 1 paper (awesome-digest)"
    body = forge.pulls[2]["body"]
    assert f"- remove [{TITLE}](https://arxiv.org/abs/{ARXIV_ID}) (removed by ann via discord)" in body.splitlines()
    assert "regenerated" not in body
    assert git(remote.bare, "log", "-1", "--format=%s", SECOND).strip() == f"Remove 1 paper: {TITLE}"


@pytest.mark.parametrize("form", ["abs", *sorted(HAND_LINKS)])
def test_a_paper_the_list_holds_by_hand_and_approved_into_another_section_is_named_in_the_pull_request(
    form: str, remote: Remote, forge: FakeForge, settings: Settings, database: Database
) -> None:
    """The maintainers list the paper in one section by hand; approved into another, the pull request adds an entry
    for it. Counted as a paper linked before and after, it was left out (with an abs link by hand as well)."""
    reviewer, publisher = services(database, settings)
    link = "https://arxiv.org/abs/{id}" if form == "abs" else HAND_LINKS[form]
    by_hand = f"+ [{TITLE}]({link.format(id=ARXIV_ID)}) (May. 21, 2025)\n\n"
    steering = "+ **Diffusion Steering Lens Decoding ViTs**"  # the first entry of the Steering section
    remote.push_edit(steering, by_hand + steering, "List a paper by hand")
    assert publisher.publish().outcome == UNCHANGED
    reviewer.decide(insert_candidate(database, PAPER), "approve", ANN, "Sparse Autoencoder")
    result = publisher.publish()
    assert result.outcome == PUBLISHED, result.message
    assert forge.pulls[1]["title"] == "Add 1 paper (awesome-digest)"
    line = f"- add [{TITLE}](https://arxiv.org/abs/{ARXIV_ID}) in *Sparse Autoencoder* (approved by ann via discord)"
    assert line in forge.pulls[1]["body"].splitlines()
    assert git(remote.bare, "log", "-1", "--format=%s", FIRST).strip() == f"Add 1 paper: {TITLE} (Sparse Autoencoder)"


def test_a_paper_moved_to_another_section_is_named_a_move_in_the_pull_request(
    remote: Remote, forge: FakeForge, settings: Settings, database: Database
) -> None:
    """A paper on the target branch approved into another section is linked there as often as before: the pull request
    that moves it said "Update the list", naming no paper (the commit on its branch named the move)."""
    reviewer, publisher = services(database, settings)
    candidate_id = insert_candidate(database, PAPER)
    reviewer.decide(candidate_id, "approve", ANN)
    assert publisher.publish().outcome == PUBLISHED
    merged_by_maintainers(remote, forge)
    assert publisher.publish().outcome == UNCHANGED
    reviewer.decide(candidate_id, "approve", ANN, "Steering")
    assert publisher.publish().outcome == PUBLISHED
    assert forge.pulls[2]["title"] == "Move 1 paper (awesome-digest)"
    line = f"- move [{TITLE}](https://arxiv.org/abs/{ARXIV_ID}) in *Steering* (approved by ann via discord)"
    assert line in forge.pulls[2]["body"].splitlines()
    assert git(remote.bare, "log", "-1", "--format=%s", SECOND).strip() == f"Move 1 paper: {TITLE} (Steering)"
