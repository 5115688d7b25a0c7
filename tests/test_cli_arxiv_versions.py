"""An arXiv ID typed with a version on the command line: a version no paper has is refused in one line naming the ID,
and a paper the queue holds at another version is decided (papers are decided, not versions), saying so. Through the
real entry point, spawned as a maintainer runs it, on a real SQLite data folder."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from digest.service.wiring import open_service_database
from tests.cli_runs import digest_command
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers

ARXIV_ID = real_papers()[0]["arxiv_id"]


def pending_at(data_dir: Path, version: int) -> int:
    """The first real paper pending as a candidate at `version`; its id."""
    database = open_service_database(make_settings(data_dir))
    try:
        return insert_candidate(database, real_papers()[0], version=version)
    finally:
        database.dispose()


def digest(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    command = [*digest_command(tmp_path), *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def statuses(tmp_path: Path) -> list[str]:
    listed = digest(tmp_path, "candidates", "--json")
    assert listed.returncode == 0, listed.stderr
    return [row["status"] for row in json.loads(listed.stdout)]


@pytest.mark.parametrize("command", ["approve", "reject", "pending", "add"])
def test_a_version_no_paper_has_is_refused_in_one_line_naming_the_id(
    data_dir: Path, tmp_path: Path, command: str
) -> None:
    """`digest approve 2505.16146v99999999999999999999` decided 2505.16146, the impossible version silently dropped
    (as did v0 for `approve`'s "not a candidate id" alone): a maintainer who typed a version meant one. Expected: exit
    2, one line naming the ID and the version (cut short), and the candidate left as it was."""
    pending_at(data_dir, 1)
    for version in ("99999999999999999999", "0", "12345"):
        done = digest(tmp_path, command, f"{ARXIV_ID}v{version}")
        assert done.returncode == 2, (version, done.stdout, done.stderr)
        assert done.stdout == ""
        lines = done.stderr.splitlines()
        assert len(lines) == 1, lines
        shown = version if len(version) <= 12 else f"{version[:12]}..."
        assert f"{ARXIV_ID} names version v{shown}, which no paper has" in lines[0], lines
        assert lines[0].startswith(f"digest {command}: '{ARXIV_ID}v{version}' is no arXiv ID"), lines
    assert statuses(tmp_path) == ["pending"]


def test_a_paper_held_at_another_version_is_decided_and_the_difference_said(data_dir: Path, tmp_path: Path) -> None:
    """A maintainer approving `2505.16146v3` while the queue holds v2 of it: the paper is decided (arXiv papers are
    decided, not versions), and one line says the versions differ; the version the queue holds says nothing more."""
    candidate_id = pending_at(data_dir, 2)
    approved = digest(tmp_path, "approve", f"{ARXIV_ID}v3")
    assert approved.returncode == 0, approved.stderr
    lines = approved.stdout.splitlines()
    assert lines[0].startswith(f"candidate {candidate_id} ({ARXIV_ID}): "), lines
    assert lines[1:] == [f"  you named v3 of {ARXIV_ID}; the queue holds v2: the decision is the paper's, any version"]
    assert statuses(tmp_path) == ["approved"]
    undone = digest(tmp_path, "pending", f"{ARXIV_ID}v2")
    assert undone.returncode == 0, undone.stderr
    lines = undone.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"candidate {candidate_id} ({ARXIV_ID}): "), lines
    assert statuses(tmp_path) == ["pending"]


def test_adding_a_paper_held_at_another_version_approves_it_and_says_so(data_dir: Path, tmp_path: Path) -> None:
    """`digest add 2505.16146v3` while the queue holds v2 approved the pending candidate without a word on the versions
    that approve, reject and pending print: the same line follows the approval; v2 itself says nothing more."""
    candidate_id = pending_at(data_dir, 2)
    added = digest(tmp_path, "add", f"{ARXIV_ID}v3")
    assert added.returncode == 0, added.stderr
    lines = added.stdout.splitlines()
    assert lines[0].startswith(f"{ARXIV_ID}: approved into "), lines
    assert f"(candidate {candidate_id}, a candidate pending until now)" in lines[0], lines
    assert lines[1:] == [f"  you named v3 of {ARXIV_ID}; the queue holds v2: the decision is the paper's, any version"]
    assert statuses(tmp_path) == ["approved"]
    assert digest(tmp_path, "pending", ARXIV_ID).returncode == 0
    again = digest(tmp_path, "add", f"{ARXIV_ID}v2")
    assert again.returncode == 0, again.stderr
    assert len(again.stdout.splitlines()) == 1, again.stdout
    assert statuses(tmp_path) == ["approved"]
