"""Publishing over months of real use, papers that move or are listed twice: a paper added to a second section, one
listed by hand then approved, a move whose old entry was edited upstream or made otherwise there, a section renamed
upstream named in the commit (a real bare repository)."""

from __future__ import annotations

import re

import pytest

from digest.config import Settings
from digest.publish.publisher import BLOCKED, PUBLISHED, UNCHANGED
from digest.publish.store import read_status
from digest.storage.db import Database
from tests.factories import real_papers
from tests.git_remote import ANN, Remote
from tests.publish_recovery import published_approval, push_hand_entry
from tests.publishing import approve, push_bytes, rename_sparse_autoencoder, services
from tests.publishing import db as db  # the fixture
from tests.publishing import remote as remote  # the fixture
from tests.publishing import st as st  # the fixture


# 9 ------------------------------------------------------------------------------------------------------------------
def test_a_paper_added_to_a_second_section_is_not_called_a_move(remote: Remote, st: Settings, db: Database) -> None:
    reviewer, publisher = services(db, st)
    paper = real_papers()[0]
    arxiv_id = str(paper["arxiv_id"])
    push_hand_entry(remote, "Steering", f"[{paper['title']}](https://arxiv.org/abs/{arxiv_id})", arxiv_id, "abs")
    approve(db, reviewer, 0)  # approved into Sparse Autoencoder as well
    assert publisher.publish().outcome == PUBLISHED
    assert remote.readme().count(f"+ [{paper['title']}](https://arxiv.org/abs/{arxiv_id})") == 2  # in both sections
    assert remote.commits()[0].startswith("Add 1 paper"), remote.commits()[0]  # today: "Move 1 paper: ..."


def test_a_paper_a_maintainer_listed_by_hand_then_approved_into_that_section_is_not_listed_twice(
    remote: Remote, st: Settings, db: Database
) -> None:
    """A maintainer added a paper by hand upstream (linking its pdf, with a short name) while nothing was pending, so
    the service did not know it; the poll then found the paper and a reviewer approved it into the same section.
    The line merge kept both entries: the section listed the paper twice. The hand entry now stands for the approval
    (as an approval of a paper the list holds leaves it as is) and nothing is pushed."""
    reviewer, publisher = services(db, st)
    assert publisher.publish().outcome == UNCHANGED  # the first sync
    paper = real_papers()[0]
    arxiv_id = str(paper["arxiv_id"])
    title = f"**SAE-Steer** [{paper['title']}](https://arxiv.org/pdf/{arxiv_id})"
    push_hand_entry(remote, "Sparse Autoencoder", title, arxiv_id, "pdf", "A maintainer lists it by hand")
    approve(db, reviewer, 0)  # into Sparse Autoencoder, where the hand entry is
    result = publisher.publish()
    assert result.outcome == UNCHANGED, result.message
    assert remote.readme().count(arxiv_id) == 2, "one entry: its title link and its badge"
    assert remote.commits()[0] == "A maintainer lists it by hand"
    assert st.list_markdown_path.read_text(encoding="utf-8") == remote.readme()
    assert read_status(db, st.templates_dir).pending == []


# 11 -----------------------------------------------------------------------------------------------------------------
def test_a_move_whose_old_entry_was_edited_upstream_is_published_with_the_edit(
    remote: Remote, st: Settings, db: Database
) -> None:
    """A reviewer moved a published paper into another section while a maintainer gave its entry a short name
    upstream. Publishing stopped with "the list here holds edits of its own; ... approve the pending papers again",
    and approving it again into the same section changes nothing. The move is now made on the upstream file: the
    entry leaves its old section there and goes into the new one as the maintainer wrote it."""
    reviewer, publisher, candidate, (arxiv_id, title) = published_approval(db, st)
    remote.push_edit(f"[{title}]", f"**SAE Steering** [{title}]", "Give the entry a short name")
    reviewer.decide(candidate, "approve", ANN, "Steering")
    result = publisher.publish()
    assert result.outcome == PUBLISHED, result.message
    text = remote.readme()
    steering = text[re.search(r"^### .*Steering", text, re.M).start() :]  # type: ignore[union-attr]
    steering = steering[: steering.index("\n### ")]
    assert f"+ **SAE Steering** [{title}](https://arxiv.org/abs/{arxiv_id})" in steering
    assert text.count(f"[{title}]") == 1 and text.count(arxiv_id) == 2  # one entry: its title link and its badge
    assert remote.commits()[0].startswith("Move 1 paper"), remote.commits()[0]
    assert st.list_markdown_path.read_text(encoding="utf-8") == text
    assert read_status(db, st.templates_dir).pending == []
    assert publisher.publish().outcome == UNCHANGED


