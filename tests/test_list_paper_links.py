"""A year of maintainers' edits to how the list links its papers and lays them out (a Hugging Face papers page, an
alphaXiv or ar5iv mirror, an arXiv ID written in the text, a table of papers, HTML headings), through import, the
poll's dedupe against the list, lint and approval. Each test names the shape; the "was:" notes say what the list
did before.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from digest.arxiv.poll_pass import run_poll
from digest.awesome import store as liststore
from digest.awesome.lint import lint_text
from digest.awesome.parse import parse_list
from digest.awesome.reading import META_KEY
from digest.config import Settings
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from digest.storage.models import Candidate, ListMeta, Paper, Section
from digest.weekly.contents import load_digest
from digest.weekly.issue import IsoWeek
from digest.weekly.rendering import render
from tests.arxiv_server import ArxivServer, FakeClock, Reply
from tests.conftest import make_settings
from tests.feedbuild import build_rss, load_records
from tests.list_edits import NOW, approve, markdown, paper_dated

RELEVANT = ["2506.04706", "2504.11695", "2505.14071"]  # real papers the poll's model keeps (tests/test_poller.py)


@pytest.fixture
def polled_list(tmp_path: Path) -> Iterator[Any]:
    """A data folder seeded with the test's own list, whose polls ask the loopback arXiv server."""
    opened: list[Database] = []

    def make(text: str) -> tuple[Settings, Database]:
        seed = tmp_path / "seed.md"
        seed.write_bytes(text.encode("utf-8"))
        config = f'seed_list = "{seed}"\n[arxiv]\ncontact = "maintainers@example.org"\n'
        settings = make_settings(tmp_path / "data", config)
        database = open_service_database(settings)
        opened.append(database)
        return settings, database

    yield make
    for database in opened:
        database.dispose()


async def poll_relevant(settings: Settings, database: Database) -> tuple[int, list[str]]:
    """Polls a feed announcing the RELEVANT papers: how many the list already knew, and the new candidates' IDs."""
    by_id = {record["arxiv_id"]: record for record in load_records()}
    body = build_rss("cs.CV", [by_id[arxiv_id] for arxiv_id in RELEVANT], NOW.date())
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=body))
        summary = await run_poll(settings, database, sources=[url], clock=FakeClock())
    with database.reading() as session:
        stored = sorted(session.scalars(select(Candidate.arxiv_id)))
    return summary.sources[0].already_known, stored


def arxiv_ids(database: Database) -> dict[str, str | None]:
    with database.reading() as session:
        return {paper.title: paper.arxiv_id for paper in session.scalars(select(Paper))}


# 1. A paper linked by its Hugging Face papers page, its alphaXiv page or its ar5iv rendering (the pages people share
# now) was a paper without an arXiv ID: a title written shorter than arXiv's was suggested again by every poll.
MIRRORS = (
    "# Awesome X\n\n## Papers\n\n"
    "+ [Line of Sight](https://huggingface.co/papers/2506.04706) (Jun. 5, 2025)\n\n"
    "+ [Linear structure of VLM embeddings](https://www.alphaxiv.org/abs/2504.11695v2) (Apr. 16, 2025)\n\n"
    "+ [Textual steering vectors](https://ar5iv.labs.arxiv.org/html/2505.14071) (May 20, 2025)\n"
)


@pytest.mark.asyncio
async def test_papers_linked_by_their_hugging_face_alphaxiv_or_ar5iv_page_are_not_suggested_again(
    polled_list: Any,
) -> None:
    settings, database = polled_list(MIRRORS)
    assert markdown(database, settings) == MIRRORS
    assert arxiv_ids(database) == {
        "Line of Sight": "2506.04706",
        "Linear structure of VLM embeddings": "2504.11695",
        "Textual steering vectors": "2505.14071",
    }  # was: None each
    assert await poll_relevant(settings, database) == (3, [])  # was: (0, all three suggested again)
    with database.reading() as session:
        assert set(RELEVANT) <= liststore.known_keys(session).arxiv_ids


