"""Maintainers' lists headed in HTML or with a heading name repeated, and a list saved with old Mac line ends:
their sections, lint's findings and approvals into them. Each test names the shape; the "was:" notes say what the
list did before.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from digest.awesome import store as liststore
from digest.awesome.lint import lint_text
from digest.storage.models import Section
from tests.list_edits import approve, markdown, paper_dated
from tests.list_polls import arxiv_ids
from tests.list_polls import polled_list as polled_list  # the fixture

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
