"""Awesome-list READMEs as maintainers write them on other lists: dates and the order they set (sections kept oldest
first, a day the month does not have, ISO and month dates, a date before a forced line break or in emphasis),
through import, lint and approval. The "was:" notes say what the list did before."""

from __future__ import annotations

from typing import Any

from digest.awesome.lint import lint_text
from digest.review.reviewer import Reviewer
from tests.factories import insert_candidate
from tests.list_edits import (
    ANN,
    NOW,
    approve,
    changed_lines,
    markdown,
    paper_dated,
)
from tests.list_edits import own_list as own_list  # the fixture

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


# 11. A day the month does not have ('Feb. 30, 2024', a typo for a date) passed lint as a date, and was ordered as one.
def test_a_date_the_calendar_does_not_have_is_a_lint_finding_on_its_line() -> None:
    text = OLDEST_FIRST.replace("(Jan. 4, 2023)", "(Feb. 30, 2023)")
    found = [(f.line, f.code, f.message) for f in lint_text(text) if f.code == "bad-date"]
    message = "date 'Feb. 30, 2023' is not a calendar day written like 'Apr. 4, 2025' or '2025-04-04'"
    assert found == [(5, "bad-date", message)], found  # was: nothing


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
