"""What the published list's commit message names when an entry's own line writes a paper's arXiv ID only inside an
HTML comment or a code span: GitHub does not show it, so the entry is not that paper's, as the poll reads it
(blocks.shown_text)."""

from __future__ import annotations

import pytest

from digest.publish.rules import Decided, changes, commit_message

PAPER = "2501.01234"
HEAD = "# Papers\n\n## Steering\n\n"
TOOL = "- [**A tool**](https://github.com/a/b) - a tool"
COMMENTED = f"{HEAD}{TOOL} <!-- arXiv:{PAPER} -->\n"
IN_CODE = f"{HEAD}{TOOL} `arXiv:{PAPER}`\n"
LISTED = f"{HEAD}- [**Steering Vectors**](https://arxiv.org/abs/{PAPER}) - 2025\n{TOOL}\n"


def decided(action: str) -> Decided:
    return Decided(PAPER, "Steering Vectors", action, "Steering", "ann", "discord")


@pytest.mark.parametrize("before", [COMMENTED, IN_CODE])
def test_a_paper_approved_while_a_comment_or_code_writes_its_id_is_named_an_addition(before: str) -> None:
    subject = commit_message(changes([decided("approve")], before, LISTED)).splitlines()[0]
    assert subject == "Add 1 paper: Steering Vectors (Steering)"


@pytest.mark.parametrize("after", [COMMENTED, IN_CODE])
def test_a_paper_removed_while_a_comment_or_code_still_writes_its_id_is_named_a_removal(after: str) -> None:
    subject = commit_message(changes([decided("reject")], LISTED, after)).splitlines()[0]
    assert subject == "Remove 1 paper: Steering Vectors"


@pytest.mark.parametrize("text", [COMMENTED, IN_CODE])
def test_the_list_reads_no_paper_from_an_id_github_does_not_show(text: str) -> None:
    from digest.awesome.parse import parse_list

    (entry,) = parse_list(text).sections[-1].entries
    assert entry.paper_arxiv_id is None
    (listed, tool) = parse_list(LISTED).sections[-1].entries
    assert (listed.paper_arxiv_id, tool.paper_arxiv_id) == (PAPER, None)


def test_the_diff_of_a_file_without_a_last_line_break_keeps_each_line_on_its_own() -> None:
    """A list file whose last line has no line break (saved so by an editor upstream) and an approval after that line:
    the diff `digest publish --dry-run` prints ran the old line and the new one together ('-- [Old](...)+- [Old](...)'),
    as if a line had been rewritten. Each is its own line now, marked as git marks it."""
    from digest.publish.rules import unified_diff

    before, approved = f"{HEAD}{TOOL}", f"- [**Steering Vectors**](https://arxiv.org/abs/{PAPER}) - 2025\n"
    diff = unified_diff(before, f"{before}\n{approved}", "README.md")
    assert diff.endswith(f"-{TOOL}\n\\ No newline at end of file\n+{TOOL}\n+{approved}"), diff
    back = unified_diff(f"{before}\n{approved}", before, "README.md")
    assert back.endswith(f"+{TOOL}\n\\ No newline at end of file\n"), back
