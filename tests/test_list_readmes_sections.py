"""Awesome-list READMEs as maintainers write them on other lists: how sections are laid out (table of contents
anchors, headings with markup or emphasis, sections of one name in year blocks, category sub-lists, '-' bullets,
numbered lists, entries folded under <details>), through import, lint and approval. The "was:" notes say what the
list did before."""

from __future__ import annotations

from typing import Any

import pytest

from digest.awesome import store as liststore
from digest.awesome.lint import lint_text
from digest.review.reviewer import Reviewer
from digest.review.rules import ReviewError
from tests.factories import insert_candidate
from tests.list_edits import (
    ANN,
    NOW,
    YEAR_BLOCKS,
    approve,
    changed_lines,
    markdown,
    paper_dated,
)
from tests.list_edits import own_list as own_list  # the fixture

# 3. Links in the table of contents that GitHub follows were "broken-anchor" errors (exit 1, and a publish stopped
# by errors it did not have before): an <a name> above a heading (awesome-machine-learning's way), a heading in
# Chinese linked as the address bar gives it (percent-encoded), a heading with an <img> icon, and an emoji written
# with its U+FE0F, which GitHub keeps in the id ('#%EF%B8%8F-tools'; '#-tools' leads nowhere there).
ANCHORED = """# Awesome X

## Contents
- [C++](#cpp)
- [论文](#%E8%AE%BA%E6%96%87)
- [Tools](#%EF%B8%8F-tools)
- [Datasets](#-datasets)
- [Wrong](#-tools)

<a name="cpp"></a>
## C++
+ [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)

## 论文
+ [Beta paper](https://arxiv.org/abs/2301.00002) (Jan. 4, 2023)

## 🛠️ Tools
+ [Gamma tool](https://github.com/a/b) (Mar. 1, 2024)

## <img src="icons/data.png" width="20"> Datasets
+ [Delta set](https://arxiv.org/abs/2201.00004) (May. 2, 2022)
"""


def test_table_of_contents_links_are_checked_as_github_follows_them() -> None:
    anchors = [(f.line, f.code) for f in lint_text(ANCHORED) if "anchor" in f.code]
    assert anchors == [(8, "broken-anchor")], anchors  # was: lines 4 to 7 broken, and #-tools taken as fine


# 6. A list written with '-' (or '*') bullets got each approved paper with a '+': GitHub starts a new list at another
# bullet, so the new paper stood in a list of its own, spaced apart from the section's other papers.
def test_an_approved_paper_is_written_with_the_sections_own_bullet(own_list: Any) -> None:
    from markdown_it import MarkdownIt

    text = (
        "# Awesome X\n\n## Papers\n"
        "- [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n"
        "- [Beta paper](https://arxiv.org/abs/2301.00002) (Jan. 4, 2023)\n\n"
        "## Tools\n\n"
        "* [Gamma tool](https://arxiv.org/abs/2201.00003) (Jan. 4, 2022)\n"
    )
    settings, database = own_list(text)
    approve(database, settings, paper_dated(4, "2023-06-20"), "Papers")
    approve(database, settings, paper_dated(5, "2023-02-01"), "Tools")
    after = markdown(database, settings)
    papers, tools = after.split("## Tools")
    assert "\n- [" + paper_dated(4, "2023-06-20")["title"] in papers, papers  # was: "+ ["
    assert "\n* [" + paper_dated(5, "2023-02-01")["title"] in tools, tools
    lists = [t.type for t in MarkdownIt().parse(after) if t.type.endswith("bullet_list_open")]
    assert len(lists) == 2  # one list a section, as GitHub shows it; was: 4


