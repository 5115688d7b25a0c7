"""Awesome-list READMEs as maintainers write them on other lists (titles wrapped by an editor, oldest-first sections,
HTML anchors, links written the CommonMark ways), through import, lint and approval. Each test names the layout;
the "was:" notes say what the list did before.
"""

from __future__ import annotations

from typing import Any

from digest.awesome import store as liststore
from digest.awesome.lint import lint_text
from digest.config import Settings
from digest.storage.db import Database
from tests.test_list_hand_edits import approve, markdown, own_list, paper_dated, reimport, seed_text

__all__ = ["own_list"]  # the fixture, shared with test_list_hand_edits

WRAPPED = "+ [A Survey on Sparse Autoencoders: Interpreting the Internal Mechanisms of Large Language Models]"


# 1. An editor that wraps at 80 columns puts the end of a long title on the next line: GitHub shows one link, and the
# paper was silently no longer in the list (not announced as removed by lint, suggested again by the next poll).
def test_a_title_wrapped_onto_the_next_line_is_still_the_lists_paper(database: Database, settings: Settings) -> None:
    seed = seed_text(settings)
    assert seed.count(WRAPPED) == 1
    edited = seed.replace(WRAPPED, WRAPPED.replace(": Interpreting the", ": Interpreting the\n  "))
    report = reimport(database, edited)
    assert report.removed == [], report.removed  # was: the survey "removed"
    assert markdown(database, settings) == edited
    with database.reading() as session:
        assert "2503.05613" in liststore.known_keys(session).arxiv_ids
    assert [f for f in lint_text(edited) if f.line == 45] == [
        f for f in lint_text(seed) if f.line == 45
    ]  # the entry's date is read from the line the link closes on


def test_an_approval_beside_a_wrapped_title_goes_at_its_date(own_list: Any) -> None:
    text = (
        "# Awesome X\n\n## Papers\n\n"
        "+ [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n\n"
        "+ [Beta paper with a title long enough that the editor\n  wrapped it](https://arxiv.org/abs/2301.00002)"
        " (Jan. 4, 2023)\n\n"
        "## Contribution\n\nSend pull requests.\n"
    )
    settings, database = own_list(text)
    approve(database, settings, paper_dated(4, "2023-06-20"), "Papers")
    after = markdown(database, settings)
    assert after.index("(Jan. 5, 2024)") < after.index("(Jun. 20, 2023)") < after.index("(Jan. 4, 2023)")
    # was: below Beta, whose lines were read as more of Alpha's entry
