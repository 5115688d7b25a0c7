"""Entries written the other ways GitHub shows them (a task list's checkbox, a date after a comma, a dash or in
brackets, a table's empty cells): read as the list's papers, and a new entry written as its neighbours are. Each test
names the layout; the "was:" notes say what the list did before.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from digest.awesome.lint import lint_text
from digest.awesome.parse import parse_list
from digest.review.reviewer import Reviewer
from digest.storage.models import Paper
from tests.factories import insert_candidate
from tests.list_edits import ANN, NOW, approve, markdown, own_list, paper_dated

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


# 2. A date written after the title another common way than '(Jan. 5, 2024)': after a comma or a dash, in brackets, in
# a code span. It was not read: lint could not see the section's order, and an approval went in undated.
DATED_WAYS = [
    pytest.param("{}, Jan. 5, 2024", id="comma"),
    pytest.param("{} - Jan. 5, 2024", id="dash"),
    pytest.param("{} [Jan. 5, 2024]", id="brackets"),
    pytest.param("{} `(Jan. 5, 2024)`", id="code"),
]


def dated_list(way: str) -> str:
    def entry(title: str, arxiv_id: str, day: str) -> str:
        return "- " + way.format(f"[{title}](https://arxiv.org/abs/{arxiv_id})").replace("Jan. 5, 2024", day) + "\n"

    return (
        "# Awesome X\n\n## Papers\n\n"
        + entry("Alpha paper", "2401.00001", "Jan. 5, 2024")
        + entry("Beta paper", "2301.00002", "Jan. 4, 2023")
        + "\n## Contribution\n\nSend pull requests.\n"
    )


@pytest.mark.parametrize("way", DATED_WAYS)
def test_a_date_written_another_common_way_is_read_and_a_new_entry_is_written_alike(way: str, own_list: Any) -> None:
    text = dated_list(way)
    entries = parse_list(text).sections[1].entries
    assert [entry.date_parts for entry in entries] == [(2024, 1, 5), (2023, 1, 4)]  # was: [None, None]
    assert lint_text(text) == []  # was: two "no-date" findings
    settings, database = own_list(text)
    approve(database, settings, paper_dated(4, "2023-06-20"), "Papers")
    after = markdown(database, settings)
    new_line = next(line for line in after.splitlines() if "Jun. 20, 2023" in line)
    written = way.format("").replace("Jan. 5, 2024", "Jun. 20, 2023")
    assert new_line.endswith(")" + written), new_line  # was: ' (Jun. 20, 2023)' whatever the neighbours wrote
    assert after.index("Jan. 5, 2024") < after.index(new_line) < after.index("Jan. 4, 2023")


# 3. A table whose rows leave a cell they have nothing for empty ('| |'): an approved paper's row wrote '-' there.
A = "[Line of Sight](https://arxiv.org/abs/2506.04706)"
B = "[Linear structure of VLM embeddings](https://arxiv.org/abs/2504.11695)"


@pytest.mark.parametrize("empty", [" ", "", "  "], ids=["space", "none", "two-spaces"])
def test_a_new_rows_empty_cells_are_written_as_its_neighbours_leave_theirs(own_list: Any, empty: str) -> None:
    text = (
        f"# X\n\n## Papers\n\n| Title | Date | Code | Venue |\n|---|---|---|---|\n"
        f"| {A} | 2025-06-05 |{empty}|{empty}|\n| {B} | 2025-04-16 |{empty}|{empty}|\n"
    )
    settings, database = own_list(text)
    record = paper_dated(5, "2025-05-01")
    approve(database, settings, record, "Papers")
    title = f"[{record['title']}](https://arxiv.org/abs/{record['arxiv_id']})"
    added = [line for line in markdown(database, settings).splitlines() if record["arxiv_id"] in line]
    assert added == [f"| {title} | 2025-05-01 |{empty}| arXiv |"]  # was: '| - |' where its neighbours leave it empty


# 4. A section of task-list items ('- [ ] [Title](url)', '- [x] ...'): an approved paper went in as '- [Title](url)',
# the one item of the section without a checkbox. It is written with an empty one ('- [ ] '), not yet ticked.
def test_an_approved_paper_in_a_task_list_section_gets_an_empty_checkbox(own_list: Any) -> None:
    settings, database = own_list(TASKS)
    record = paper_dated(5, "2023-06-20")
    approve(database, settings, record, "Papers")
    after = markdown(database, settings)
    title = f"[{record['title']}](https://arxiv.org/abs/{record['arxiv_id']})"
    added = next(line for line in after.splitlines() if record["arxiv_id"] in line)
    assert added == f"- [ ] {title} (Jun. 20, 2023)"  # was: '- [LLM for ...](...) (Jun. 20, 2023)'
    assert after.index("Jan. 5, 2024") < after.index(added) < after.index("Jan. 4, 2023")


# 5. A task list of papers with one that is not on arXiv ('- [ ] [Delta paper](https://openreview.net/...)'): GitHub
# shows it as its neighbours, but it was read as text, a to-do; its paper was not the list's (a poll offered it again,
# and an approval listed it twice). A task item among the section's papers is one; a to-do list's items stay text.
def test_a_task_item_linking_a_page_off_arxiv_among_task_list_papers_is_a_paper(own_list: Any) -> None:
    delta = "- [ ] [Delta paper](https://openreview.net/forum?id=d) (Jan. 2, 2021)\n"
    text = TASKS.replace("\n\n## Contribution", f"\n{delta}\n## Contribution")
    settings, database = own_list(text)
    assert markdown(database, settings) == text
    with database.reading() as session:
        titles = session.scalars(select(Paper.title).order_by(Paper.id)).all()
    assert titles == ["Alpha paper", "Beta paper", "Gamma paper", "Delta paper"]  # was: no Delta paper
    assert lint_text(text) == []


# 6. Entries written with a tab or several spaces after their bullet ('+\t[Title](url)', '-   [Title](url)', as some
# editors indent a list): an approved paper went in as '+ [Title](url)', the one entry of its section written so.
@pytest.mark.parametrize("gap", ["\t", "   "], ids=["tab", "three-spaces"])
def test_an_approved_paper_puts_after_its_bullet_what_its_neighbours_put(own_list: Any, gap: str) -> None:
    text = (
        f"# X\n\n## Papers\n\n+{gap}[Line of Sight](https://arxiv.org/abs/2406.04706) (Jun. 5, 2024)\n\n"
        f"+{gap}[Linear](https://arxiv.org/abs/2304.11695) (Apr. 16, 2023)\n"
    )
    settings, database = own_list(text)
    record = paper_dated(5, "2023-06-20")
    approve(database, settings, record, "Papers")
    added = next(line for line in markdown(database, settings).splitlines() if record["arxiv_id"] in line)
    assert added.startswith(f"+{gap}[{record['title']}]"), added  # was: '+ [LLM for ...'


# 7. A paper moved out of a task list into a section of plain items ('+ [Title](url)'): it kept its checkbox there, the
# one item of the section with one (and, linking a page off arXiv, would have been read as text there: out of the list).
def test_a_paper_moved_out_of_a_task_list_leaves_its_checkbox_behind(own_list: Any) -> None:
    text = TASKS.replace(
        "## Contribution",
        "## Vision\n\n+ [Epsilon paper](https://arxiv.org/abs/2301.00005) (Jan. 4, 2023)\n\n## Contribution",
    )
    settings, database = own_list(text)
    record = paper_dated(5, "2023-06-20")
    candidate_id = insert_candidate(database, record)
    reviewer = Reviewer(database, settings, clock=lambda: NOW)
    reviewer.decide(candidate_id, "approve", ANN, section="Papers")
    reviewer.decide(candidate_id, "approve", ANN, section="Vision")
    added = [line for line in markdown(database, settings).splitlines() if record["arxiv_id"] in line]
    title = f"[{record['title']}](https://arxiv.org/abs/{record['arxiv_id']})"
    assert added == [f"+ {title} (Jun. 20, 2023)"]  # was: '+ [ ] [LLM for ...'


# 8. Entries whose badge line is indented with a tab or four spaces under the title ('+ [Title](url)\n\t[![arXiv]...'),
# as editors that indent with tabs write them: an approved paper's badge line went in indented with two spaces, the one
# entry of its section so written.
@pytest.mark.parametrize("indent", ["\t", "    "], ids=["tab", "four-spaces"])
def test_an_approved_papers_badge_line_is_indented_as_its_neighbours(own_list: Any, indent: str) -> None:
    def entry(title: str, arxiv_id: str, day: str) -> str:
        url = f"https://arxiv.org/abs/{arxiv_id}"
        return f"+ [{title}]({url}) ({day})\n{indent}[![arXiv](https://img.shields.io/badge/arXiv-b31b1b.svg)]({url})\n"

    text = (
        "# X\n\n## Papers\n\n"
        + entry("Line of Sight", "2406.04706", "Jun. 5, 2024")
        + entry("Linear", "2304.11695", "Apr. 16, 2023")
    )
    settings, database = own_list(text)
    assert markdown(database, settings) == text
    record = paper_dated(5, "2023-06-20")
    approve(database, settings, record, "Papers")
    after = markdown(database, settings).splitlines()
    badge = next(line for line in after if record["arxiv_id"] in line and "img.shields.io" in line)
    assert badge.startswith(f"{indent}[![arXiv]"), repr(badge)  # was: '  [![arXiv]...'
    assert lint_text("\n".join(after) + "\n") == []


# 9. A task list whose entries all carry a short name ('- [ ] **Alpha** [Alpha paper](url)'): the short names went
# unseen behind the checkbox, so an approved paper went in without one, the one entry of its section so written.
def test_an_approved_paper_in_a_task_list_of_short_names_gets_one(own_list: Any) -> None:
    text = (
        "# Awesome X\n\n## Papers\n\n"
        "- [ ] **Alpha** [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n"
        "- [x] **Beta** [Beta paper](https://arxiv.org/abs/2301.00002) (Jan. 4, 2023)\n"
        "- [X] **Gamma** [Gamma paper](https://arxiv.org/abs/2201.00003) (Jan. 3, 2022)\n"
    )
    settings, database = own_list(text)
    assert markdown(database, settings) == text
    record = paper_dated(9, "2023-06-20")  # 'All for One, and One for All: UrbanSyn Dataset, ...'
    approve(database, settings, record, "Papers")
    added = next(line for line in markdown(database, settings).splitlines() if record["arxiv_id"] in line)
    assert added.startswith("- [ ] **All for One, and One for All** [All for One"), added  # was: '- [ ] [All for ...'
