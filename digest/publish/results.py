"""What one publish comes to (its outcome, said in one line) and what a merge with the upstream file gave: plain data
the publisher, the runner and the command line share."""

from __future__ import annotations

from dataclasses import dataclass

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
