"""`digest list import` of a big list linted the list it held again to tell the errors its file brings from those
already there; the errors of the file it imports are now kept with it and compared instead. Kept errors are those of
the very text imported: a list changed since (an approval undone) is linted as it is, so what is said stays right.
Through the real command line on a real data folder, arXiv answered on loopback with a real recorded answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.cli import main
from digest.service.wiring import open_service_database
from tests.add_command import HEAT_BATH, add, recorded
from tests.conftest import make_settings

HEAT = "+ [Heat-bath random walks with Markov bases](https://arxiv.org/abs/1605.08386)"
TWIN = "+ [Markov Bases Walked Once More](https://arxiv.org/abs/1605.08386) (May. 27, 2016)\n"
CONFLICT = "new error: arXiv 1605.08386 is linked from 'Markov Bases Walked Once More' and from 'Heat-bath random walks"


def imported_lines(data_dir: Path, path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    capsys.readouterr()
    assert main(["--data-dir", str(data_dir), "list", "import", str(path)]) == 0, capsys.readouterr().err
    return capsys.readouterr().out.splitlines()


def test_an_error_the_list_lost_since_its_import_is_said_new_again(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    open_service_database(make_settings(data_dir)).dispose()  # seeded with the bundled list: 8 errors of its own
    status, _ = add(data_dir, "1605.08386", "--section", "probing", reply=recorded(HEAT_BATH))
    assert status == 0, capsys.readouterr().err
    listing = (data_dir / "list.md").read_text(encoding="utf-8")
    at = listing.index("\n\n", listing.index(HEAT)) + 2  # a second title linking the approved paper's arXiv page
    edited = tmp_path / "edited.md"
    edited.write_text(listing[:at] + TWIN + "\n" + listing[at:], encoding="utf-8")

    said = [line for line in imported_lines(data_dir, edited, capsys) if line.startswith("  ! ")]
    assert len(said) == 1 and CONFLICT in said[0], said  # the bundled list's own errors unsaid
    capsys.readouterr()
    assert main(["--data-dir", str(data_dir), "pending", "1605.08386"]) == 0, capsys.readouterr().err
    assert HEAT not in (data_dir / "list.md").read_text(encoding="utf-8")  # the approval undone: its entry gone

    # The same file again: the paper comes back, and with it the error the list no longer had.
    lines = imported_lines(data_dir, edited, capsys)
    assert any(line.startswith("  + Probing: Heat-bath random walks") for line in lines), lines
    said = [line for line in lines if line.startswith("  ! ")]
    assert len(said) == 1 and CONFLICT in said[0], lines
