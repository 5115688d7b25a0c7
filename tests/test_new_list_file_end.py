"""A maintainer's list saved without a line end after its last line (as editors and GitHub's web editor often leave
it), its last section one of papers: an approval there and its undo keep the file's end as the maintainer left it."""

from __future__ import annotations

import re
from pathlib import Path

from tests.newlist import make_project, polled, rag_list, rag_records

SECURITY = next(record for record in rag_records() if record["arxiv_id"] == "2509.20324")
_HEAD, _LAST = rag_list().split("## Contributing")[0].rstrip("\n").split("## 🛡️ Robustness & Security")
# The last section undated, so a new paper goes after its last line; the file ends on that line, without a line end.
NO_FINAL_LINE_END = _HEAD + "## 🛡️ Robustness & Security" + re.sub(r" - \d{4}\.\d{2}$", "", _LAST, flags=re.M)


def test_an_approval_after_the_last_line_of_a_file_without_a_final_line_end_leaves_it_so(tmp_path: Path) -> None:
    assert not NO_FINAL_LINE_END.endswith("\n")
    project = make_project(tmp_path, readme=NO_FINAL_LINE_END)

    polled(project)
    approved = project.digest("approve", SECURITY["arxiv_id"], "--section", "robustness")
    assert approved.returncode == 0 and "approved into Robustness & Security" in approved.stdout, approved.stdout
    published = project.digest("publish")
    assert published.returncode == 0, published.stderr
    readme = project.remote.readme()
    line = f"- [{SECURITY['title']}](https://arxiv.org/abs/{SECURITY['arxiv_id']})"
    assert readme == NO_FINAL_LINE_END + "\n" + line  # was: the same and a line end after it
    diff = [line for line in project.remote.diff_of_head().splitlines() if line[:1] in "+-" and line[1:3] != line[:2]]
    assert len(diff) == 3 and diff[1:] == [diff[0].replace("-", "+", 1), "+" + line]  # the old last line, ended
    rejected = project.digest("reject", SECURITY["arxiv_id"])
    assert rejected.returncode == 0, rejected.stderr
    assert project.digest("publish").returncode == 0
    assert project.remote.readme() == NO_FINAL_LINE_END  # the undo gives the file back byte for byte