def test_a_list_stored_before_mirror_links_were_read_gets_their_arxiv_ids_when_the_database_is_next_opened(
    polled_list: Any,
) -> None:
    settings, database = polled_list(MIRRORS)
    with database.transaction() as session:  # as the release before this one stored the list
        session.execute(update(Paper).values(arxiv_id=None))
        session.execute(delete(ListMeta).where(ListMeta.key == META_KEY))
    database.dispose()
    reopened = open_service_database(settings)
    try:
        assert set(arxiv_ids(reopened).values()) == set(RELEVANT)  # was: None each, until the entries were edited
        assert markdown(reopened, settings) == MIRRORS
    finally:
        reopened.dispose()


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


# 3. Sections headed in HTML ('<h2 id="tools">Tools</h2>', as lists centred or styled by hand write them): no
# section, so their papers were the section above's and an approval could not name them.
HTML_HEADINGS = (
    "# Awesome X\n\n"
    '<div align="center">\n  <h1 align="center">Overview</h1>\n</div>\n\n'
    "<h2>Papers</h2>\n\n"
    "+ [Alpha paper](https://arxiv.org/abs/2501.00001) (Jan. 5, 2025)\n\n"
    '<h2 id="tools">🛠️ Tools</h2>\n\n'
    "+ [Gamma paper](https://arxiv.org/abs/2201.00003) (Jan. 4, 2022)\n"
)


def test_sections_headed_in_html_are_sections_and_take_their_approvals(polled_list: Any) -> None:
    settings, database = polled_list(HTML_HEADINGS)
    with database.reading() as session:
        assert liststore.section_names(session) == ["Papers", "Tools"]  # was: ["Awesome X"]
    record = paper_dated(4, "2023-06-20")
    approve(database, settings, record, "Tools")
    after = markdown(database, settings)
    assert after.index("🛠️ Tools</h2>") < after.index(record["arxiv_id"]) < after.index("Gamma paper")
    assert after.replace(after[after.index("+ [", after.index("Tools</h2>")) : after.index("+ [Gamma")], "") == (
        HTML_HEADINGS
    )


# 4. A paper linked by its OpenReview or venue page with its arXiv ID written beside the link ('arXiv:2506.04706'):
# no arXiv ID, so a title written shorter than arXiv's was suggested again.
ID_IN_TEXT = (
    "# Awesome X\n\n## Papers\n\n"
    "+ [Line of Sight](https://openreview.net/forum?id=line0sight) arXiv:2506.04706 (Jun. 5, 2025)\n\n"
    "+ [Linear structure of VLM embeddings](https://proceedings.mlr.press/v267/vlm.html) (arXiv 2504.11695v2)"
    " (Apr. 16, 2025)\n\n"
    "+ [Textual steering vectors](https://openreview.net/forum?id=steer) (May 20, 2025)\n"
    "  Not to be confused with arXiv:2505.14071, which it extends.\n"
)


@pytest.mark.asyncio
async def test_a_paper_with_its_arxiv_id_written_beside_its_link_is_not_suggested_again(polled_list: Any) -> None:
    settings, database = polled_list(ID_IN_TEXT)
    assert markdown(database, settings) == ID_IN_TEXT
    assert arxiv_ids(database) == {
        "Line of Sight": "2506.04706",
        "Linear structure of VLM embeddings": "2504.11695",
        "Textual steering vectors": None,  # an ID in a note under the entry is not the entry's own
    }  # was: None each
    assert await poll_relevant(settings, database) == (2, ["2505.14071"])  # was: (0, all three suggested again)


# 5. A heading name the list repeats under two parents ('Probing' in each year's block): approvals must name it
# 'Probing (2024)', which lint said nothing of (a maintainer learned it from a refused approval).
def test_lint_names_a_repeated_heading_and_how_approvals_tell_them_apart() -> None:
    from tests.list_edits import YEAR_BLOCKS

    found = [(f.line, f.severity, f.message) for f in lint_text(YEAR_BLOCKS) if f.code == "repeated-heading"]
    assert found == [
        (
            15,
            "warning",
            "heading 'Probing' repeats the one on line 5: approvals and decisions name them "
            "'Probing (2025)' and 'Probing (2024)'",
        )
    ]  # was: nothing