# 8. A list in year blocks, each with its own "Probing": nothing could be approved into either ("no section named
# 'Probing' in the list (sections: Probing, Steering, Probing)", even with the slug 'probing-2'), and the review page,
# Discord and the private feed offered "Probing" twice.
def test_sections_of_one_name_are_offered_apart_and_each_takes_its_approvals(own_list: Any) -> None:
    settings, database = own_list(YEAR_BLOCKS)
    with database.reading() as session:
        assert liststore.section_names(session) == ["Probing (2025)", "Steering", "Probing (2024)"]
    reviewer = Reviewer(database, settings, clock=lambda: NOW)
    candidate_id = insert_candidate(database, paper_dated(4, "2024-06-20"))
    with pytest.raises(
        ReviewError, match=r"2 sections named 'Probing': name one of Probing \(2025\), Probing \(2024\)"
    ):
        reviewer.decide(candidate_id, "approve", ANN, section="Probing")
    outcome = reviewer.decide(candidate_id, "approve", ANN, section="Probing (2024)")
    assert outcome.message == "approved into Probing (2024)"
    after = markdown(database, settings)
    block_2024 = after.split("## 2024")[1]
    assert "(Jun. 20, 2024)" in block_2024 and block_2024.index("(Jun. 20, 2024)") < block_2024.index("Gamma")
    reviewer.decide(candidate_id, "revert", ANN)  # the undo finds the entry in its own block
    assert markdown(database, settings) == YEAR_BLOCKS


# 9. A numbered list of papers ('1. [Title](url)'): the papers were silently no entries (the list refused as "not an
# awesome list" when every section is numbered; a numbered section beside bulleted ones simply left the database).
NUMBERED = (
    "# Awesome X\n\n## Contents\n\n1. [Papers](#papers)\n2. [Tools](#tools)\n\n## Papers\n\n"
    "1. [Alpha paper](https://arxiv.org/abs/2501.00001) (Jan. 5, 2025)\n"
    "2. [Beta paper](https://arxiv.org/abs/2401.00002) (Jan. 4, 2024)\n"
    "3. [Gamma paper](https://arxiv.org/abs/2301.00003) (Jan. 4, 2023)\n\n"
    "## Tools\n\n- [Delta tool](https://arxiv.org/abs/2201.00004) (Jan. 4, 2022)\n"
)


def test_a_numbered_list_of_papers_is_the_lists_and_an_approval_keeps_its_numbering(own_list: Any) -> None:
    from markdown_it import MarkdownIt

    settings, database = own_list(NUMBERED)
    with database.reading() as session:
        known = liststore.known_keys(session).arxiv_ids
    assert {"2501.00001", "2401.00002", "2301.00003"} <= known, known  # was: only the tool's
    approve(database, settings, paper_dated(4, "2023-06-20"), "Papers")
    after = markdown(database, settings)
    removed, inserted = changed_lines(NUMBERED, after)
    assert removed == [] and inserted[0].startswith("3. ["), inserted  # numbered as the entry it goes above
    papers = MarkdownIt().parse(after.split("## Papers")[1].split("## Tools")[0])
    assert [t.type for t in papers if t.type.endswith("list_open")] == ["ordered_list_open"]
    assert sum(t.type == "list_item_open" for t in papers) == 4  # one list, 1. to 4. as GitHub numbers it


# 12. Papers in sub-lists under category bullets ('- **Vision**' over '  - [Title](url)'): in a '+' list the category
# bullet was "entry has no [Title](url) link" and refused the whole import; in a '-' list the papers were silently
# no entries. An approval goes into the sub-list, as indented as the entries beside it.
CATEGORIES = (
    "# Awesome X\n\n## Papers\n"
    "+ **Vision**\n"
    "  + [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n"
    "  + [Beta paper](https://arxiv.org/abs/2301.00002) (Jan. 4, 2023)\n"
    "+ **Language**\n"
    "  + [Gamma paper](https://arxiv.org/abs/2201.00003) (Jan. 4, 2022)\n\n"
    "## Tools\n\n+ [Delta tool](https://arxiv.org/abs/2101.00004) (Jan. 4, 2021)\n"
)


