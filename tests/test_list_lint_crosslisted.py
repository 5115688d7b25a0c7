"""`digest list lint` on a paper the list holds in two sections, word for word: one warning naming both."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.cli import main
from digest.resources import seed_list_path

DEVILS = (
    "Devils in Middle Layers of Large Vision-Language Models: Interpreting, Detecting and Mitigating Object"
    " Hallucinations via Attention Lens"
)


def run(data_dir: Path, *args: str) -> int:
    return main(["--data-dir", str(data_dir), "list", *args])


def test_lint_names_the_seed_lists_paper_in_two_sections_and_the_list_still_exports_as_written(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The bundled list holds "Devils in Middle Layers..." (2411.16724) under Beyond or Logit Lens and again under
    Attention, entry for entry the same: lint said nothing of it, as of any paper listed in two sections. It is one
    warning on the second copy's line naming the paper and both sections; the errors are as before, and the list
    imported and exported is the file byte for byte."""
    seed = tmp_path / "list.md"
    seed.write_bytes(seed_list_path().read_bytes())
    assert run(data_dir, "lint", str(seed)) == 1
    out = capsys.readouterr().out.splitlines()
    devils = [line for line in out if "2411.16724" in line]
    assert devils == [
        f"{seed}:319: warning: {DEVILS!r} (arXiv 2411.16724) is in both Beyond or Logit Lens (line 195) and"
        " Attention; delete one entry unless it belongs in both [in-two-sections]"
    ]
    assert out[-1].startswith(f"{seed}: 8 errors, ")
    assert run(data_dir, "import", str(seed)) == 0
    capsys.readouterr()
    assert run(data_dir, "export") == 0
    assert capsys.readouterr().out.encode("utf-8") == seed_list_path().read_bytes()


def test_a_paper_twice_in_one_section_is_said_once_not_also_as_in_two_sections(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listed = tmp_path / "list.md"
    entry = "+ [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n"
    listed.write_text(f"## Probing\n{entry}\n{entry}\n## Steering\n{entry}\n{entry}")
    assert run(data_dir, "lint", str(listed)) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{listed}:4: error: 'Alpha paper' is already in Probing (line 2); delete this entry or the one on line 2"
        " [duplicate-in-section]",
        f"{listed}:7: warning: 'Alpha paper' (arXiv 2401.00001) is in both Probing (line 2) and Steering; delete one"
        " entry unless it belongs in both [in-two-sections]",
        f"{listed}:9: error: 'Alpha paper' is already in Steering (line 7); delete this entry or the one on line 7"
        " [duplicate-in-section]",
        f"{listed}: 2 errors, 1 warning",
    ]
