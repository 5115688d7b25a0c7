"""The set-up of the publishing-recovery tests (the reviewer and publisher are tests/publishing.py's): a
maintainer's entry pushed by hand, an approval published, the command line on the test's data folder, and the
list's entries and forge names they edit."""

from __future__ import annotations

import re
from pathlib import Path

from digest.config import Settings
from digest.publish.publisher import PUBLISHED, Publisher
from digest.review.reviewer import Reviewer
from digest.storage.db import Database
from tests.factories import insert_candidate, real_papers
from tests.git_remote import ANN, Remote
from tests.publishing import push_bytes, services

# The entry just below where real_papers()[0] is inserted (Sparse Autoencoder, by date).
NEIGHBOUR_OLD = "+ **SAE Analyzing Hierarchical Structure in VMs**"
NEIGHBOUR_NEW = "+ **SAE Analyzing Hierarchical Structure in ViTs**"


def push_hand_entry(
    remote: Remote, section: str, title: str, arxiv_id: str, page: str, subject: str = "a maintainer lists it by hand"
) -> None:
    """A maintainer's entry for a paper (its title line as written, an arXiv badge linking its `page`: abs or pdf),
    pushed upstream as the first entry of `section`."""
    text = remote.readme()
    heading = re.search(rf"^### .*{section}.*$", text, re.M)
    assert heading is not None
    at = text.index("\n+ ", heading.end()) + 1
    hand = (
        f"+ {title} (May. 23, 2025)\n"
        f"  [![arXiv](https://img.shields.io/badge/arXiv-b31b1b.svg)](https://arxiv.org/{page}/{arxiv_id})\n\n"
    )
    push_bytes(remote, (text[:at] + hand + text[at:]).encode(), subject)


def published_approval(database: Database, settings: Settings) -> tuple[Reviewer, Publisher, int, tuple[str, str]]:
    """A paper approved into its suggested section (Sparse Autoencoder) and published: the reviewer, the publisher,
    its candidate and (arXiv ID, title)."""
    reviewer, publisher = services(database, settings)
    paper = real_papers()[0]
    candidate = insert_candidate(database, paper)
    reviewer.decide(candidate, "approve", ANN)
    assert publisher.publish().outcome == PUBLISHED
    return reviewer, publisher, candidate, (str(paper["arxiv_id"]), str(paper["title"]))


def cli(tmp_path: Path, *args: str) -> int:
    from digest.cli import main

    return main(["--config", str(tmp_path / "data-config.toml"), "--data-dir", str(tmp_path / "data"), *args])
