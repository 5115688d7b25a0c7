"""`digest list lint` on a list that links one arXiv ID from two entries, as the bundled list does (2411.16198): the
finding names both lines, so the maintainer knows which two entries to compare."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.cli import main
from digest.resources import seed_list_path


def test_the_bundled_lists_arxiv_id_linked_twice_names_both_lines(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listed = seed_list_path()
    lines = listed.read_text(encoding="utf-8").splitlines()
    twice = [number for number, line in enumerate(lines, 1) if "](https://arxiv.org/abs/2411.16198)" in line]
    assert len(twice) == 2, twice  # the bundled list as shipped: two titles link it
    assert main(["--data-dir", str(data_dir), "list", "lint", str(listed)]) == 1
    said = [line for line in capsys.readouterr().out.splitlines() if "arXiv 2411.16198 is linked" in line]
    assert said == [
        f"{listed}:{twice[1]}: error: arXiv 2411.16198 is linked from 'Interpreting Object-level Foundation Models via"
        " Visual Precision Search' and from 'Token Activation Map to Visually Explain Multimodal LLMs'"
        f" (line {twice[0]}); link this entry's own arXiv page, or delete it if it is the same paper"
        " [arxiv-id-conflict]"
    ]