# 5b. Two headings whose names differ only in case ('## Papers' and '## papers' under one title): lint and a refused
# approval offered 'Papers (Awesome X)' and 'papers (Awesome X)', and each of those was refused as "no section named",
# names compared without case, so neither section could take an approval.
def test_headings_that_differ_only_in_case_are_offered_under_labels_that_each_take_an_approval(
    polled_list: Any,
) -> None:
    text = (
        "# Awesome X\n\n## Papers\n\n+ [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n\n"
        "## papers\n\n+ [Beta paper](https://arxiv.org/abs/2201.00002) (Jan. 4, 2022)\n"
    )
    (finding,) = [f.message for f in lint_text(text) if f.code == "repeated-heading"]
    labels = re.findall(r"'([^']*\))'", finding)
    assert len(labels) == 2 and labels[0].casefold() != labels[1].casefold(), finding  # was: alike without case
    settings, database = polled_list(text)
    for label, index in zip(labels, (5, 6), strict=True):
        record = paper_dated(index, "2023-06-20")
        approve(database, settings, record, label)  # was: ReviewError no section named 'Papers (Awesome X)'
    after = markdown(database, settings)
    first, second = (f"arxiv.org/abs/{paper_dated(index, '2023-06-20')['arxiv_id']}" for index in (5, 6))
    assert after.index("Alpha paper") < after.index(first) < after.index("## papers") < after.index(second)


# 6. Papers the list holds in lines it does not read as entries (a title in plain text before a '[[Paper]]' link, a
# paper linked by its arXiv DOI): the poll suggested them again, though the maintainers had listed them.
TEXT_SHAPED = (
    "# Awesome X\n\n## Papers\n\n"
    "+ [Line of Sight](https://arxiv.org/abs/2506.04706) (Jun. 5, 2025)\n\n"
    "- Interpreting the linear structure of VLM embeddings. *A. Author et al.* ICML 2025."
    " [[Paper]](https://arxiv.org/abs/2504.11695)\n"
    "- Textual steering vectors, NeurIPS 2025 [[paper](https://doi.org/10.48550/arXiv.2505.14071)]\n"
)


@pytest.mark.asyncio
async def test_papers_the_list_links_outside_its_entries_are_not_suggested_again(polled_list: Any) -> None:
    settings, database = polled_list(TEXT_SHAPED)
    assert markdown(database, settings) == TEXT_SHAPED
    assert await poll_relevant(settings, database) == (3, [])  # was: (1, the other two suggested again)


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


# 11. GitHub gives a heading written in HTML no anchor of its own (only the id written in it): a contents link to
# '#papers' under '<h2>Papers</h2>' leads nowhere, and lint must keep saying so now that such a heading is a section.
def test_a_contents_link_to_an_html_heading_without_an_id_is_still_a_broken_anchor() -> None:
    text = (
        "# X\n\n- [Tools](#tools)\n- [Papers](#papers)\n\n<h2>Papers</h2>\n\n"
        "+ [Alpha paper](https://arxiv.org/abs/2501.00001) (Jan. 5, 2025)\n\n"
        '<h2 id="tools">Tools</h2>\n\n+ [Beta paper](https://arxiv.org/abs/2501.00002) (Jan. 5, 2025)\n'
    )
    assert [(f.line, f.code) for f in lint_text(text) if "anchor" in f.code] == [(4, "broken-anchor")]


# 12. Sections headed in HTML on consecutive lines, no blank line between a heading and what follows ('<h2>Section
# A</h2>' then '<h2>Section B</h2>' on the next line, or after Section A's entries): GitHub shows each '<h2>' as a
# heading, but the second was read as text inside an HTML block the first had opened, so its papers were Section A's.
CONSECUTIVE_HTML_HEADINGS = {
    "entries": (
        "# Awesome X\n\n<h2>Section A</h2>\n+ [Alpha paper](https://arxiv.org/abs/2501.00001) (Jan. 5, 2025)\n"
        "<h2>Section B</h2>\n+ [Beta paper](https://arxiv.org/abs/2501.00002) (Jan. 4, 2025)\n"
    ),
    "headings": (
        "# Awesome X\n\n<h2>Section A</h2>\n<h2>Section B</h2>\n\n"
        "+ [Beta paper](https://arxiv.org/abs/2501.00002) (Jan. 4, 2025)\n"
    ),
}


