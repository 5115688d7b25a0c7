"""`digest list lint` on a list file saved without a final line end, as a maintainer runs it: a warning only when the
last line looks cut off, a notice when it is whole (many editors save so; GitHub only marks it with a ⊘)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from digest.cli import main

HEAD = "# My list\n\n## Papers\n+ [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n"
NOTICE = (
    "notice: file ends without a line end; its last line looks whole (many editors save so, GitHub only marks it):"
    " nothing to do, or end it with one [no-final-newline]"
)


def linted(data_dir: Path, listed: Path, capsys: pytest.CaptureFixture[str], *options: str) -> tuple[int, str]:
    status = main(["--data-dir", str(data_dir), "list", "lint", str(listed), *options])
    return status, capsys.readouterr().out


@pytest.mark.parametrize(
    "last",
    [
        "+ [Beta paper](https://arxiv.org/abs/2401.00002) (Jan. 4, 2024)",
        "  [![arXiv](https://img.shields.io/badge/arXiv-b31b1b.svg)](https://arxiv.org/abs/2401.00001)",
        "\n## Tools\n\nNone yet: send us yours (a pull request) :)",
        "\n<details><summary>Older work</summary>\n\n+ [Old paper](https://arxiv.org/abs/2101.00003) (Jan. 3, 2021)\n"
        "</details>",
    ],
)
def test_a_whole_last_line_without_a_line_end_is_a_notice_not_a_warning(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], last: str
) -> None:
    """A list saved without a final line end (many editors do) got "warning: file does not end with a line end (cut
    off?)" on every lint though its last line was a whole entry, heading or note: a warning that cried wolf on each
    run. It is now a notice saying nothing needs doing, counted apart from the warnings."""
    listed = tmp_path / "list.md"
    listed.write_text(HEAD + last, encoding="utf-8")
    status, out = linted(data_dir, listed, capsys)
    lines = len((HEAD + last).split("\n"))
    assert status == 0, out
    assert out.splitlines() == [f"{listed}:{lines}: {NOTICE}", f"{listed}: 0 errors, 0 warnings, 1 notice"]
    status, out = linted(data_dir, listed, capsys, "--json")
    report = json.loads(out)
    assert (report["errors"], report["warnings"], report["notices"]) == (0, 0, 1), report
    found = [(f["line"], f["severity"], f["code"]) for f in report["findings"]]
    assert found == [(lines, "notice", "no-final-newline")], report


@pytest.mark.parametrize(
    ("last", "sign"),
    [
        ("+ [Beta paper](https://arxiv.org/abs/2401.0", "a ( is not closed"),
        ("+ [Beta pa", "a [ is not closed"),
        ("  [![arXiv](https://img.shields.io/badge/arXiv-b31b1b.svg)](https://arx", "a ( is not closed"),
        ("+ **Beta** [Beta paper](https://arxiv.org/abs/2401.00002) `code", "a code span's ` is not closed"),
        ("<details><summary>Older work</summ", "an HTML tag is not closed"),
        ("+ [Beta paper]()", "its entry's link is empty"),
    ],
)
def test_a_last_line_that_looks_cut_off_is_still_a_warning_saying_why(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], last: str, sign: str
) -> None:
    """A file cut off inside its last line (a copy or a download interrupted) keeps its warning, which now says what
    looks cut off."""
    listed = tmp_path / "list.md"
    listed.write_text(HEAD + last, encoding="utf-8")
    _, out = linted(data_dir, listed, capsys)
    assert (
        f"{listed}:5: warning: file ends without a line end and its last line looks cut off ({sign}); check that it is"
        " whole and end it with one [no-final-newline]"
    ) in out.splitlines(), out
    assert "notice" not in out, out
