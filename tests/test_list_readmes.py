"""Awesome-list READMEs as maintainers write them on other lists: entries written other ways (titles wrapped by an
editor, links written the CommonMark ways or by reference, bold or emphasised titles, venue tags, indented bullets),
through import, lint and approval. Each test names the layout; the "was:" notes say what the list did before. The
numbered cases go on in test_list_readmes_dates.py (dates and order) and test_list_readmes_sections.py (sections).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from digest.awesome import store as liststore
from digest.awesome.lint import lint_text
from digest.config import Settings
from digest.storage.db import Database
from digest.storage.models import Paper
from tests.list_edits import (
    approve,
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
