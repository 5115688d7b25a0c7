"""Publishing over months of real use: hand edits upstream beside pending approvals (the entry next to it, the same
lines, an entry removed or a section deleted there) and Windows line ends. Each against a real bare repository, as a
maintainer meets it. The upstream's history is in test_publish_recovery_history.py, what the remote and the forge do
in _remote, papers moved or listed twice in _moves.
"""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.cli import main
from digest.config import Settings
from digest.publish.publisher import BLOCKED, PUBLISHED, UNCHANGED
from digest.publish.store import read_status
from digest.storage.db import Database
from tests.factories import insert_candidate, real_papers
from tests.git_remote import ANN, TYPO_NEW, TYPO_OLD, Remote
from tests.printed import printed_command
from tests.publish_recovery import NEIGHBOUR_NEW, NEIGHBOUR_OLD, cli
from tests.publishing import approve, push_bytes, services
from tests.publishing import db as db  # the fixture
from tests.publishing import remote as remote  # the fixture
from tests.publishing import st as st  # the fixture


# 1 ------------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("edit", ["neighbour-entry", "crlf"])
def test_an_upstream_edit_beside_a_pending_approval_is_published_with_it(
    edit: str, remote: Remote, st: Settings, db: Database
) -> None:
    """The line merge meets the approval's lines (a fix of the entry next to it, a file re-saved with CRLF line
    ends); the approval is made again on the upstream file, and both arrive."""
    reviewer, publisher = services(db, st)
    arxiv_id = approve(db, reviewer, 0)
    if edit == "neighbour-entry":
        remote.push_edit(NEIGHBOUR_OLD, NEIGHBOUR_NEW)
    else:
        push_bytes(remote, remote.readme().replace("\n", "\r\n").encode(), "crlf")
    result = publisher.publish()
    assert result.outcome == PUBLISHED, result.message
    data = subprocess.run(
        ["git", "-C", str(remote.bare), "show", "main:README.md"], capture_output=True, check=True
    ).stdout
    text = data.decode("utf-8")
    assert arxiv_id in text and text.count(f"arxiv.org/abs/{arxiv_id}") == 2  # one entry: title link and badge
    if edit == "neighbour-entry":
        assert NEIGHBOUR_NEW in text and NEIGHBOUR_OLD not in text
    else:
        assert data.count(b"\n") == data.count(b"\r\n")  # no LF-only line, the new entry's included
    assert publisher.publish().outcome == UNCHANGED


LAST_OLD = "+ **SAE 4 LMM** [Large Multi-modal Models Can Interpret"  # Sparse Autoencoder's last entry (Nov. 22, 2024)


LAST_NEW = "+ **SAE for LMMs** [Large Multi-modal Models Can Interpret"


def test_an_approval_at_a_sections_end_beside_an_upstream_fix_of_the_last_entry_is_published_with_it(
    remote: Remote, st: Settings, db: Database
) -> None:
    """A paper older than every entry of its section goes at the section's end, under its last entry and above the rule
    that closes the section; a maintainer fixed that last entry upstream meanwhile. Both arrive: the fix as pushed, the
    approval right under it (not above it, not after the rule, not over the fix)."""
    reviewer, publisher = services(db, st)
    arxiv_id = approve(db, reviewer, 0, published=datetime(2023, 1, 5, tzinfo=UTC))
    remote.push_edit(LAST_OLD, LAST_NEW)
    result = publisher.publish()
    assert result.outcome == PUBLISHED, result.message
    text = remote.readme()
    assert LAST_NEW in text and LAST_OLD not in text
    section = text[text.index("Sparse Autoencoder\n") : text.index(" Probing\n")]
    blocks = section.split("\n\n")
    last, added, rule = blocks[-3:]
    assert last.startswith(LAST_NEW) and "multimodal-sae" in last
    assert added.startswith("+ [") and f"(https://arxiv.org/abs/{arxiv_id}) (Jan. 5, 2023)" in added
    assert rule.startswith("-----") and text.count(f"arxiv.org/abs/{arxiv_id}") == 2
    assert publisher.publish().outcome == UNCHANGED