@pytest.mark.parametrize("follow", ["move-by-hand", "approve-again"])
@pytest.mark.parametrize("beside", ["an-edit-beside", "no-other-edit"])
def test_a_move_the_list_there_made_otherwise_says_what_to_do_and_that_works(
    beside: str, follow: str, remote: Remote, st: Settings, db: Database
) -> None:
    """A reviewer moved a published paper into Steering; upstream a maintainer moved its entry into Probing (and fixed
    the entry beside where it goes in Steering, so the lines meet, or touched no other line). Which move stands is
    the maintainers' call: the line names the paper and where each put it; moving the entry by hand there, or
    approving it again into Probing, lets publishing go on. With no other line touched, the line merge went through
    and pushed the paper in both sections without a word."""
    reviewer, publisher, candidate, (arxiv_id, title) = published_approval(db, st)

    def move_upstream(into: str, edit: tuple[str, str] | None = None) -> None:
        lines = remote.readme().splitlines(keepends=True)
        at = next(index for index, line in enumerate(lines) if f"[{title}]" in line)
        entry = [line.replace(f"[{title}]", f"**SAE Steer** [{title}]") for line in lines[at : at + 3]]
        rest = lines[:at] + lines[at + 3 :]
        heading = next(index for index, line in enumerate(rest) if re.match(rf"^### .*{into}", line))
        text = "".join(rest[: heading + 2] + entry + rest[heading + 2 :]).replace(
            "**SAE Steer** **SAE Steer**", "**SAE Steer**"
        )
        push_bytes(remote, (text.replace(*edit) if edit else text).encode(), f"Move it into {into}")

    edit = (
        ("**Diffusion Steering Lens Decoding ViTs**", "**DSL Decoding ViTs**") if beside == "an-edit-beside" else None
    )
    move_upstream("Probing", edit)
    reviewer.decide(candidate, "approve", ANN, "Steering")
    blocked = publisher.publish()
    assert blocked.outcome == BLOCKED, blocked.message
    assert remote.commits()[0] == "Move it into Probing" and remote.readme().count(f"[{title}]") == 1
    assert "holds edits of its own" not in blocked.message, blocked.message
    said = f"{arxiv_id} was moved here into Steering, and README.md there lists it in Probing: move its entry into"
    assert said in blocked.message, blocked.message
    into = "Steering" if follow == "move-by-hand" else "Probing"
    if follow == "move-by-hand":
        move_upstream(into)
    else:
        reviewer.decide(candidate, "approve", ANN, into)
    assert publisher.publish().outcome in (PUBLISHED, UNCHANGED)
    text = remote.readme()
    section = text[re.search(rf"^### .*{into}", text, re.M).start() :]  # type: ignore[union-attr]
    assert f"**SAE Steer** [{title}]" in section[: section.index("\n### ")]
    assert text.count(f"[{title}]") == 1 and ("**DSL Decoding ViTs**" in text) == (edit is not None)
    assert st.list_markdown_path.read_text(encoding="utf-8") == text
    assert read_status(db, st.templates_dir).pending == []


# 12 -----------------------------------------------------------------------------------------------------------------
def test_a_commit_names_the_section_as_renamed_upstream(remote: Remote, st: Settings, db: Database) -> None:
    """A pending approval into Sparse Autoencoder, renamed Sparse Autoencoders upstream meanwhile: the paper goes into
    the renamed section, and the commit message said 'Sparse Autoencoder', a section the file no longer has."""
    reviewer, publisher = services(db, st)
    assert publisher.publish().outcome == UNCHANGED  # the first sync
    arxiv_id = approve(db, reviewer, 0)  # into Sparse Autoencoder
    rename_sparse_autoencoder(remote)
    assert publisher.publish().outcome == PUBLISHED
    text = remote.readme()
    renamed = text[re.search(r"^### .*Sparse Autoencoders$", text, re.M).start() :]  # type: ignore[union-attr]
    assert arxiv_id in renamed[: renamed.index("\n### ")]
    message = remote.message_of_head()
    assert message.startswith("Add 1 paper: ") and message.splitlines()[0].endswith("(Sparse Autoencoders)"), message
    assert "(Sparse Autoencoders): https://arxiv.org/abs/" in message, message
    assert "(Sparse Autoencoder)" not in message, message