@pytest.mark.parametrize("bullet", ["+", "-"])
def test_papers_in_sub_lists_under_category_bullets_are_entries(own_list: Any, bullet: str) -> None:
    from markdown_it import MarkdownIt

    text = CATEGORIES.replace("+ ", f"{bullet} ")
    assert [f for f in lint_text(text) if f.severity == "error"] == []  # was: no-link at lines 4 and 7
    settings, database = own_list(text)  # was: refused, or 3 papers silently left out
    with database.reading() as session:
        assert {"2401.00001", "2301.00002", "2201.00003"} <= liststore.known_keys(session).arxiv_ids
    approve(database, settings, paper_dated(4, "2023-06-20"), "Papers")
    after = markdown(database, settings)
    removed, inserted = changed_lines(text, after)
    assert removed == [] and inserted[0].startswith(f"  {bullet} ["), inserted
    vision = MarkdownIt().parse(after.split(f"{bullet} **Language**")[0].split("## Papers")[1])
    assert sum(t.type == "list_item_open" for t in vision) == 4  # Vision and its three papers


# 14. Headings with markup: an anchor for the table of contents, an icon, a shortcode emoji, bold. The sections were
# named with it where maintainers and readers see them (the review page's buttons, Discord, the digest, the outcome
# of an approval): 'img src="icons/data.png" width="20"> Datasets', ':books: Surveys', '**Tools**'.
MARKED_UP = (
    "# Awesome X\n\n"
    '## <a name="cpp"></a>Probing\n\n+ [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n\n'
    '## <img src="icons/data.png" width="20"> Datasets\n\n'
    "+ [Beta set](https://arxiv.org/abs/2301.00002) (Jan. 4, 2023)\n\n"
    "## :books: Surveys\n\n+ [Gamma survey](https://arxiv.org/abs/2201.00003) (Jan. 4, 2022)\n\n"
    "## **Tools**\n\n+ [Delta tool](https://arxiv.org/abs/2101.00004) (Jan. 4, 2021)\n"
)


def test_sections_are_named_by_their_headings_text_without_its_markup(own_list: Any) -> None:
    settings, database = own_list(MARKED_UP)
    assert markdown(database, settings) == MARKED_UP
    with database.reading() as session:
        assert liststore.section_names(session) == ["Probing", "Datasets", "Surveys", "Tools"]
    candidate_id = insert_candidate(database, paper_dated(4, "2023-06-20"))
    outcome = Reviewer(database, settings, clock=lambda: NOW).decide(candidate_id, "approve", ANN, section="Datasets")
    assert outcome.message == "approved into Datasets"


# 14b. Headings in emphasis or strikethrough, with an escaped character or an HTML entity ('## *Vision* papers',
# '## __Surveys__', '## Tools \\& Data', '## Probing &amp; Steering'): GitHub shows 'Vision papers', 'Surveys',
# 'Tools & Data', 'Probing & Steering'; the sections were offered as '*Vision* papers', '__Surveys__', 'Tools \\& Data'.
EMPHASIS = (
    "# Awesome X\n\n"
    "## *Vision* papers\n\n+ [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n\n"
    "## __Surveys__\n\n+ [Beta survey](https://arxiv.org/abs/2301.00002) (Jan. 4, 2023)\n\n"
    "## Tools \\& Data\n\n+ [Gamma tool](https://arxiv.org/abs/2201.00003) (Jan. 4, 2022)\n\n"
    "## ~~Old~~ Probing &amp; Steering\n\n+ [Delta paper](https://arxiv.org/abs/2101.00004) (Jan. 4, 2021)\n\n"
    "## pre_training _notes_\n\n+ [Epsilon paper](https://arxiv.org/abs/2001.00005) (Jan. 4, 2020)\n"
)


def test_sections_are_named_without_emphasis_escapes_or_entities_as_github_shows_them(own_list: Any) -> None:
    settings, database = own_list(EMPHASIS)
    assert markdown(database, settings) == EMPHASIS
    with database.reading() as session:
        names = liststore.section_names(session)
    # was: ['*Vision* papers', '__Surveys__', 'Tools \\& Data', 'Old~~ Probing &amp; Steering', 'pre_training _notes_']
    assert names == ["Vision papers", "Surveys", "Tools & Data", "Old Probing & Steering", "pre_training notes"]
    candidate_id = insert_candidate(database, paper_dated(4, "2023-06-20"))
    outcome = Reviewer(database, settings, clock=lambda: NOW).decide(candidate_id, "approve", ANN, section="Surveys")
    assert outcome.message == "approved into Surveys"


