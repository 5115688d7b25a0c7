"""Sections the list repeats ('Probing' in each year's block) are offered and recorded by their label
('Probing (2024)'): the places that read a recorded or suggested section must take the label as the section it names."""

from __future__ import annotations

from pathlib import Path

from digest.publish.publisher import PUBLISHED, Publisher
from digest.review.reviewer import Reviewer
from digest.service.wiring import open_service_database
from tests.conftest import make_settings
from tests.factories import insert_candidate
from tests.git_remote import make_remote, publish_config
from tests.test_list_hand_edits import ANN, NOW, paper_dated
from tests.test_list_readmes import YEAR_BLOCKS


def test_an_approval_into_a_repeated_section_before_publishing_was_on_survives_the_first_sync(tmp_path: Path) -> None:
    """The first sync's base left out the entries approvals made by matching the decision's section to the section's
    name; a decision recorded as 'Probing (2024)' matched no 'Probing', so the approved entry was in the base, taken
    for the maintainers' own, and the first sync dropped it from the list without a word."""
    remote = make_remote(tmp_path)
    remote.push_edit(remote.readme(), YEAR_BLOCKS, subject="Our own list")
    seed = tmp_path / "seed.md"
    seed.write_text(YEAR_BLOCKS, encoding="utf-8")
    settings = make_settings(tmp_path / "data", f'seed_list = "{seed}"\n' + publish_config(remote.url))
    database = open_service_database(settings)
    try:
        candidate_id = insert_candidate(database, paper_dated(4, "2024-06-20"))
        outcome = Reviewer(database, settings, clock=lambda: NOW).decide(
            candidate_id, "approve", ANN, section="Probing (2024)"
        )
        assert outcome.message == "approved into Probing (2024)"
        publisher = Publisher(database, settings, clock=lambda: NOW)
        publisher.remember_base()  # publishing switched on
        result = publisher.publish()
        assert result.outcome == PUBLISHED, result.message
        assert "(Jun. 20, 2024)" in remote.readme().split("## 2024")[1]
        assert "(Jun. 20, 2024)" in settings.list_markdown_path.read_text(encoding="utf-8")
    finally:
        database.dispose()
