"""Papers kept in Markdown tables the way hand-kept lists keep them (a table beside a list of papers, a table for each
year, a table written without its outer pipes), through approval: the list file must stay a table GitHub shows as
one, with only the approved paper's line added. The "was:" notes say what the list did before.
"""

from __future__ import annotations

from typing import Any

import pytest
from markdown_it import MarkdownIt

from tests.list_edits import NOW, approve, markdown, paper_dated
from tests.list_edits import own_list as own_list  # the fixture


def table_rows(text: str) -> list[list[str]]:
    """The rows of every table GitHub shows in `text` (header rows included), as lists of their cells' text."""
    rows: list[list[str]] = []
    for token in MarkdownIt().enable("table").parse(text):
        if token.type == "tr_open":
            rows.append([])
        elif token.type == "inline" and token.level >= 4:  # a cell's text (th/td inside tr inside thead/tbody)
            rows[-1].append(token.content)
    return rows


def added_lines(before: str, after: str) -> list[str]:
    """The lines `after` has that `before` lacks, when it holds every line of `before` in order; else fails."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    added, at = [], 0
    for line in new:
        if at < len(old) and line == old[at]:
            at += 1
        else:
            added.append(line)
    assert at == len(old), "a line of the maintainers' list was changed or lost"
    return added


A = "[Line of Sight](https://arxiv.org/abs/2506.04706)"
B = "[Linear structure of VLM embeddings](https://arxiv.org/abs/2504.11695)"
C = "[Textual steering vectors](https://arxiv.org/abs/2505.14071)"
# A table of papers with a list of papers under it (as lists add a 'More' list once a table grows long).
TABLE_THEN_LIST = (
    f"# Awesome X\n\n## Papers\n\n| Title | Date |\n|---|---|\n| {A} | 2025-06-05 |\n| {B} | 2025-04-16 |\n\n"
    f"More:\n\n+ {C} (2025-03-20)\n"
)
# A table for each year, the older one with its columns in another order.
YEAR_TABLES = (
    f"# Awesome X\n\n## Papers\n\n**2025**\n\n| Title | Venue | Date |\n|---|---|---|\n| {A} | ICML | 2025-06-05 |\n"
    f"| {B} | ICLR | 2025-04-16 |\n\n**2024**\n\n| Date | Title |\n|---|---|\n| 2024-03-01 | {C} |\n"
)
# A table written without its outer pipes (GitHub shows it as a table all the same).
NO_OUTER_PIPES = f"# Awesome X\n\n## Papers\n\nTitle | Date\n--- | ---\n{A} | 2025-06-05\n{B} | 2025-04-16\n"


# 1. A paper dated between two rows of a table went in as a '+ ' line among the rows (in a section holding a list too,
# or in a table without outer pipes), which ends the table on GitHub; in a section with a table for each year, it went
# into the newer table with the older table's columns (its date under 'Title').
@pytest.mark.parametrize("text", [TABLE_THEN_LIST, YEAR_TABLES, NO_OUTER_PIPES], ids=["list", "years", "pipes"])
def test_an_approval_between_two_rows_is_a_row_of_that_table_in_its_columns(own_list: Any, text: str) -> None:
    settings, database = own_list(text)
    record = paper_dated(5, "2025-05-01")
    approve(database, settings, record, "Papers")
    after = markdown(database, settings)
    title = f"[{record['title']}](https://arxiv.org/abs/{record['arxiv_id']})"
    assert len(added_lines(text, after)) == 1  # one line: no blank line, no other line touched
    rows = table_rows(after)
    assert rows[:4] == [rows[0], [A, *rows[1][1:]], [title, *rows[2][1:]], [B, *rows[3][1:]]]  # was: the table cut
    assert rows[2][rows[0].index("Date")] == "2025-05-01"  # was: under 'Title', the date column given the title


# 2. In a table without a Date column, whose rows give their dates in parentheses after the title (as lint asks of
# them), an approved paper's row had no date: lint warned of the service's own row, and the row's date, kept in the
# database, was lost at the next import.
def test_an_approval_into_a_table_dated_after_its_titles_is_dated_so_too(own_list: Any) -> None:
    from digest.awesome.lint import lint_text

    text = f"# X\n\n## Papers\n\n| Title | Code |\n|---|---|\n| {A} (Jun. 5, 2025) | - |\n| {B} (Apr. 16, 2025) | - |\n"
    settings, database = own_list(text)
    record = paper_dated(5, "2025-05-01")
    approve(database, settings, record, "Papers")
    after = markdown(database, settings)
    title = f"[{record['title']}](https://arxiv.org/abs/{record['arxiv_id']})"
    assert added_lines(text, after) == [f"| {title} (May. 1, 2025) | - |\n"]  # was: '| {title} | - |', no date
    assert [finding.code for finding in lint_text(after)] == []


# 3. A table whose row links only the paper's code (a paper with no paper page linked yet), or a row with no title
# under a paper's row giving a second link of it: the whole list was refused ('entry has no [Title](url) link'), as a
# seed list and at every import, where GitHub shows a table like any other.
def test_a_table_row_linking_only_its_code_or_without_a_title_does_not_refuse_the_list(own_list: Any) -> None:
    from digest.awesome import store as liststore
    from digest.awesome.lint import lint_text

    text = (
        "# X\n\n## Papers\n\n| Title | Venue | Paper | Code |\n|---|---|---|---|\n"
        "| Textual steering vectors | NeurIPS 2025 | [arXiv](https://arxiv.org/abs/2505.14071) | - |\n"
        "| | | | [Demo](https://example.org/demo) |\n"
        "| New method | CVPR 2025 | - | [GitHub](https://github.com/example/new-method) |\n"
    )
    assert [finding.code for finding in lint_text(text) if finding.severity == "error"] == []  # was: 'no-link'
    settings, database = own_list(text)  # was: ConfigError, 'seed.md:8: entry has no [Title](url) link'
    assert markdown(database, settings) == text
    with database.reading() as session:
        held = liststore.known_keys(session)
    assert held.arxiv_ids == {"2505.14071"} and held.title_keys == {"new method"}


# 4. A row of a table with a Date column, its date cell '-': lint asked for 'a date in parentheses after the title',
# which in such a table is never read as its date (the warning stayed, whatever the maintainer did).
def test_lint_asks_a_row_without_a_date_for_one_in_its_date_column() -> None:
    from digest.awesome.lint import lint_text

    rows = f"| {A} | 2025-06-05 |\n| {B} | - |\n| {C} | 2025-03-20 |\n"
    text = f"# X\n\n## Papers\n\n| Title | Published |\n|---|---|\n{rows}"
    assert [(f.line, f.code, f.message) for f in lint_text(text)] == [
        (8, "no-date", "row has no date in its 'Published' column")
    ]


# 5. A new section a maintainer starts as the list's others are, with a table's header and no row yet: it was prose,
# offered for no approval ('no section named ...'); once it held a paper, GitHub showed a '+ ' line under the empty
# table instead of its first row.
def test_a_new_section_holding_an_empty_table_takes_its_first_row(own_list: Any) -> None:
    from digest.awesome import store as liststore

    text = (
        f"# X\n\n## Papers\n\n| Title | Date |\n|---|---|\n| {A} | Jun. 5, 2025 |\n| {B} | Apr. 16, 2025 |\n\n"
        "## Vision\n\n| Title | Date |\n|---|---|\n\n## Tools\n\n+ [Tool](https://example.org/tool)\n"
    )
    settings, database = own_list(text)
    with database.reading() as session:
        assert liststore.section_names(session) == ["Papers", "Vision", "Tools"]  # was: no 'Vision'
    record = paper_dated(5, "2025-05-01")
    approve(database, settings, record, "Vision")
    after = markdown(database, settings)
    title = f"[{record['title']}](https://arxiv.org/abs/{record['arxiv_id']})"
    assert added_lines(text, after) == [f"| {title} | May. 1, 2025 |\n"]
    assert table_rows(after)[-2:] == [["Title", "Date"], [title, "May. 1, 2025"]]  # under its table's header


# 6. A table whose column names carry an emoji ('| 📄 Title | 📅 Date | 💻 Code |', as many lists write them): its
# rows had no date (a paper was put above them all, whatever its date) and an approved row left Date and Code empty.
def test_a_table_whose_column_names_carry_emoji_is_read_and_written_by_them(own_list: Any) -> None:
    text = (
        "# X\n\n## Papers\n\n| 📄 **Title** | 📅 Date | 💻 Code |\n|---|---|---|\n"
        f"| {A} | 2025-06-05 | [GitHub](https://github.com/example/sight) |\n| {B} | 2025-04-16 | - |\n"
    )
    settings, database = own_list(text)
    record = paper_dated(5, "2025-05-01")
    approve(database, settings, record, "Papers")
    title = f"[{record['title']}](https://arxiv.org/abs/{record['arxiv_id']})"
    rows = table_rows(markdown(database, settings))
    assert rows[2] == [title, "2025-05-01", "-"]  # was: first, under the header, with 'Date' and 'Code' empty


# 7. The first row approved into such a section before publishing was switched on: the list without the approvals
# (what the first publish takes the repository's file to be) lost the blank line under the empty table, so the first
# publish said 'the list here holds edits of its own' where it held none.
def test_the_list_before_a_first_row_in_an_empty_table_is_the_file_as_it_was(own_list: Any) -> None:
    from digest.publish.store import first_base

    text = (
        f"# X\n\n## Papers\n\n| Title | Date |\n|---|---|\n| {A} | Jun. 5, 2025 |\n| {B} | Apr. 16, 2025 |\n\n"
        "## Vision\n\n| Title | Date |\n|---|---|\n\n## Tools\n\n+ [Tool](https://example.org/tool)\n"
    )
    settings, database = own_list(text)
    approve(database, settings, paper_dated(5, "2025-05-01"), "Vision")
    with database.reading() as session:
        assert first_base(session, settings.templates_dir)[0] == text  # was: '|---|---|\n## Tools'


# 8. A list of papers right under a table, with no blank line between them, its entries written '- [Title](url) |
# [Code](url)': GitHub ends the table at the first '- ' line, but each such entry was read as a row of the table (its
# code link taken for its 'Date', which lint called no calendar day), and a paper approved beside one went in as a row.
def test_a_list_right_under_a_table_is_no_rows_of_it(own_list: Any) -> None:
    from digest.awesome.lint import lint_text

    code = "[Code](https://github.com/example/code)"
    text = (
        f"# X\n\n## Papers\n\n| Title | Date |\n|---|---|\n| {A} | 2025-06-05 |\n"
        f"- {B} | {code} (2025-04-16)\n- {C} | {code} (2025-03-20)\n"
    )
    assert [finding.code for finding in lint_text(text)] == []  # was: 'bad-date' twice
    settings, database = own_list(text)
    record = paper_dated(5, "2025-03-30")
    approve(database, settings, record, "Papers")
    title = f"[{record['title']}](https://arxiv.org/abs/{record['arxiv_id']})"
    assert added_lines(text, markdown(database, settings)) == [f"- {title} (2025-03-30)\n"]  # was: '| {title} | ...'


# 9. A paper approved into a table with no Date column and no dates, in a list dated elsewhere: its row carries no
# date, but the list page showed one beside it (kept in the database only), until the next import took it away.
def test_the_list_page_shows_no_date_an_approved_row_does_not_carry(own_list: Any) -> None:
    from digest.web.pages import load_list

    text = (
        f"# X\n\n## Papers\n\n+ {A} (Jun. 5, 2025)\n\n+ {B} (Apr. 16, 2025)\n\n"
        f"## Older\n\n| Title | Venue |\n|---|---|\n| {C} | NeurIPS 2025 |\n"
    )
    settings, database = own_list(text)
    record = paper_dated(5, "2020-05-01")
    approve(database, settings, record, "Older")
    title = f"[{record['title']}](https://arxiv.org/abs/{record['arxiv_id']})"
    assert added_lines(text, markdown(database, settings)) == [f"| {title} | arXiv |\n"]
    with database.reading() as session:
        [older] = [section for section in load_list(session, NOW).sections if section.name == "Older"]
    assert [entry.date_text for entry in older.entries] == [None, None]  # was: [None, 'May. 1, 2020']


def _only_row_approved_and_reimported(own_list: Any, line_end: str, after: str) -> tuple[Any, ...]:
    """A list whose 'Vision' table has no row, a paper approved into it, and the list imported again (as the
    maintainers' `digest list import` of the file reads it, the blank line under the table is then the row's own):
    the list's text before, settings, database, reviewer, the candidate's id and its paper."""
    from digest.review.reviewer import Reviewer
    from tests.factories import insert_candidate
    from tests.list_edits import ANN, reimport

    text = f"# X\n\n## Papers\n\n+ {A} (Jun. 5, 2025)\n\n## Vision\n\n| Title | Date |\n|---|---|\n\n{after}"
    text = text.replace("\n", line_end)
    settings, database = own_list(text)
    reviewer = Reviewer(database, settings, clock=lambda: NOW)
    record = paper_dated(5, "2025-05-01")
    candidate_id = insert_candidate(database, record)
    reviewer.decide(candidate_id, "approve", ANN, section="Vision")
    reimport(database, markdown(database, settings))
    return text, settings, database, reviewer, candidate_id, record


# 10. The only row of a section's table, approved and then reverted after the list was imported again (as the
# maintainers' `digest list import` of the file reads it, the blank line under the table the row's own): taking it out
# took that blank line with it, so the next heading stuck to the table ('|---|---|\n## Tools').
@pytest.mark.parametrize("line_end", ["\n", "\r\n"], ids=["lf", "crlf"])
@pytest.mark.parametrize("after", ["## Tools\n\n+ [Tool](https://example.org/tool)\n", ""], ids=["heading", "end"])
def test_reverting_the_only_row_of_a_table_keeps_the_blank_line_under_it(
    own_list: Any, line_end: str, after: str
) -> None:
    from tests.list_edits import ANN, reimport

    text, settings, database, reviewer, candidate_id, record = _only_row_approved_and_reimported(
        own_list, line_end, after
    )
    reviewer.decide(candidate_id, "revert", ANN)
    assert markdown(database, settings) == text  # was: '|---|---|\n## Tools'
    assert not reimport(database, text).changed
    reviewer.decide(candidate_id, "approve", ANN, section="Vision")  # approved again: a row of the table again
    title = f"[{record['title']}](https://arxiv.org/abs/{record['arxiv_id']})"
    assert [row[0] for row in table_rows(markdown(database, settings))[-2:]] == ["Title", title]


# 11. The list without its pending approvals (what publishing takes as the file before them) when the only row of a
# table is pending, after the list was imported again: the row's own blank line was left out with it, so that build
# had the next heading stuck to the table ('|---|---|\n## Tools') and was not the file the maintainers had.
@pytest.mark.parametrize("line_end", ["\n", "\r\n"], ids=["lf", "crlf"])
@pytest.mark.parametrize("after", ["## Tools\n\n+ [Tool](https://example.org/tool)\n", ""], ids=["heading", "end"])
def test_the_list_without_a_tables_only_row_keeps_the_blank_line_under_it(
    own_list: Any, line_end: str, after: str
) -> None:
    from sqlalchemy import select

    from digest.awesome.rendering import render_markdown
    from digest.storage.models import Entry

    text, settings, database, _, _, record = _only_row_approved_and_reimported(own_list, line_end, after)
    with database.reading() as session:
        [row] = session.scalars(select(Entry.id).where(Entry.raw.contains(record["arxiv_id"])))
        without = render_markdown(session, settings.templates_dir, leaving_out={row})
    assert without == text  # was: '|---|---|\n## Tools'


# 12. The first row of an empty table is dated as most of the list's entries are dated: the style was read from 100
# entries taken in no order (the first imported on SQLite, any on PostgreSQL), so a list whose older entries are
# written '2024-05-01' and most of whose entries 'May. 1, 2025' got the older style (and on PostgreSQL either).
def test_the_first_row_of_an_empty_table_is_dated_as_most_of_the_list(own_list: Any) -> None:
    older = "".join(
        f"+ [Older paper {n}](https://example.org/older/{n}) (2024-05-{n % 28 + 1:02d})\n" for n in range(120)
    )
    newer = "".join(
        f"+ [Newer paper {n}](https://example.org/newer/{n}) (Mar. {n % 28 + 1}, 2025)\n" for n in range(150)
    )
    text = f"# X\n\n## Older\n\n{older}\n## Newer\n\n{newer}\n## Vision\n\n| Title | Date |\n|---|---|\n"
    settings, database = own_list(text)
    record = paper_dated(5, "2025-05-01")
    approve(database, settings, record, "Vision")
    title = f"[{record['title']}](https://arxiv.org/abs/{record['arxiv_id']})"
    assert table_rows(markdown(database, settings))[-1] == [title, "May. 1, 2025"]  # was: '2025-05-01'


# 13. Likewise the bullet of the first entry of an empty section: taken from 100 entries read in no order, so a list
# whose older entries use '+' and most of whose entries '-' got '+' (and on PostgreSQL either).
def test_the_first_entry_of_an_empty_section_takes_the_bullet_most_of_the_list_uses(own_list: Any) -> None:
    older = "".join(f"+ [Older paper {n}](https://example.org/older/{n})\n" for n in range(120))
    newer = "".join(f"- [Newer paper {n}](https://example.org/newer/{n})\n" for n in range(150))
    text = f"# X\n\n## Older\n\n{older}\n## Newer\n\n{newer}\n## Vision\n"
    settings, database = own_list(text)
    record = paper_dated(5, "2025-05-01")
    approve(database, settings, record, "Vision")
    added = [line for line in added_lines(text, markdown(database, settings)) if line.strip()]
    assert len(added) == 1 and added[0].startswith(f"- [{record['title']}]"), added  # was: '+ [...'


def test_an_approval_into_a_table_written_without_outer_pipes_is_a_row_written_alike(own_list: Any) -> None:
    text = (
        "# X\n\n## Papers\n\nTitle | Date\n--- | ---\n[Alpha](https://arxiv.org/abs/2401.00001) | 2024-01-05\n"
        "[Beta](https://arxiv.org/abs/2201.00002) | 2022-01-04\n"
    )
    settings, database = own_list(text)
    record = paper_dated(5, "2023-01-01")
    approve(database, settings, record, "Papers")
    row = f"[{record['title']}](https://arxiv.org/abs/{record['arxiv_id']}) | 2023-01-01\n"
    assert f"2024-01-05\n{row}[Beta]" in markdown(database, settings)  # was: '| [...](...) | 2023-01-01 |'