def test_when_both_sides_edited_the_same_lines_following_the_message_unblocks_publishing(
    tmp_path: Path, remote: Remote, st: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list here holds an edit of its own (brought in with `digest list import`) where upstream has another:
    publishing stops and says to import the upstream file and approve again; done back to back, that works. The
    import it printed was the bare `digest list import`, which run from cron's mail or by hand acts on the default
    data folder, not the service's: it now prints the service's own settings file and data folder, and run as
    printed (the upstream file added) it imports into the service's database."""
    for name in ("DIGEST_CONFIG", "DIGEST_DATA_DIR", "DIGEST_DATABASE_URL", "DIGEST_GIT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    reviewer, publisher = services(db, st)
    arxiv_id = approve(db, reviewer, 0)
    local = tmp_path / "local.md"
    local.write_text(
        st.list_markdown_path.read_text(encoding="utf-8").replace(NEIGHBOUR_OLD, "+ **SAE Hierarchies in ViTs**"),
        encoding="utf-8",
    )
    assert cli(tmp_path, "list", "import", str(local)) == 0
    remote.push_edit(NEIGHBOUR_OLD, NEIGHBOUR_NEW)
    blocked = publisher.publish()
    assert blocked.outcome == BLOCKED, blocked.message
    printed = printed_command(blocked.message, "list import")
    assert printed[:5] == ["digest", "--config", str(st.config_path), "--data-dir", str(st.data_dir)], printed
    upstream = tmp_path / "upstream.md"
    upstream.write_text(remote.readme(), encoding="utf-8")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # run from another folder, as cron's mail is read
    assert main([*printed[1:], str(upstream)]) == 0
    assert cli(tmp_path, "approve", arxiv_id) == 0
    after = publisher.publish()
    assert after.outcome == PUBLISHED, after.message
    assert arxiv_id in remote.readme() and NEIGHBOUR_NEW in remote.readme()


def test_a_removal_whose_entry_was_edited_upstream_says_what_to_do_and_that_works(
    tmp_path: Path, remote: Remote, st: Settings, db: Database
) -> None:
    """A reviewer took a published paper out while a maintainer fixed its entry upstream. Publishing stopped with
    "the list here holds edits of its own; ... then approve the pending papers again": neither true, and approving
    would put back the paper the reviewer took out. The line now names the paper and what to do with it."""
    reviewer, publisher = services(db, st)
    paper = real_papers()[0]
    candidate = insert_candidate(db, paper)
    reviewer.decide(candidate, "approve", ANN)
    assert publisher.publish().outcome == PUBLISHED
    arxiv_id, title = str(paper["arxiv_id"]), str(paper["title"])
    reviewer.decide(candidate, "revert", ANN)
    remote.push_edit(f"[{title}]", f"**SAE Steering** [{title}]", "Give the entry a short name")
    blocked = publisher.publish()
    assert blocked.outcome == BLOCKED, blocked.message
    assert arxiv_id in blocked.message and "approve" not in blocked.message, blocked.message
    assert "take its entry out of README.md there by hand" in blocked.message, blocked.message
    lines = remote.readme().splitlines(keepends=True)
    at = next(index for index, line in enumerate(lines) if "**SAE Steering**" in line)
    push_bytes(remote, "".join(lines[:at] + lines[at + 3 :]).encode(), "Take the entry out")  # its lines, blank too
    remote.push_edit(TYPO_OLD, TYPO_NEW)
    assert publisher.publish().outcome in (PUBLISHED, UNCHANGED)
    assert arxiv_id not in remote.readme() and TYPO_NEW in remote.readme()
    assert arxiv_id not in st.list_markdown_path.read_text(encoding="utf-8")
    assert read_status(db, st.templates_dir).pending == []


def test_an_approval_into_a_section_deleted_upstream_says_what_to_do(
    remote: Remote, st: Settings, db: Database
) -> None:
    """The section a pending approval goes into was deleted upstream: the line said the list here holds edits of its
    own (it did not); it now names the paper and the section the file there no longer has."""
    reviewer, publisher = services(db, st)
    text = remote.readme()
    start = re.search(r"^### .*Sparse Autoencoder\n", text, re.M)
    end = re.search(r"^### .*Probing\n", text, re.M)
    assert start is not None and end is not None
    toc = "  - [Sparse Autoencoder](#-sparse-autoencoder)\n"
    push_bytes(remote, (text[: start.start()] + text[end.start() :]).replace(toc, "").encode(), "Drop a section")
    arxiv_id = approve(db, reviewer, 0)
    blocked = publisher.publish()
    assert blocked.outcome == BLOCKED, blocked.message
    assert "holds edits of its own" not in blocked.message, blocked.message
    said = f"{arxiv_id} was approved into Sparse Autoencoder, a section README.md there no longer has"
    assert said in blocked.message, blocked.message
    # The command it printed names the service's settings file and data folder (it was the bare `digest approve`):
    # run as printed, a section of the file there given for NAME, it approves there and publishing goes on.
    printed = printed_command(blocked.message, "approve")
    assert printed[-2:] == ["--section", "NAME"], printed
    assert main([*printed[1:-1], "Probing"]) == 0
    assert publisher.publish().outcome == PUBLISHED
    assert arxiv_id in remote.readme().split("Probing\n", 1)[1], "approved again into Probing as printed"


# 10 -----------------------------------------------------------------------------------------------------------------
def test_an_entry_added_to_a_crlf_file_uses_its_line_ends(remote: Remote, st: Settings, db: Database) -> None:
    reviewer, publisher = services(db, st)
    push_bytes(remote, remote.readme().replace("\n", "\r\n").encode(), "crlf")
    publisher.publish()
    approve(db, reviewer, 0)
    assert publisher.publish().outcome == PUBLISHED
    data = subprocess.run(
        ["git", "-C", str(remote.bare), "show", "main:README.md"], capture_output=True, check=True
    ).stdout
    lf_only = data.count(b"\n") - data.count(b"\r\n")
    assert lf_only == 0, f"{lf_only} LF-only lines in a CRLF file"