@pytest.mark.parametrize("shape", CONSECUTIVE_HTML_HEADINGS)
def test_html_headings_on_consecutive_lines_are_each_a_section(polled_list: Any, shape: str) -> None:
    text = CONSECUTIVE_HTML_HEADINGS[shape]
    settings, database = polled_list(text)
    with database.reading() as session:
        assert [section.name for section, _ in liststore.labelled_sections(session)] == ["Section A", "Section B"]
        [beta] = session.scalars(select(Section).where(Section.name == "Section B")).one().entries
        assert beta.raw.startswith("+ [Beta paper]")  # was: Section A's
    assert markdown(database, settings) == text
    record = paper_dated(4, "2023-06-20")
    approve(database, settings, record, "Section A")
    after = markdown(database, settings)
    assert after.index("Section A</h2>") < after.index(record["arxiv_id"]) < after.index("<h2>Section B</h2>")


# 13. An old-style arXiv ID linked upper-case ('arxiv.org/abs/HEP-TH/9901001', which arXiv serves as hep-th/9901001):
# the list held the paper under 'HEP-TH/9901001', so the poll's 'hep-th/9901001' suggested it again and `digest add`
# of it (or of the address as written in the list) fetched it to approve it a second time.
OLD_STYLE_UPPER = (
    "# Awesome X\n\n## Papers\n\n"
    "+ [Line of Sight](https://arxiv.org/abs/2506.04706) (Jun. 5, 2025)\n\n"
    "+ [Old strings](https://arxiv.org/abs/HEP-TH/9901001v2) (Jan. 5, 1999)\n\n"
    "+ [Knots of old](https://arxiv.org/pdf/MATH.gt/0309136) (Sep. 8, 2003)\n"
)


@pytest.mark.asyncio
async def test_an_old_style_id_linked_upper_case_is_the_paper_arxiv_names_lower_case(
    polled_list: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from digest.cli import main

    settings, database = polled_list(OLD_STYLE_UPPER)
    assert markdown(database, settings) == OLD_STYLE_UPPER  # the list keeps its bytes
    assert arxiv_ids(database) == {
        "Line of Sight": "2506.04706",
        "Old strings": "hep-th/9901001",
        "Knots of old": "math.GT/0309136",
    }  # was: 'HEP-TH/9901001' and 'MATH.gt/0309136'
    by_id = {record["arxiv_id"]: record for record in load_records()}
    old = {**by_id[RELEVANT[0]], "arxiv_id": "hep-th/9901001"}  # a relevant text under the old-style ID
    body = build_rss("cs.CV", [by_id[RELEVANT[0]], old], NOW.date())
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=body))
        summary = await run_poll(settings, database, sources=[url], clock=FakeClock())
    with database.reading() as session:
        assert list(session.scalars(select(Candidate.arxiv_id))) == []  # was: ['hep-th/9901001'] suggested again
    assert summary.sources[0].already_known == 2
    for given in ("HEP-TH/9901001", "https://arxiv.org/abs/HEP-TH/9901001v2"):
        capsys.readouterr()
        assert main(["--data-dir", str(settings.data_dir), "add", given]) == 1
        # was: exit 2, "'HEP-TH/9901001' is not an arXiv ID or URL" (and lower-case, fetched to be added again)
        assert "hep-th/9901001 is already in the list (Papers); nothing was added" in capsys.readouterr().err


def test_a_list_stored_with_an_upper_case_old_style_id_has_it_lower_case_when_the_database_is_next_opened(
    polled_list: Any,
) -> None:
    settings, database = polled_list(OLD_STYLE_UPPER)
    with database.transaction() as session:  # as the release before this one stored the list
        session.execute(update(Paper).where(Paper.title == "Old strings").values(arxiv_id="HEP-TH/9901001"))
        session.execute(update(ListMeta).where(ListMeta.key == META_KEY).values(value="5"))
    database.dispose()
    reopened = open_service_database(settings)
    try:
        assert arxiv_ids(reopened)["Old strings"] == "hep-th/9901001"  # was: 'HEP-TH/9901001' until it was edited
        assert markdown(reopened, settings) == OLD_STYLE_UPPER
    finally:
        reopened.dispose()


