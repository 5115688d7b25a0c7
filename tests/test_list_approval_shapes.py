"""Approvals into lists shaped as maintainers leave them (a file saved without its final line end, a heading written
in HTML): the approved paper's lines are added, and no line a maintainer wrote is changed. The "was:" notes say what
the list did before.
"""

from __future__ import annotations

from typing import Any

import pytest
from markdown_it import MarkdownIt

from digest.resources import seed_list_path
from tests.list_edits import approve, markdown, paper_dated
from tests.list_edits import own_list as own_list  # the fixture


def shown(text: str) -> list[tuple[str, str]]:
    """What GitHub shows of `text`, block by block: each heading's and list item's text."""
    found, block = [], ""
    for token in MarkdownIt("commonmark").parse(text):
        if token.type in ("heading_open", "list_item_open", "html_block"):
            block = token.type
            if token.type == "html_block":
                found.append((block, token.content.strip()))
        elif token.type == "inline" and block:
            found.append((block, token.content))
            block = ""
    return found


# 1. A new section added at the end of a file saved without a final line end ('## Vision', no '\n'): the approved
# paper's entry was glued onto the heading's line ('## Vision+ [Title](url)'), the maintainers' heading rewritten.
@pytest.mark.parametrize("heading", ["## Vision", "<h2>Vision</h2>"])
def test_an_approval_into_a_new_last_section_without_a_final_line_end_keeps_its_heading(
    own_list: Any, heading: str
) -> None:
    text = f"# X\n\n## Papers\n\n+ [Line of Sight](https://arxiv.org/abs/2506.04706) (Jun. 5, 2025)\n\n{heading}"
    settings, database = own_list(text)
    record = paper_dated(5, "2025-05-01")
    approve(database, settings, record, "Vision")
    after = markdown(database, settings)
    assert after.startswith(text + "\n")  # was: '## Vision+ [LLM for ...'
    title = f"[{record['title']}](https://arxiv.org/abs/{record['arxiv_id']})"
    assert shown(after)[-2:] == [shown(text)[-1], ("list_item_open", f"{title} (May. 1, 2025)")]


# 2. A list whose entries write their dates '2025-06-05': the first paper approved into a section of no entries yet
# was dated 'May. 1, 2025', the bundled list's way, as if the section's own entries set the style.
def test_the_first_entry_of_a_new_section_is_dated_as_the_list_dates_its_entries(own_list: Any) -> None:
    text = (
        "# X\n\n## Papers\n\n+ [Line of Sight](https://arxiv.org/abs/2506.04706) (2025-06-05)\n\n"
        "+ [Textual steering vectors](https://arxiv.org/abs/2505.14071) (2025-05-20)\n\n## Vision\n"
    )
    settings, database = own_list(text)
    record = paper_dated(5, "2025-05-01")
    approve(database, settings, record, "Vision")
    title = f"[{record['title']}](https://arxiv.org/abs/{record['arxiv_id']})"
    assert shown(markdown(database, settings))[-1] == ("list_item_open", f"{title} (2025-05-01)")  # was: May. 1, 2025


# 3. A list saved with Windows line ends ('\r\n') and without a final one, a new section last: the approved paper's
# lines ended '\n', the one file then holding two kinds of line end.
def test_an_approval_after_the_last_line_of_a_windows_file_ends_its_lines_as_the_file_does(own_list: Any) -> None:
    text = "# X\r\n\r\n## Papers\r\n\r\n+ [Sight](https://arxiv.org/abs/2506.04706) (2025-06-05)\r\n\r\n## Vision"
    settings, database = own_list(text)
    approve(database, settings, paper_dated(5, "2025-05-01"), "Vision")
    after = markdown(database, settings)
    assert after.startswith(text + "\r\n+ [LLM for") and after.replace("\r\n", "").count("\n") == 0  # was: '\n'