# 15. Older papers folded away under '<details><summary>Older</summary>' with no blank line before the first of them:
# GitHub shows those lines as they are written (raw '+ [Title](url)', no link), and lint said nothing.
FOLDED = (
    "# Awesome X\n\n## Papers\n\n"
    "+ [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n\n"
    "<details><summary>Older</summary>\n"
    "+ [Beta paper](https://arxiv.org/abs/2301.00002) (Jan. 4, 2023)\n"
    "</details>\n\n"
    "<details>\n<summary>Oldest</summary>\n\n"
    "+ [Gamma paper](https://arxiv.org/abs/2201.00003) (Jan. 4, 2022)\n\n"
    "</details>\n"
)


def test_an_entry_github_shows_as_text_inside_an_html_block_is_a_lint_finding_on_its_line() -> None:
    from markdown_it import MarkdownIt

    html_text = "".join(t.content for t in MarkdownIt().parse(FOLDED) if t.type == "html_block")
    assert "+ [Beta paper]" in html_text and "+ [Gamma paper]" not in html_text  # how GitHub reads it
    found = [(f.line, f.code) for f in lint_text(FOLDED) if f.code == "in-html-block"]
    assert found == [(8, "in-html-block")], found  # was: nothing


def test_an_approval_under_a_details_summary_line_is_shown_as_a_link(own_list: Any) -> None:
    from markdown_it import MarkdownIt

    settings, database = own_list(FOLDED)
    record = paper_dated(4, "2023-06-20")  # between Alpha and Beta: right under '<details><summary>Older</summary>'
    approve(database, settings, record, "Papers")
    after = markdown(database, settings)
    removed, inserted = changed_lines(FOLDED, after)
    assert removed == [] and inserted[0] == "\n", inserted  # a blank line ends the HTML block
    html_text = "".join(t.content for t in MarkdownIt().parse(after) if t.type == "html_block")
    assert record["arxiv_id"] not in html_text  # was: shown as raw text, no link
    assert after.index("<summary>Older") < after.index(record["arxiv_id"]) < after.index("Beta paper")


# 16. A numbered list writing no dates, its older work folded under '<details><summary>Older work</summary>' after its
# shown entries (anomaly-detection lists do so), in Windows line ends: a new paper went last, into the fold, numbered
# on from the folded list ("2." under "Older work (before 2018)"), so readers never saw it.
FOLDED_UNDATED = (
    "# Awesome X\r\n\r\n## Explainable\r\n\r\n"
    "1. **Alpha paper.** *A. Author.* ICLR 2022. [[paper](https://arxiv.org/abs/2201.00001)]\r\n\r\n"
    "<details>\r\n<summary>Older work (before 2018)</summary>\r\n\r\n"
    "1. **Beta paper.** *B. Author.* ICDM 2011. [[paper](https://arxiv.org/abs/1109.0001)]\r\n\r\n"
    "</details>\r\n\r\n## Applications\r\n\r\n"
    "1. **Gamma paper.** *C. Author.* KDD 2020. [[paper](https://arxiv.org/abs/2002.00003)]\r\n"
)


def test_an_approval_into_an_undated_section_goes_above_its_folded_older_work(own_list: Any) -> None:
    settings, database = own_list(FOLDED_UNDATED.encode("utf-8"))
    record = paper_dated(4, "2026-04-20")
    approve(database, settings, record, "Explainable")
    after = markdown(database, settings)
    # written as its neighbours are (was: '2. [Title](url)'): no authors known, no venue, as the list names none for one
    entry = f"2. **{record['title']}.** 2026. [[paper](https://arxiv.org/abs/{record['arxiv_id']})]\r\n\r\n"
    shown, fold = FOLDED_UNDATED.split("<details>")
    assert after == shown + entry + "<details>" + fold  # was: under "Older work", after Beta paper
    with database.transaction() as session:  # the list as written now reads back as it is
        assert liststore.import_markdown(session, after.encode("utf-8"), source="x.md", now=NOW).changed is False
