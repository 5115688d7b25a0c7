"""Entries written the other ways GitHub shows them (a task list's checkbox, a date after a comma, a dash or in
brackets, a table's empty cells): read as the list's papers, and a new entry written as its neighbours are. Each test
names the layout; the "was:" notes say what the list did before.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from digest.awesome.lint import lint_text
from digest.storage.models import Paper
from tests.test_list_hand_edits import markdown, own_list

__all__ = ["own_list"]

TASKS = (
    "# Awesome X\n\n## Papers\n\n"
    "- [ ] [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n"
    "- [x] [Beta paper](https://arxiv.org/abs/2301.00002) (Jan. 4, 2023)\n"
    "- [X] **Gamma** [Gamma paper](https://arxiv.org/abs/2201.00003) (Jan. 3, 2022)\n\n"
    "## Contribution\n\n"
    "- [ ] [Add your paper](https://github.com/x/y/pulls)\n"
)


# 1. A task list's items ('- [ ] [Title](url)'): GitHub shows a checkbox and the paper's link; the list read them as
# text, so their papers were not the list's and came back from the poll as candidates.
def test_task_list_items_linking_papers_are_the_lists_papers(own_list: Any) -> None:
    settings, database = own_list(TASKS)
    assert markdown(database, settings) == TASKS
    with database.reading() as session:
        titles = session.scalars(select(Paper.title).order_by(Paper.id)).all()
    assert titles == ["Alpha paper", "Beta paper", "Gamma paper"]  # was: [] (the file refused: no entries)
    assert lint_text(TASKS) == []
