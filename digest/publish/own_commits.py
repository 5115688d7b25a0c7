"""The mark on every commit the service makes (a `Published-by: awesome-digest` trailer) and how its own commits are
told from a maintainer's in its clone: by that mark, read back by git, never by the committer (which a maintainer
running the service under their own git identity shares)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

from digest.publish.rules import TRAILER

MARK_KEY = "Published-by"
MARK_VALUE = "awesome-digest"

Run = Callable[..., subprocess.CompletedProcess[bytes]]  # GitClone._run: git's arguments, stdin=, check=

# What `git log --format` gives per commit for services_own: its id, committer, marks, decisions trailers, subject.
# `valueonly` trailers as git parses them (the message's last paragraph alone), several joined by \x1e.
LOG_FORMAT = (
    f"%H%x1f%ce%x1f%(trailers:key={MARK_KEY},valueonly,separator=%x1e)"
    f"%x1f%(trailers:key={TRAILER},valueonly,separator=%x1e)%x1f%s"
)


def marked(run: Run, message: str) -> bytes:
    """`message` with the mark added as a trailer by `git interpret-trailers` (joining a trailer block it ends in, as
    the decisions trailer; a line of its own otherwise): the stdin of the service's `git commit` or `commit-tree`."""
    # The placement is given, so the operator's trailer.where / trailer.ifExists settings do not move or drop it.
    where = ("--where", "end", "--if-exists", "addIfDifferent", "--if-missing", "add", "--no-divider")
    add = ("--trailer", f"{MARK_KEY}: {MARK_VALUE}")
    return run("interpret-trailers", *where, *add, stdin=message.encode("utf-8")).stdout


def services_own(committer: str, marks: str, decisions: str, author_email: str) -> bool:
    """Whether a commit (one LOG_FORMAT record's fields) is the service's own: it bears the mark; or it was made
    before the mark existed, which the decisions trailer the service wrote on each commit under its author's address
    tells (a maintainer's hand commit has neither). Anything else is kept aside: a copy too many costs a file, a
    maintainer's commit taken for the service's would be lost."""
    if MARK_VALUE in marks.split("\x1e"):
        return True
    return committer == author_email and bool(decisions.strip())
