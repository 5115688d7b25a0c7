"""How the service's own commits in its clone are told from a maintainer's: by the record of the id of each commit it
made (in the clone's .git), never by the committer (which a maintainer running the service under their
own git identity shares) nor by the mark alone (a maintainer's `git commit --amend` of a service commit keeps it)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from digest.publish.rules import TRAILER
from digest.storage.files import write_atomic

MARK_KEY = "Published-by"
MARK_VALUE = "awesome-digest"
KEPT_IDS = 1000  # only commits not pushed yet are asked about: the service's newest ones

Done = subprocess.CompletedProcess[bytes]
# For the calls that write and read the mark: the operator's ~/.gitconfig (and its XDG twin) unread, on git 2.32 and
# newer by GIT_CONFIG_GLOBAL, on older ones by a HOME with no such file.
WITHOUT_GLOBAL_CONFIG = {"GIT_CONFIG_GLOBAL": os.devnull, "HOME": os.devnull, "XDG_CONFIG_HOME": os.devnull}
Run = Callable[..., subprocess.CompletedProcess[bytes]]  # GitClone._run: git's arguments, stdin=, check=, own_config=

# What `git log --format` gives per commit for services_own: its id, committer, committer time (which an amend or a
# rebase sets anew), marks, decisions trailers, subject. `valueonly` trailers as git parses them (the message's last
# paragraph alone), several joined by \x1e.
LOG_FORMAT = (
    f"%H%x1f%ce%x1f%ct%x1f%(trailers:key={MARK_KEY},valueonly,separator=%x1e)"
    f"%x1f%(trailers:key={TRAILER},valueonly,separator=%x1e)%x1f%s"
)


def marked(run: Run, message: str) -> bytes:
    """`message` with the mark added as a trailer by `git interpret-trailers` (joining a trailer block it ends in, as
    the decisions trailer; a line of its own otherwise): the stdin of the service's `git commit` or `commit-tree`."""
    # The placement is given, so the operator's trailer.where / trailer.ifExists settings do not move or drop it; and
    # ~/.gitconfig is not read (own_config), so their trailer.<token>.key, .cmd or trailer.separators do not rename,
    # change or add to it.
    where = ("--where", "end", "--if-exists", "addIfDifferent", "--if-missing", "add", "--no-divider")
    add = ("--trailer", f"{MARK_KEY}: {MARK_VALUE}")
    return run("interpret-trailers", *where, *add, stdin=message.encode("utf-8"), own_config=True).stdout


def record_of(clone: Path) -> Path:
    """In the clone's .git: it lives and goes with the commits it names (a clone made again starts it again)."""
    return clone / ".git" / "awesome-digest-own-commits"


def _record_lines(clone: Path) -> list[str]:
    """["since", its time, ids oldest first]: begun now when there is none (a clone an older release made, or a new
    one), before the first commit it will hold."""
    path = record_of(clone)
    try:
        lines = path.read_text(encoding="ascii").split()
    except (OSError, UnicodeDecodeError):
        lines = []
    if len(lines) < 2 or lines[0] != "since" or not lines[1].isdigit():
        lines = ["since", str(int(time.time()))]
        if path.parent.is_dir():  # not before the clone is made
            write_atomic(path, "\n".join(lines) + "\n")
    return lines


def recorded(clone: Path) -> tuple[int, frozenset[str]]:
    """The record of the service's commits: (the time it was begun, the ids in it)."""
    lines = _record_lines(clone)
    return int(lines[1]), frozenset(lines[2:])


def record(clone: Path, commit: str) -> str:
    """Adds `commit`, just made, to the record, and returns it. A crash before this leaves it unrecorded, so it is
    kept aside as a maintainer's (a file too many), never a maintainer's dropped."""
    lines = _record_lines(clone)
    write_atomic(record_of(clone), "\n".join([*lines[:2], *lines[2:][-(KEPT_IDS - 1) :], commit]) + "\n")
    return commit


def services_own(fields: list[str], since: int, ids: frozenset[str], author_email: str) -> bool:
    """Whether a commit (one LOG_FORMAT record's fields) is the service's own: its id is recorded. One committed before
    the record was begun (an older release's) is by its mark, or by the decisions trailer the service wrote on each
    commit under its author's address before the mark existed (a maintainer's hand commit has neither); an amend or a
    rebase since sets the committer time anew, so it is a maintainer's. Anything else is kept aside: a copy too many
    costs a file, a maintainer's commit taken for the service's would be lost."""
    commit, committer, time_committed, marks, decisions = fields[:5]
    if commit in ids:
        return True
    if not time_committed.isdigit() or int(time_committed) >= since:
        return False
    return MARK_VALUE in marks.split("\x1e") or (committer == author_email and bool(decisions.strip()))