# 4. Papers in a sub-list under a category bullet, a note written on the line under the last one ('Superseded by
# ...', unindented: GitHub reads it as that entry's text): a paper approved after it went in as the sub-list's next
# item, which GitHub shows, but the list read again did not, so the next import took it out of the list.
def test_a_paper_approved_after_a_note_under_a_sub_list_entry_stays_in_the_list(own_list: Any) -> None:
    from digest.awesome import store as liststore

    text = (
        "# X\n\n## Papers\n\n- **Vision**\n  - [Line of Sight](https://arxiv.org/abs/2506.04706) (Jun. 5, 2025)\n"
        "  - [Linear structure](https://arxiv.org/abs/2504.11695) (Apr. 16, 2025)\nSuperseded by Line of Sight.\n\n"
        "## Tools\n\n+ [Tool](https://example.org/tool)\n"
    )
    settings, database = own_list(text)
    record = paper_dated(5, "2025-01-01")
    approve(database, settings, record, "Papers")
    after = markdown(database, settings)
    title = f"[{record['title']}](https://arxiv.org/abs/{record['arxiv_id']})"
    assert f"Superseded by Line of Sight.\n  - {title} (Jan. 1, 2025)\n" in after
    with database.transaction() as session:
        report = liststore.import_markdown(session, after.encode("utf-8"), source="list.md")
    assert report.removed == [] and not report.changed  # was: the approved paper removed


# 5. A list dating its entries its own way ('(2024.05)', '(2024/05/03)', '(Jan 2024)', '(January 5, 2024)'): an approved
# paper was dated '2025-04-03' wherever the dates were numbers and 'Apr. 3, 2025' wherever they named the month, the
# one entry of the section written otherwise.
@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("{year}.05", "2025.04"),
        ("{year}/05/03", "2025/04/03"),
        ("{year}-5-3", "2025-4-3"),
        ("Jan {year}", "Apr 2025"),
        ("January 5, {year}", "April 3, 2025"),
        ("Jan. 05, {year}", "Apr. 03, 2025"),
        ("Jan 5 {year}", "Apr 3 2025"),
        ("{year}", "2025"),
        ("Jan. 5, {year}", "Apr. 3, 2025"),
        ("{year}-01-15", "2025-04-03"),
        ("5 Jan {year}", "3 Apr 2025"),
        ("05 January, {year}", "03 April, 2025"),
    ],
)
def test_an_approved_paper_is_dated_as_its_section_writes_dates(own_list: Any, written: str, expected: str) -> None:
    links = {
        2024: "[Line of Sight](https://arxiv.org/abs/2406.04706)",
        2023: "[Linear](https://arxiv.org/abs/2304.11695)",
    }
    entries = "".join(f"+ {link} ({written.format(year=year)})\n\n" for year, link in links.items())
    text = f"# X\n\n## Papers\n\n{entries}"
    settings, database = own_list(text)
    record = paper_dated(5, "2025-04-03")
    approve(database, settings, record, "Papers")
    title = f"[{record['title']}](https://arxiv.org/abs/{record['arxiv_id']})"
    assert shown(markdown(database, settings))[2] == ("list_item_open", f"{title} ({expected})")


def test_one_date_with_a_0_in_a_section_does_not_give_its_new_dates_one(own_list: Any) -> None:
    """The bundled list's Tool section writes 'Oct. 09, 2024' once among days of two digits: a slip, not a habit."""
    settings, database = own_list(seed_list_path().read_text(encoding="utf-8"))
    record = paper_dated(5, "2025-05-01")
    approve(database, settings, record, "Tool")
    title = f"[{record['title']}](https://arxiv.org/abs/{record['arxiv_id']})"
    assert f"{title} (May. 1, 2025)" in markdown(database, settings)