# 14. Papers the list names only where GitHub shows nothing of them: an entry commented out ('link is dead: put back
# once the paper is on arXiv'), a link in a note's HTML comment, an example entry in a code block or a code span.
# The poll counted them among the list's papers and never suggested them; only what the list shows is listed.
HIDDEN_LINKS = (
    "# Awesome X\n\nAdd a paper as `+ [Title](https://arxiv.org/abs/2505.14071) (date)`:\n\n"
    "```markdown\n+ [Title](https://arxiv.org/abs/2505.14071) (May 20, 2025)\n```\n\n## Papers\n\n"
    "+ [Line of Sight](https://arxiv.org/abs/2506.04706) (Jun. 5, 2025) <!-- https://arxiv.org/abs/2504.11695 -->\n\n"
    "<!-- link is dead: put back once the paper is on arXiv\n"
    "+ [Linear structure of VLM embeddings](https://arxiv.org/abs/2504.11695) (Apr. 16, 2025)\n-->\n"
)


@pytest.mark.asyncio
async def test_papers_the_list_links_only_in_comments_or_code_are_suggested(polled_list: Any) -> None:
    settings, database = polled_list(HIDDEN_LINKS)
    assert markdown(database, settings) == HIDDEN_LINKS
    # was: (3, []), the two hidden papers dropped as already listed
    assert await poll_relevant(settings, database) == (1, ["2504.11695", "2505.14071"])


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


# 14. A list saved with old Mac line ends (a bare CR ends each line, as CommonMark and GitHub read it): it was one
# line, so lint said "not an awesome list", an import refused it, and a list seeded from it had no entry.
MAC_LIST = (
    "# Awesome X\r\r## Papers\r\r"
    "+ [Line of Sight](https://arxiv.org/abs/2506.04706) (Jun. 5, 2025)\r\r"
    "+ [Linear structure of VLM embeddings](https://arxiv.org/abs/2504.11695) (Apr. 16, 2025)\r\r"
    "## Older\r\r+ [Textual steering vectors](https://arxiv.org/abs/2505.14071) (May 20, 2024)\r"
)


def test_a_list_with_old_mac_line_ends_is_read_line_by_line_and_written_back_in_them(
    polled_list: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from digest.cli import main

    listed, unix = tmp_path / "mac.md", tmp_path / "unix.md"
    listed.write_bytes(MAC_LIST.encode("utf-8"))
    unix.write_bytes(MAC_LIST.replace("\r", "\n").encode("utf-8"))
    assert main(["--data-dir", str(tmp_path / "lint"), "list", "lint", str(unix)]) == 0
    expected = capsys.readouterr().out.replace(str(unix), str(listed))
    assert main(["--data-dir", str(tmp_path / "lint"), "list", "lint", str(listed)]) == 0  # was: 1, 'not-a-list'
    assert capsys.readouterr().out == expected
    settings, database = polled_list(MAC_LIST)
    assert arxiv_ids(database) == {
        "Line of Sight": "2506.04706",
        "Linear structure of VLM embeddings": "2504.11695",
        "Textual steering vectors": "2505.14071",
    }
    assert markdown(database, settings) == MAC_LIST
    record = paper_dated(4, "2025-05-01")  # between the two entries of Papers
    approve(database, settings, record, "Papers")
    after = markdown(database, settings)
    assert "\n" not in after  # every line ends as the file's do
    entries = [line for line in after.split("\r") if line.startswith("+ ")]
    assert entries[1].startswith(f"+ [{record['title']}](https://arxiv.org/abs/{record['arxiv_id']})")
    assert len(entries) == 4
    assert after.replace(entries[1], "", 1).replace("\r\r\r\r", "\r\r", 1) == MAC_LIST
