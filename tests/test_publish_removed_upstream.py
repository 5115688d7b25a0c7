"""A paper a maintainer took out of the list in its repository, brought into the list here by the next publish: that
is an edit the history names, not a database restored from a backup. Through the real `digest` commands, a real bare
repository and a maintainer's own clone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from digest.cli import main
from digest.config import Settings
from digest.service.wiring import open_service_database
from tests.factories import insert_candidate, real_papers
from tests.git_remote import Remote
from tests.publishing import back_up, push_bytes, restore
from tests.publishing import remote as remote  # the fixture
from tests.publishing import st as st  # the fixture

HAND_ADDED = (
    "+ [A Paper Added by Hand Upstream](https://arxiv.org/abs/2509.01234) (Sep. 1, 2025)\n"
    "  [![arXiv](https://img.shields.io/badge/arXiv-b31b1b.svg)](https://arxiv.org/abs/2509.01234)\n\n"
)


def without_entry(text: str, arxiv_id: str) -> str:
    """The list with the entry linking `arxiv_id` (its line, its badge, the blank after) taken out, as by hand."""
    taken, count = re.subn(rf"^\+ .*abs/{re.escape(arxiv_id)}\).*\n(  .*\n)*\n?", "", text, count=1, flags=re.M)
    assert count == 1, arxiv_id
    return taken


def test_a_paper_removed_upstream_is_not_taken_for_a_restored_backup(
    tmp_path: Path, remote: Remote, st: Settings, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """A maintainer took a published paper out of the list upstream and added another there; the next approval's
    publish rewrote data/list.md with "list.md held 1 paper the database does not (...; a database restored from a
    backup?)" and kept list.md.1, though no backup was restored. Now the removal comes in as the edit it is: no copy,
    no warning; `digest history` names who took it out."""
    database = open_service_database(st)
    try:
        first, second = (insert_candidate(database, paper) for paper in real_papers()[:2])
    finally:
        database.dispose()
    removed, approved = (str(paper["arxiv_id"]) for paper in real_papers()[:2])
    options = ["--config", str(tmp_path / "data-config.toml"), "--data-dir", str(st.data_dir)]
    assert main([*options, "approve", str(first)]) == 0
    assert main([*options, "publish"]) == 0, capsys.readouterr()
    assert removed in remote.readme()
    hand_edited = without_entry(remote.readme(), removed).replace("+ [Open Problems", HAND_ADDED + "+ [Open Problems")
    push_bytes(remote, hand_edited.encode(), f"Take {removed} out, add a paper")
    capsys.readouterr()
    caplog.clear()

    assert main([*options, "approve", str(second)]) == 0
    assert main([*options, "publish"]) == 0, capsys.readouterr()
    said = capsys.readouterr().err + caplog.text
    listed = st.list_markdown_path.read_text(encoding="utf-8")
    assert removed not in listed and "2509.01234" in listed and approved in listed
    assert "restored from a backup" not in said, said
    assert sorted(path.name for path in st.list_markdown_path.parent.glob("list.md.*")) == []
    assert main([*options, "history"]) == 0
    history = capsys.readouterr().out
    assert f"{removed}   approved" in history and "Maintainer had taken it out of the list by hand" in history, history


def test_a_database_restored_from_a_backup_still_warns_of_the_papers_list_md_held(
    tmp_path: Path, remote: Remote, st: Settings, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """The other side of the rule above: an older backup restored, the next approval's list.md lacks a published paper
    no pull took out, and that is still said (with the question about a backup) and the file before it kept."""
    database = open_service_database(st)
    try:
        first, second = (insert_candidate(database, paper) for paper in real_papers()[:2])
    finally:
        database.dispose()
    lost = str(real_papers()[0]["arxiv_id"])
    options = ["--config", str(tmp_path / "data-config.toml"), "--data-dir", str(st.data_dir)]
    backup = tmp_path / "older.sqlite3"
    back_up(st, backup)  # both pending here
    assert main([*options, "approve", str(first)]) == 0
    assert main([*options, "publish"]) == 0, capsys.readouterr()
    restore(st, backup)
    caplog.clear()

    assert main([*options, "approve", str(second)]) == 0
    said = capsys.readouterr().err + caplog.text
    assert f"held 1 paper the database does not ({lost}; a database restored from a backup?)" in said, said
    assert sorted(path.name for path in st.list_markdown_path.parent.glob("list.md.*")) == ["list.md.1"]
    assert lost in (st.list_markdown_path.parent / "list.md.1").read_text(encoding="utf-8")


def test_a_removal_pulled_in_alone_keeps_no_copy_of_the_list_file(
    tmp_path: Path, remote: Remote, st: Settings, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """An entry taken out upstream with nothing pending here: `digest publish` pulled it in and said "list.md goes from
    N to N-1 entries; the previous file is kept as list.md.1", a copy of a paper the repository's history keeps."""
    options = ["--config", str(tmp_path / "data-config.toml"), "--data-dir", str(st.data_dir)]
    assert main([*options, "publish"]) == 0, capsys.readouterr()
    taken = "2503.05613"
    push_bytes(remote, without_entry(remote.readme(), taken).encode(), f"Take {taken} out")
    capsys.readouterr()
    caplog.clear()

    assert main([*options, "publish"]) == 0, capsys.readouterr()
    said = capsys.readouterr().err + caplog.text
    assert taken not in st.list_markdown_path.read_text(encoding="utf-8")
    assert "goes from" not in said and "kept as" not in said, said
    assert sorted(path.name for path in st.list_markdown_path.parent.glob("list.md.*")) == []
