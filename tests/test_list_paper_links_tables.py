"""Maintainers' lists that keep their papers as the rows of a table (linked directly or by reference, dated in a
column or after the title, a table of contents beside them), through import, the poll's dedupe against the list,
lint, approval and the weekly digest. Each test names the shape; the "was:" notes say what the list did before.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import delete, select

from digest.awesome import store as liststore
from digest.awesome.lint import lint_text
from digest.awesome.parse import parse_list
from digest.awesome.reading import META_KEY
from digest.service.wiring import open_service_database
from digest.storage.models import ListMeta, Paper, Section
from digest.weekly.contents import load_digest
from digest.weekly.issue import IsoWeek
from digest.weekly.rendering import render
from tests.list_edits import approve, markdown, paper_dated
from tests.list_polls import RELEVANT, arxiv_ids, poll_relevant
from tests.list_polls import polled_list as polled_list  # the fixture

# 2. Papers kept as the rows of a table (as many paper lists write them): none of them was an entry, so the poll
# suggested each again, the public feed did not know them, and the section took no approvals.
TABLE = (
    "# Awesome X\n\n## Papers\n\n"
    "| Title | Venue | Date | Code |\n"
    "|:------|:-----:|:----:|:----:|\n"
    "| [**Line of Sight**](https://arxiv.org/abs/2506.04706) | arXiv | 2025-06-05 | - |\n"
    "| [**Linear structure of VLM embeddings**](https://arxiv.org/abs/2504.11695) | ICML 2025 | 2025-04-16 |"
    " [GitHub](https://github.com/example/vlm-embeddings) |\n\n"
    "## Older\n\n"
    "| Title | Venue | Paper | Code |\n"
    "| --- | --- | --- | --- |\n"
    "| Textual steering vectors | NeurIPS 2025 | [arXiv](https://arxiv.org/abs/2505.14071) | - |\n"
)


@pytest.mark.asyncio
async def test_papers_in_a_table_are_the_lists_papers_and_an_approval_is_a_row_of_the_table(polled_list: Any) -> None:
    from markdown_it import MarkdownIt

    settings, database = polled_list(TABLE)
    assert markdown(database, settings) == TABLE
    assert arxiv_ids(database) == {
        "Line of Sight": "2506.04706",
        "Linear structure of VLM embeddings": "2504.11695",
        "Textual steering vectors": "2505.14071",
    }  # was: no paper at all
    assert [f for f in lint_text(TABLE) if f.severity == "error"] == []
    assert await poll_relevant(settings, database) == (3, [])  # was: (0, all three suggested again)
    record = paper_dated(4, "2025-05-01")  # between the two rows of Papers
    approve(database, settings, record, "Papers")
    after = markdown(database, settings)
    rows = after.split("## Older")[0].splitlines()[6:9]
    assert rows[0].startswith("| [**Line of Sight**]") and rows[2].startswith("| [**Linear structure")
    assert rows[1] == f"| [{record['title']}](https://arxiv.org/abs/{record['arxiv_id']}) | arXiv | 2025-05-01 | - |"
    cells = [token.content for token in MarkdownIt().enable("table").parse(after) if token.type == "inline"]
    assert f"[{record['title']}](https://arxiv.org/abs/{record['arxiv_id']})" in cells  # a cell of the table


# 7. A table of contents written as a table ('| [Papers](#papers) | [Tools](#tools) |') is links within the page,
# not papers: its section was offered for approvals and its cells were papers named "Papers".
CONTENTS_TABLE = (
    "# Awesome X\n\n## Contents\n\n| Papers | Tools |\n| --- | --- |\n| [Papers](#papers) | [Tools](#tools) |\n\n"
    "## Papers\n\n+ [Alpha paper](https://arxiv.org/abs/2501.00001) (Jan. 5, 2025)\n\n"
    "## Tools\n\n+ [Beta tool](https://github.com/example/beta)\n"
)


def test_a_table_of_contents_is_not_a_table_of_papers(polled_list: Any) -> None:
    settings, database = polled_list(CONTENTS_TABLE)
    with database.reading() as session:
        assert liststore.section_names(session) == ["Papers", "Tools"]
    assert set(arxiv_ids(database)) == {"Alpha paper", "Beta tool"}
    assert markdown(database, settings) == CONTENTS_TABLE


# 8. A list stored by the release before, which read a table's rows as text: this release reads them again as the
# list's papers when the database is next opened, and they are no news (the file always held them).
def test_table_papers_read_again_after_the_upgrade_are_not_announced_as_new(polled_list: Any) -> None:
    listed = "+ [Open Problems in Mechanistic Interpretability](https://arxiv.org/abs/2501.16496) (Jan. 27, 2025)\n\n"
    settings, database = polled_list(TABLE.replace("## Papers\n\n", f"## Surveys\n\n{listed}## Papers\n\n"))
    with database.transaction() as session:  # as the release before this one stored the list: rows as text
        for section in session.scalars(select(Section).where(Section.name != "Surveys")):
            entries = sorted(section.entries, key=lambda entry: entry.position)
            section.intro_raw += "".join(entry.raw for entry in entries)
            section.kind = "text" if entries else section.kind
            for entry in entries:
                session.delete(entry)
        session.flush()
        session.execute(delete(Paper).where(Paper.arxiv_id.in_(RELEVANT)))
        session.execute(delete(ListMeta).where(ListMeta.key == META_KEY))
    database.dispose()
    reopened = open_service_database(settings)
    try:
        assert set(arxiv_ids(reopened).values()) == {*RELEVANT, "2501.16496"}
        today = datetime.now(UTC).isocalendar()
        with reopened.reading() as session:
            digest = load_digest(session, settings, IsoWeek(today.year, today.week), edition="readers")
            text = render(digest, settings.templates_dir, "digest.md.j2")
        assert "no papers joined the list" in text  # was: the three table papers, announced as new this week
    finally:
        reopened.dispose()


# 9. A table without a Date column: lint asked for "a date in parentheses after the title", and a row written so
# ('| Title (May 20, 2025) | ... |') still had no date (an approval among them went to the top, lint kept asking).
def test_a_tables_row_dated_in_parentheses_after_its_title_as_lint_asks_has_that_date() -> None:
    undated = [f.line for f in lint_text(TABLE) if f.code == "no-date"]
    assert undated == [14]
    dated = TABLE.replace("| Textual steering vectors |", "| Textual steering vectors (May 20, 2025) |")
    assert [f for f in lint_text(dated) if f.code in ("no-date", "bad-date")] == []  # was: no-date on line 14
    entry = parse_list(dated).sections[-1].entries[0]
    assert (entry.title, entry.published) == ("Textual steering vectors", date(2025, 5, 20))


# 10. An approval into a table of one row (a CRLF list, as Windows editors save it): the new row went after a blank
# line, outside the table, where GitHub shows it as a line of text with pipes.
def test_an_approval_into_a_table_of_one_row_is_a_row_of_that_table(polled_list: Any) -> None:
    from markdown_it import MarkdownIt

    text = TABLE.replace("\n", "\r\n")
    settings, database = polled_list(text)
    record = paper_dated(5, "2020-05-01")
    approve(database, settings, record, "Older")
    after = markdown(database, settings)
    assert after.replace("\r\n", "").count("\n") == 0  # every line ends as the file's do
    cells = [token.content for token in MarkdownIt().enable("table").parse(after) if token.type == "inline"]
    assert f"[{record['title']}](https://arxiv.org/abs/{record['arxiv_id']})" in cells  # was: a paragraph, no cell
    assert after.endswith(f"| [arXiv](https://arxiv.org/abs/{record['arxiv_id']}) | - |\r\n")


# 13. Rows that link their papers by reference ('| [Title][los] | ... |' over '[los]: https://arxiv.org/abs/...'
# at the end of the list), as list entries may since reader version 8: an approval among them was written as a list
# item under the table, which GitHub shows as text after it, and the poll did not see such rows' papers as listed.
REFERENCED_TABLE = (
    "# Awesome X\n\n## Papers\n\n"
    "| Title | Venue | Date | Code |\n"
    "|:------|:-----:|:----:|:----:|\n"
    "| [**Line of Sight**][los] | arXiv | 2025-06-05 | - |\n"
    "| [**Linear structure of VLM embeddings**][vlm] | ICML 2025 | 2025-04-16 | - |\n\n"
    "## Older\n\n"
    "| Title | Venue | Paper | Code |\n"
    "| --- | --- | --- | --- |\n"
    "| Textual steering vectors | NeurIPS 2025 | [arXiv][tsv] | - |\n\n"
    "[los]: https://arxiv.org/abs/2506.04706\n"
    "[vlm]: <https://arxiv.org/abs/2504.11695>\n"
    "[TSV]: https://arxiv.org/abs/2505.14071 'Textual steering vectors'\n"
)


@pytest.mark.asyncio
async def test_rows_linking_their_papers_by_reference_are_the_lists_papers_and_take_an_approval_as_a_row(
    polled_list: Any,
) -> None:
    from markdown_it import MarkdownIt

    settings, database = polled_list(REFERENCED_TABLE)
    assert markdown(database, settings) == REFERENCED_TABLE
    assert await poll_relevant(settings, database) == (3, [])
    record = paper_dated(4, "2025-05-01")  # between the two rows of Papers
    approve(database, settings, record, "Papers")
    after = markdown(database, settings)
    rows = after.split("## Older")[0].splitlines()[6:9]
    assert rows[0].startswith("| [**Line of Sight**]") and rows[2].startswith("| [**Linear structure")
    assert rows[1] == f"| [{record['title']}](https://arxiv.org/abs/{record['arxiv_id']}) | arXiv | 2025-05-01 | - |"
    cells = [token.content for token in MarkdownIt().enable("table").parse(after) if token.type == "inline"]
    assert f"[{record['title']}](https://arxiv.org/abs/{record['arxiv_id']})" in cells  # was: a list item, no cell
    older = paper_dated(5, "2020-05-01")  # into the table of one row linking only by reference
    approve(database, settings, older, "Older")
    after = markdown(database, settings)
    cells = [token.content for token in MarkdownIt().enable("table").parse(after) if token.type == "inline"]
    assert f"[{older['title']}](https://arxiv.org/abs/{older['arxiv_id']})" in cells
