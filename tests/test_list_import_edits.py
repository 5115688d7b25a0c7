"""`digest list import` of a list edited by hand where no entry was added, moved or removed: the answer names the
entries whose lines changed, so the maintainer sees that their edit went in."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.cli import main
from digest.resources import seed_list_path
from tests.factories import real_papers, with_candidates

SEED = seed_list_path().read_bytes()


def test_an_edit_of_entries_in_place_is_named_in_the_answer_and_dry_run(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A maintainer fixed an entry's bold name and another's date, imported, and read "imported 72 entries in 17
    sections: 0 added, 0 moved, 0 removed": nothing said the two edits went in (nor did `--dry-run` say they would).
    Each edited entry is counted and named with its line now."""
    bold = b"**SAE-V** [SAE-V: Interpreting Multimodal Models for Enhanced Alignment]"
    date = b"(Oct. 28, 2024)"
    assert SEED.count(bold) == 1 and SEED.count(date) == 1
    edited = SEED.replace(bold, bold.replace(b"**SAE-V**", b"**SAE-V (ICML)**")).replace(date, b"(Oct. 29, 2024)")
    edited_list = tmp_path / "list.md"
    edited_list.write_bytes(edited)
    line_of = {needle: edited[: edited.index(needle)].count(b"\n") + 1 for needle in (b"SAE-V (ICML)", b"Oct. 29")}
    for dry_run in (["--dry-run"], []):
        assert main(["--data-dir", str(data_dir), "list", "import", str(edited_list), *dry_run]) == 0
        out = capsys.readouterr().out
        assert "0 added, 0 moved, 0 removed, 2 edited" in out, out
        title = "SAE-V: Interpreting Multimodal Models for Enhanced Alignment"
        assert f"* Sparse Autoencoder: {title} (line {line_of[b'SAE-V (ICML)']})" in out, out
        assert f"(line {line_of[b'Oct. 29']})" in out
    assert (data_dir / "list.md").read_bytes() == edited


def test_a_paper_added_by_hand_is_no_longer_pending_once_imported(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A maintainer listed a pending candidate's paper by hand and imported the list: the candidate stayed pending,
    offered for review and rejectable while the list kept it. It is recorded as approved into the section holding it
    (the history saying by the list import), as a publish's pull does to one it brings back; the answer says so."""
    paper = real_papers()[0]
    _, (candidate_id,) = with_candidates(data_dir, [paper])
    probing = b"+ **Probing MLLMs** [Probing Multimodal Large Language Models"
    at = SEED.index(probing)
    entry = f"+ **Hand-added** [{paper['title']}](https://arxiv.org/abs/{paper['arxiv_id']}) (Jan. 7, 2025)\n".encode()
    edited_list = tmp_path / "list.md"
    edited_list.write_bytes(SEED[:at] + entry + SEED[at:])
    assert main(["--data-dir", str(data_dir), "list", "import", str(edited_list)]) == 0
    out = capsys.readouterr().out
    assert "1 added, 0 moved, 0 removed" in out, out
    assert f"candidate {candidate_id} ({paper['arxiv_id']}) is in the list now (Probing): no longer pending" in out
    assert main(["--data-dir", str(data_dir), "candidates", "--status", "pending"]) == 0
    assert paper["arxiv_id"] not in capsys.readouterr().out
    assert main(["--data-dir", str(data_dir), "history"]) == 0
    assert "approved into Probing by list import:" in capsys.readouterr().out


def test_an_entry_of_a_megabyte_is_named_in_one_short_line(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A hand-edited list with one entry whose title ran to a megabyte (a paste gone wrong, or a hostile edit) was
    answered with that whole megabyte on the '+' line, dry run and import alike. The line names it cut as a poll cuts
    an arXiv title; the list keeps the entry as written."""
    title = "sparse autoencoder features " * 40_000
    probing = b"+ **Probing MLLMs** [Probing Multimodal Large Language Models"
    at = SEED.index(probing)
    entry = f"+ [{title.strip()}](https://arxiv.org/abs/2609.94003) (Jan. 7, 2025)\n".encode()
    edited = SEED[:at] + entry + SEED[at:]
    edited_list = tmp_path / "list.md"
    edited_list.write_bytes(edited)
    line = SEED[:at].count(b"\n") + 1
    for dry_run in (["--dry-run"], []):
        assert main(["--data-dir", str(data_dir), "list", "import", str(edited_list), *dry_run]) == 0
        out = capsys.readouterr().out
        added = [said for said in out.splitlines() if said.startswith("  + ")]
        assert len(added) == 1 and len(added[0]) < 400, added[0][:500]
        assert added[0].startswith("  + Probing: sparse autoencoder features sparse"), added[0][:100]
        assert added[0].endswith(f"… (line {line})"), added[0][-100:]
    assert (data_dir / "list.md").read_bytes() == edited
