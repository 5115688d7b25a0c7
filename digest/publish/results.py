"""What one publish comes to (its outcome, said in one line) and what a merge with the upstream file gave: plain data
the publisher, the runner and the command line share."""

from __future__ import annotations

from dataclasses import dataclass

from digest.titles import linked_arxiv_ids

PUBLISHED, UNCHANGED, BLOCKED, FAILED = "published", "unchanged", "blocked", "failed"
BUSY = "busy"  # another process (`digest publish`) is publishing: nothing done, tried again soon


@dataclass(frozen=True)
class PublishResult:
    outcome: str  # published | unchanged | blocked | failed | busy
    message: str  # one line
    commit: str | None = None
    diff: str = ""
    findings: tuple[str, ...] = ()
    held: bool = False  # trying again changes nothing until a maintainer acts (see PublishRunner._hold)


@dataclass(frozen=True)
class Merged:
    head: str | None
    theirs: str
    final: str
    upto: int
    message: str
    imported: bool = False  # upstream edits were brought into the database: list.md is written again
    decided: int = 0  # the pending decisions it holds
    brought: str = ""  # a dry run: what the upstream edits would bring into the list here, one clause
    ours: str = ""  # the list here before the upstream edits were brought in

    @property
    def taken_out(self) -> frozenset[str]:
        """The papers the upstream edits took out of the list here: the repository's history says who took each out,
        so list.md, written again, keeps no copy for them (awesome/listfile.keep_replaced)."""
        if not self.imported:
            return frozenset()
        return frozenset(linked_arxiv_ids(self.ours) - linked_arxiv_ids(self.final))