# 6. The bundled list names its papers in bold ('+ **SAE-V** [SAE-V: ...](...)') but not its surveys, and links its
# blog posts without an arXiv badge: a survey approved into Surveys was written '+ **A Survey of X** [A Survey of X:
# ...]', and a paper approved into Blog carried a badge line, each the one entry of its section written so.
def test_an_approved_paper_carries_a_short_name_and_a_badge_where_its_section_does(own_list: Any) -> None:
    settings, database = own_list(seed_list_path().read_text(encoding="utf-8"))
    survey, post = paper_dated(5, "2025-04-03"), paper_dated(6, "2025-04-03")
    survey["title"] = "A Survey of Multimodal Probing: Methods and Open Questions"
    approve(database, settings, survey, "Surveys")
    post["title"] = "Steering CLIP: A Field Report"
    approve(database, settings, post, "Blog")
    after = markdown(database, settings)
    abs_url, badge = "https://arxiv.org/abs/{}", "[![arXiv](https://img.shields.io/badge/arXiv-b31b1b.svg)]({})"
    url = abs_url.format(survey["arxiv_id"])
    # was: '+ **A Survey of Multimodal Probing** [A Survey of ...'
    assert f"\n+ [{survey['title']}]({url}) (Apr. 3, 2025)\n  {badge.format(url)}\n\n" in after
    url = abs_url.format(post["arxiv_id"])
    # was: '+ **Steering CLIP** [Steering CLIP: ...](...) (Apr. 3, 2025)' over an arXiv badge's line
    assert f"\n+ [{post['title']}]({url}) (Apr. 3, 2025)\n\n" in after
    assert after.count("**Steering CLIP**") == after.count("**A Survey of Multimodal Probing**") == 0


# 7. A list whose entries end in their venue ('(ICLR 2024)'), none in a date: an approved paper was given a date,
# '(Apr. 3, 2025)', the venues read as dates the list's entries carry.
def test_an_approved_paper_is_not_dated_among_entries_that_end_in_their_venue(own_list: Any) -> None:
    text = (
        "# X\n\n## Papers\n\n+ [Line of Sight](https://arxiv.org/abs/2406.04706) (ICLR 2025)\n\n"
        "+ [Linear structure](https://arxiv.org/abs/2304.11695) (NeurIPS 2023)\n\n## Vision\n"
    )
    settings, database = own_list(text)
    for section, record in (("Papers", paper_dated(5, "2025-04-03")), ("Vision", paper_dated(6, "2025-04-03"))):
        approve(database, settings, record, section)
        title = f"[{record['title']}](https://arxiv.org/abs/{record['arxiv_id']})"
        assert ("list_item_open", title) in shown(markdown(database, settings))  # was: f"{title} (Apr. 3, 2025)"


# 8. Entries that break the line before their badge line ('  ' at the title line's end, '\' or '<br>'), so GitHub
# shows each badge under its title: an approved paper's badge line was joined to its title's line, the one entry of
# the section shown so.
@pytest.mark.parametrize("brk", ["  ", "\\", "<br>"])
def test_an_approved_paper_breaks_its_lines_as_its_section_does(own_list: Any, brk: str) -> None:
    badge = "  [![arXiv](https://img.shields.io/badge/arXiv-b31b1b.svg)](https://arxiv.org/abs/{})\n"
    text = (
        f"# X\n\n## Papers\n\n+ [Line of Sight](https://arxiv.org/abs/2406.04706) (Jun. 5, 2024){brk}\n"
        f"{badge.format('2406.04706')}\n+ [Linear](https://arxiv.org/abs/2304.11695) (Apr. 16, 2023){brk}\n"
        f"{badge.format('2304.11695')}"
    )
    settings, database = own_list(text)
    record = paper_dated(5, "2025-04-03")
    approve(database, settings, record, "Papers")
    html = MarkdownIt("commonmark").render(markdown(database, settings))
    items = html.split("<li>")[1:]
    assert [item.count("<br") for item in items] == [1, 1, 1], items  # was: [0, 1, 1]
