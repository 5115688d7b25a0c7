"""Awesome-list READMEs as maintainers write them on other lists (titles wrapped by an editor, oldest-first sections,
HTML anchors, links written the CommonMark ways), through import, lint and approval. Each test names the layout;
the "was:" notes say what the list did before.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from digest.awesome import store as liststore
from digest.awesome.lint import lint_text
from digest.config import Settings
from digest.review.reviewer import Reviewer
from digest.review.rules import ReviewError
from digest.storage.db import Database
from digest.storage.models import Paper
from tests.factories import insert_candidate
from tests.list_edits import (
    ANN,
    NOW,
    YEAR_BLOCKS,
    approve,
    changed_lines,
    markdown,
    own_list,
    paper_dated,
    reimport,
    seed_text,
)

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


# 2. A section kept oldest first (a reading list by year): an approval of this year's paper went to its top, and
# lint warned at every entry that the section "is newest first".
OLDEST_FIRST = (
    "# Awesome X\n\n## Papers\n"
    "+ [Alpha paper](https://arxiv.org/abs/2101.00001) (Jan. 5, 2021)\n"
    "+ [Beta paper](https://arxiv.org/abs/2301.00002) (Jan. 4, 2023)\n"
    "+ [Gamma paper](https://arxiv.org/abs/2401.00003) (Mar. 1, 2024)\n\n"
    "## Contribution\n\nSend pull requests.\n"
)


def test_an_approval_into_a_section_kept_oldest_first_goes_at_its_date_from_the_top(own_list: Any) -> None:
    assert [f for f in lint_text(OLDEST_FIRST) if f.code == "date-order"] == []  # was: 2 warnings
    settings, database = own_list(OLDEST_FIRST)
    reviewer = Reviewer(database, settings, clock=lambda: NOW)
    newest, older = (
        insert_candidate(database, paper_dated(i, day)) for i, day in ((4, "2025-06-20"), (5, "2022-02-01"))
    )
    for candidate_id in (newest, older):
        reviewer.decide(candidate_id, "approve", ANN, section="Papers")
    after = markdown(database, settings)
    dates = ["(Jan. 5, 2021)", "(Feb. 1, 2022)", "(Jan. 4, 2023)", "(Mar. 1, 2024)", "(Jun. 20, 2025)"]
    assert sorted(dates, key=after.index) == dates, after  # was: 2025 and 2022 at the top
    removed, inserted = changed_lines(OLDEST_FIRST, after)
    # Two lines, no arXiv badge line under either: the list's entries carry none. The blank line before the next
    # heading stays there.
    assert removed == [] and len(inserted) == 2, inserted
    assert "(Mar. 1, 2024)\n+ [" in after and "(Jun. 20, 2025)\n\n## Contribution" in after
    assert [f for f in lint_text(after) if f.code == "date-order"] == []
    for candidate_id in (newest, older):  # undone, the file is as it was
        reviewer.decide(candidate_id, "revert", ANN)
    assert markdown(database, settings) == OLDEST_FIRST


MOVE = "move this entry above line"


def test_a_section_out_of_its_own_order_is_named_in_that_order() -> None:
    text = OLDEST_FIRST.replace(
        "+ [Gamma", "+ [Delta paper](https://arxiv.org/abs/2201.00004) (May. 2, 2022)\n+ [Gamma"
    )
    [found] = [f for f in lint_text(text) if f.code == "date-order"]
    assert found.line == 6 and found.message.endswith("Papers is oldest first: move this entry above line 5"), found
    assert "May. 2, 2022 is older than Jan. 4, 2023 above it (line 5)" in found.message


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


# 4. A link written the other CommonMark ways: with a hover title ('(url "Title")'), which GitHub shows as any link,
# was no entry in a '-' list (the paper silently left it), and in <...> was a "malformed-url" error with no arXiv ID.
COMMONMARK_LINKS = (
    "# Awesome X\n\n## Papers\n"
    "- [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n"
    '- [Beta paper](https://arxiv.org/abs/2301.00002 "Beta, at ICLR") (Jan. 4, 2023)\n'
    "- [Gamma paper](<https://arxiv.org/abs/2201.00003>) (Jan. 4, 2022)\n"
)


def test_links_with_a_hover_title_or_in_angle_brackets_are_entries_with_their_arxiv_ids(own_list: Any) -> None:
    assert lint_text(COMMONMARK_LINKS) == []  # was: malformed-url at line 6
    settings, database = own_list(COMMONMARK_LINKS)
    assert markdown(database, settings) == COMMONMARK_LINKS
    with database.reading() as session:
        known = liststore.known_keys(session).arxiv_ids
    assert {"2401.00001", "2301.00002", "2201.00003"} <= known, known  # was: only 2401.00001


# 5. The way many paper lists write an entry: the title in bold, then links named for what they lead to. Every entry
# was the one paper "[Paper]": the list's papers collapsed into one, lint called each a duplicate, and only the first
# arXiv ID was known (the others suggested again by every poll).
BOLD_TITLES = (
    "# Awesome X\n\n## Papers\n"
    "- **Alpha: Circuits in Vision Transformers** [[Paper]](https://arxiv.org/abs/2401.00001)"
    " [[Code]](https://github.com/a/alpha) (Jan. 5, 2024)\n"
    "- **Beta: Probing Multimodal Models** [[Paper]](https://arxiv.org/abs/2301.00002) (Jan. 4, 2023)\n"
    "- **Gamma: Steering with Sparse Features** [PDF](https://arxiv.org/pdf/2201.00003) (Jan. 4, 2022)\n"
)


def test_entries_with_the_title_in_bold_and_a_paper_link_are_each_their_own_paper(own_list: Any) -> None:
    assert lint_text(BOLD_TITLES) == []  # was: duplicate-in-section at lines 5 and 6, title-markup '[Paper]'
    settings, database = own_list(BOLD_TITLES)
    with database.reading() as session:
        titles = session.scalars(select(Paper.title).order_by(Paper.id)).all()
        known = liststore.known_keys(session).arxiv_ids
    assert titles == [
        "Alpha: Circuits in Vision Transformers",
        "Beta: Probing Multimodal Models",
        "Gamma: Steering with Sparse Features",
    ]  # was: ["[Paper]", "PDF"]
    assert {"2401.00001", "2301.00002", "2201.00003"} <= known, known
    assert markdown(database, settings) == BOLD_TITLES


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


# 7. A list written with '-' bullets whose titles are in bold or italics, or follow an emoji ('- **[Title](url)**',
# '- 🔥 [Title](url)'): those papers were silently no entries (the '+' lists' allowance for emphasis and emoji was
# for '+' alone), and a bold title link in a '+' list refused the import ("entry has no [Title](url) link").
EMPHASISED = (
    "# Awesome X\n\n## News\n\n"
    "- [2024-02] We added [a survey](https://arxiv.org/abs/2402.00009) to the list.\n\n"
    "## Papers\n"
    "- **[Alpha paper](https://arxiv.org/abs/2401.00001)** (Jan. 5, 2024)\n"
    "- [Beta paper](https://arxiv.org/abs/2301.00002) (Jan. 4, 2023)\n"
    "- *[Gamma paper](https://arxiv.org/abs/2201.00003)* (Jan. 4, 2022)\n"
    "- 🔥 [Delta paper](https://arxiv.org/abs/2101.00004) (Jan. 4, 2021)\n"
)


def test_emphasised_title_links_in_a_dash_list_are_entries(own_list: Any) -> None:
    settings, database = own_list(EMPHASISED)
    assert markdown(database, settings) == EMPHASISED
    with database.reading() as session:
        titles = session.scalars(select(Paper.title).order_by(Paper.id)).all()
    assert titles == ["Alpha paper", "Beta paper", "Gamma paper", "Delta paper"]  # was: ["Beta paper"]
    plus = EMPHASISED.replace("\n- ", "\n+ ")
    report = reimport(database, plus)  # was: ListFormatError edited.md:8: entry has no [Title](url) link
    assert (report.added, report.removed) == ([], [])


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


# 10. A venue or year tag before the title ('- [ICLR 2024] [Title](url)', '- `NeurIPS 2021` [Title](url)',
# '- [CVPR 2022] **Title** [[Paper]](url) [[Code]](url)'): those papers were silently no entries, and a code link
# ending an entry was read as its date ("date 'https://github.com/...' is not like 'Apr. 4, 2025'").
VENUES = (
    "# Awesome X\n\n## News\n\n"
    "- [2024-02] We added [a survey](https://arxiv.org/abs/2402.00009) to the list.\n\n"
    "## Papers\n\n"
    "- [ICLR 2024] [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n"
    "- [Beta paper](https://arxiv.org/abs/2301.00002) (Jan. 4, 2023)\n"
    "- [CVPR 2022] **Gamma: A Paper** [[Paper]](https://arxiv.org/abs/2201.00003) [[Code]](https://github.com/x/y)\n"
    "- `NeurIPS 2021` [Delta paper](https://arxiv.org/abs/2101.00004) (Dec. 6, 2021)\n"
    "- (AAAI 2021) [Epsilon paper](https://arxiv.org/abs/2101.00005) (Feb. 2, 2021)\n\n"
    "## Contribution\n\n"  # prose, no papers: a task list, words in parentheses
    "- (optional) [Open an issue](https://github.com/x/y/issues) first\n"
    "- [ ] [Add your paper](https://github.com/x/y/pulls)\n"
)


def test_entries_with_a_venue_tag_before_the_title_are_the_lists_papers(own_list: Any) -> None:
    assert [(f.line, f.code) for f in lint_text(VENUES)] == [(11, "no-date")]  # was: nothing checked but Beta
    settings, database = own_list(VENUES)
    assert markdown(database, settings) == VENUES
    with database.reading() as session:
        titles = session.scalars(select(Paper.title).order_by(Paper.id)).all()
    assert titles == ["Alpha paper", "Beta paper", "Gamma: A Paper", "Delta paper", "Epsilon paper"]
    with database.reading() as session:
        assert liststore.section_names(session) == ["Papers"]


# 11. A day the month does not have ('Feb. 30, 2024', a typo for a date) passed lint as a date, and was ordered as one.
def test_a_date_the_calendar_does_not_have_is_a_lint_finding_on_its_line() -> None:
    text = OLDEST_FIRST.replace("(Jan. 4, 2023)", "(Feb. 30, 2023)")
    found = [(f.line, f.code, f.message) for f in lint_text(text) if f.code == "bad-date"]
    message = "date 'Feb. 30, 2023' is not a calendar day written like 'Apr. 4, 2025' or '2025-04-04'"
    assert found == [(5, "bad-date", message)], found  # was: nothing


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


# 13. Dates written the ISO way ('(2024-01-05)') or by month ('(2023.06)', '(Jan. 2022)'): lint called each a bad
# date, and an approval into a newest-first section of them went to its end, below its oldest paper.
ISO_DATED = (
    "# Awesome X\n\n## Papers\n\n"
    "- [Alpha paper](https://arxiv.org/abs/2401.00001) (2024-01-05)\n"
    "- [Beta paper](https://arxiv.org/abs/2301.00002) (2023-01-04)\n"
    "- [Gamma paper](https://arxiv.org/abs/2201.00003) (2022-01-04)\n"
)


def test_iso_and_month_dates_are_dates_and_an_approval_goes_at_its_date_written_alike(own_list: Any) -> None:
    by_month = ISO_DATED.replace("(2023-01-04)", "(2023.01)").replace("(2022-01-04)", "(Jan. 2022)")
    assert [f for f in lint_text(by_month) if "date" in f.code] == []  # was: bad-date at lines 6 and 7
    assert [f for f in lint_text(ISO_DATED) if "date" in f.code] == []  # was: bad-date at lines 5, 6 and 7
    settings, database = own_list(ISO_DATED)
    approve(database, settings, paper_dated(4, "2023-06-20"), "Papers")
    after = markdown(database, settings)
    removed, inserted = changed_lines(ISO_DATED, after)
    assert removed == [] and inserted[0].endswith("(2023-06-20)\n"), inserted  # was: "(Jun. 20, 2023)"
    assert after.index("(2024-01-05)") < after.index("(2023-06-20)") < after.index("(2023-01-04)")  # was: last


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


# 16. Entries whose title links are written by reference ('+ [Title][sae]' or '+ [Title][]' over a '[sae]: https://...'
# line at the end of the file, as some maintainers keep long addresses out of the text): GitHub shows them as links,
# but the papers were silently no entries (no lint finding, not in the list's papers, offered again by the poll).
REFERENCED = (
    "# Awesome X\n\n## Papers\n\n"
    "+ [Alpha paper][alpha] (Jan. 5, 2024)\n"
    "+ [Beta paper][] (Jan. 4, 2023)\n"
    "+ [Gamma paper](https://arxiv.org/abs/2201.00003) (Jan. 4, 2022)\n"
    "+ [Delta paper][Delta  Paper] (Jan. 4, 2021)\n\n"
    "## Tools\n\n+ [Epsilon tool](https://github.com/x/y) (Jan. 4, 2020)\n\n"
    "[alpha]: https://arxiv.org/abs/2401.00001\n"
    "[beta paper]: <https://arxiv.org/pdf/2301.00002v2> 'Beta'\n"
    "[delta paper]: https://arxiv.org/abs/2101.00004\n"
)


def test_entries_linked_by_reference_are_the_lists_papers(own_list: Any) -> None:
    assert lint_text(REFERENCED) == []  # was: nothing said of the three papers
    settings, database = own_list(REFERENCED)
    assert markdown(database, settings) == REFERENCED
    with database.reading() as session:
        assert {"2401.00001", "2301.00002", "2201.00003", "2101.00004"} <= liststore.known_keys(session).arxiv_ids
        titles = session.scalars(select(Paper.title).order_by(Paper.id)).all()
    assert titles == ["Alpha paper", "Beta paper", "Gamma paper", "Delta paper", "Epsilon tool"]  # was: Gamma, Epsilon
    broken = REFERENCED.replace("[delta paper]: https://", "[delta paper]: javascript:alert(1)//")
    assert [(f.line, f.code) for f in lint_text(broken)] == [(8, "malformed-url")]  # checked where it is used


# 17. A line break forced after an entry's date, before its badge line under it ('(Jan. 5, 2024)\' or '(Jan. 5,
# 2024)<br>', as an editor that strips trailing spaces leaves it): the date was not read, so lint could not see the
# entries out of order and the paper was undated.
def test_a_date_before_a_forced_line_break_is_the_entrys_date() -> None:
    badge = "  [![arXiv](https://img.shields.io/badge/arXiv-b31b1b.svg)](https://arxiv.org/abs/{})\n"
    text = (
        "# Awesome X\n\n## Papers\n\n"
        f"+ [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\\\n{badge.format('2401.00001')}"
        f"+ [Beta paper](https://arxiv.org/abs/2201.00002) (Jan. 4, 2022)<br>\n{badge.format('2201.00002')}"
        f"+ [Gamma paper](https://arxiv.org/abs/2301.00003) (Jan. 4, 2023)<BR/>\n{badge.format('2301.00003')}"
        "+ [Delta paper](https://arxiv.org/abs/2101.00004) (Jan. 4, 2021)\n"
    )
    message = f"Jan. 4, 2023 is newer than Jan. 4, 2022 above it (line 7); Papers is newest first: {MOVE} 7"
    assert [(f.line, f.code, f.message) for f in lint_text(text)] == [(9, "date-order", message)]  # was: nothing


# 18. An entry typed with a space or three before its bullet (' + [Title](url)'), as a hand edit slips one in: GitHub
# shows it as the list's other items (CommonMark allows up to three), but the list did not read it, so its paper was
# not the list's (the import said nothing of it, or that it was removed).
def test_an_entry_indented_by_up_to_three_spaces_is_the_lists_paper(own_list: Any) -> None:
    text = (
        "# Awesome X\n\n## Papers\n\n"
        "+ [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n"
        " + [Beta paper](https://arxiv.org/abs/2301.00002) (Jan. 4, 2023)\n"
        "  - [Code](https://github.com/example/beta)\n\n"
        "## Tools\n\n   + [Gamma tool](https://github.com/example/gamma) (Jan. 4, 2022)\n"
    )
    settings, database = own_list(text)
    assert markdown(database, settings) == text
    with database.reading() as session:
        titles = session.scalars(select(Paper.title).order_by(Paper.id)).all()
    assert titles == ["Alpha paper", "Beta paper", "Gamma tool"]  # was: ['Alpha paper']
    record = paper_dated(5, "2022-06-01")
    approve(database, settings, record, "Papers")
    after = markdown(database, settings)
    assert after.index("example/beta)") < after.index(record["arxiv_id"]) < after.index("## Tools")


# 19. Dates set in italics or bold after the title ('*(Jan. 5, 2024)*', '_(...)_', '**(...)**'), as some lists set
# them off: they were no dates, so lint could not see an entry out of order, and an approved paper went undated to the
# section's end, below papers years older.
def test_a_date_in_emphasis_after_the_title_is_the_entrys_date(own_list: Any) -> None:
    text = (
        "# X\n\n## Papers\n\n+ [Alpha](https://arxiv.org/abs/2401.00001) *(Jan. 5, 2024)*\n"
        "+ [Beta](https://arxiv.org/abs/2201.00002) _(Jan. 4, 2022)_\n"
        "+ [Gamma](https://arxiv.org/abs/2301.00003) **(Jan. 4, 2023)**\n"
    )
    message = f"Jan. 4, 2023 is newer than Jan. 4, 2022 above it (line 6); Papers is newest first: {MOVE} 6"
    assert [(f.line, f.code, f.message) for f in lint_text(text)] == [(7, "date-order", message)]  # was: []
    settings, database = own_list(text)
    record = paper_dated(5, "2025-01-01")
    approve(database, settings, record, "Papers")
    after = markdown(database, settings)
    assert after.index(record["arxiv_id"]) < after.index("[Alpha]")  # was: last, below Gamma, undated


def test_an_approved_paper_sets_its_date_in_the_emphasis_its_section_does(own_list: Any) -> None:
    text = (
        "# X\n\n## Papers\n\n+ [Alpha](https://arxiv.org/abs/2401.00001) *(Jan. 5, 2024)*\n"
        "+ [Beta](https://arxiv.org/abs/2201.00002) *(Jan. 4, 2022)*\n"
    )
    settings, database = own_list(text)
    record = paper_dated(5, "2025-01-01")
    approve(database, settings, record, "Papers")
    title = f"[{record['title']}](https://arxiv.org/abs/{record['arxiv_id']})"
    assert f"\n+ {title} *(Jan. 1, 2025)*\n+ [Alpha]" in markdown(database, settings)  # was: '(Jan. 1, 2025)'
