"""Lists whose entries begin with their authors or their title, the paper linked after by what it is (the way many
paper lists are written): `digest list lint`, `list import` and `list export` as a user runs them, and the poll's
dedupe against such a list. "was:" notes say what the list did before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from digest.cli import main
from tests.list_edits import markdown
from tests.list_polls import arxiv_ids, poll_relevant
from tests.list_polls import polled_list as polled_list  # the fixture

# The three layouts, one per section: authors first and the title in bold; the title in bold, then the authors and
# bracketed links (the paper's on OpenReview, its arXiv page further on); a numbered list of plain titles.
AUTHORS_FIRST = (
    "# Awesome Explainable AI\n\n> Papers on interpretable models.\n\n## Contents\n"
    "* [Vision](#vision)\n* [Language](#language)\n\n## Vision\n"
    "* Lin et al. **Line of Sight: probing vision-language models**. *ICCV*, 2025."
    " [arXiv](https://arxiv.org/abs/2506.04706)\n"
    "* Ying et al. **GNNExplainer: Generating Explanations for Graph Neural Networks**. *NeurIPS*, 2019."
    " [OpenReview](https://openreview.net/forum?id=BJx0Z4SxLB)\n\n## Language\n"
    "* **Interpreting the linear structure of VLM embeddings**. A. Author, B. Author. ICML 2025."
    " [[code](https://github.com/vlm/linear)] [[paper](https://openreview.net/forum?id=vlm)]"
    " [[arXiv](https://arxiv.org/abs/2504.11695)]\n"
    "* Wu et al. **MoleculeNet: a benchmark for molecular machine learning**. *Chemical Science*, 2018."
    " [DOI](https://doi.org/10.1039/C7SC02664A)\n"
    "* Smith et al. Textual steering vectors. *NeurIPS*, 2025. [pdf](https://arxiv.org/pdf/2505.14071)\n"
)
NUMBERED = (
    "# Awesome Steering\n\n## Papers\n\n"
    "1. Textual steering vectors. Smith et al. [pdf](https://arxiv.org/pdf/2505.14071)\n"
    "2. Attention Is All You Need. A. Vaswani, N. Shazeer. [pdf](https://arxiv.org/pdf/1706.03762)\n"
)


def run(data_dir: Path, *args: str) -> int:
    return main(["--data-dir", str(data_dir), "list", *args])


@pytest.mark.parametrize(
    ("text", "imported"),
    [(AUTHORS_FIRST, "imported 5 entries in 2 sections"), (NUMBERED, "imported 2 entries in 1 section")],
    ids=["bold-titles", "numbered"],
)
def test_a_list_written_authors_first_lints_imports_and_exports_byte_for_byte(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, imported: str
) -> None:
    listed = tmp_path / "awesome.md"
    listed.write_text(text, encoding="utf-8")
    assert run(data_dir, "lint", str(listed)) == 0  # was: 1, "not an awesome list: ... '+ [Title](url)' entries"
    assert "0 errors, 0 warnings" in capsys.readouterr().out
    assert run(data_dir, "import", "--force", str(listed)) == 0  # replaces the bundled list; was: 1, the same error
    assert f"awesome.md: {imported}:" in capsys.readouterr().out  # was (bold titles): 1 entry, the rest text
    assert run(data_dir, "export") == 0
    assert capsys.readouterr().out == text


@pytest.mark.asyncio
async def test_papers_of_a_list_written_authors_first_are_its_entries_and_not_suggested_again(
    polled_list: Any,
) -> None:
    settings, database = polled_list(AUTHORS_FIRST)
    assert markdown(database, settings) == AUTHORS_FIRST
    assert arxiv_ids(database) == {
        "Line of Sight: probing vision-language models": "2506.04706",
        "GNNExplainer: Generating Explanations for Graph Neural Networks": None,
        "Interpreting the linear structure of VLM embeddings": None,  # its arXiv link is not its first paper link
        "MoleculeNet: a benchmark for molecular machine learning": None,
        "Textual steering vectors": "2505.14071",  # the first sentence names its authors: the title is the next
    }  # was: the list refused whole
    assert await poll_relevant(settings, database) == (3, [])  # the arXiv ID in any link of an entry is listed


def test_a_list_in_no_layout_read_is_refused_in_one_line_naming_the_layouts_with_its_own_bullet(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listed = tmp_path / "awesome.md"
    listed.write_text(
        "# Awesome X\n\n## Papers\n\n* read about [probing](https://example.org/probing) here\n", encoding="utf-8"
    )
    layouts = "entries such as '* [Title](url)' or '* Authors. **Title**. [paper](url)'"
    assert run(data_dir, "lint", str(listed)) == 1
    assert f"awesome.md:1: error: not an awesome list: no heading is followed by {layouts} [not-a-list]" in (
        capsys.readouterr().out
    )  # was: "... by '+ [Title](url)' entries", a bullet the list does not use
    assert run(data_dir, "import", str(listed)) == 1
    err = capsys.readouterr().err
    assert f"not an awesome list: no heading is followed by {layouts}" in err and len(err.strip().splitlines()) == 1
