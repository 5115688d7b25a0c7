"""A decision that takes an entry out (a rejection, an undo) shrinks list.md by exactly that entry: the previous file
is still kept, said at INFO; a list shorter by more than a decision took out is still warned of."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from digest.awesome.listfile import write_list_markdown
from digest.cli import main
from tests.cli_daily import one_candidate
from tests.factories import real_papers

LISTFILE = "digest.awesome.listfile"


def test_undoing_an_approval_keeps_the_longer_list_without_a_warning(
    data_dir: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """`digest pending N` on an approved paper logged "WARNING ... goes from 73 to 72 entries; the previous file is
    kept as list.md.1" at every undo; the copy is kept and the line is INFO."""
    caplog.set_level(logging.INFO, logger=LISTFILE)
    candidate = one_candidate(data_dir)
    assert main(["--data-dir", str(data_dir), "approve", str(candidate), "--section", "Probing"]) == 0
    assert main(["--data-dir", str(data_dir), "pending", str(candidate)]) == 0
    assert capsys.readouterr().err == ""
    said = [(record.levelname, record.getMessage()) for record in caplog.records if record.name == LISTFILE]
    assert [level for level, _ in said] == ["INFO"], said
    assert "goes from 73 to 72 entries; the previous file is kept as " in said[0][1], said
    arxiv_id = real_papers()[0]["arxiv_id"]
    kept, written = (
        (data_dir / "list.md.1").read_text(encoding="utf-8"),
        (data_dir / "list.md").read_text(encoding="utf-8"),
    )
    assert arxiv_id in kept and arxiv_id not in written  # the copy holds the entry taken out


def test_a_list_shorter_than_the_decision_made_it_is_still_warned_of(
    data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The guard's purpose stays: a write after one decision that loses two entries is a WARNING."""
    caplog.set_level(logging.INFO, logger=LISTFILE)
    candidate = one_candidate(data_dir)
    assert main(["--data-dir", str(data_dir), "approve", str(candidate), "--section", "Probing"]) == 0
    path = data_dir / "list.md"
    text = path.read_text(encoding="utf-8")
    entries = [line for line in text.splitlines(keepends=True) if re.match(r"[-+*] \[", line)]
    arxiv_id = real_papers()[0]["arxiv_id"]
    ours = next(line for line in entries if arxiv_id in line)
    other = next(line for line in entries if line != ours and "arxiv.org/abs/" in line)
    shorter = text.replace(ours, "", 1).replace(other, "", 1)
    caplog.clear()
    write_list_markdown(path, shorter, decided_out=frozenset({arxiv_id}), importing="digest list import PATH")
    said = [(record.levelname, record.getMessage()) for record in caplog.records if record.name == LISTFILE]
    assert [level for level, _ in said] == ["WARNING"], said
    assert "goes from 73 to 71 entries" in said[0][1], said
    assert (data_dir / "list.md.1").read_text(encoding="utf-8") == text
