"""A service clone git can no longer read (a garbage index or HEAD, a config cut short by a full disk or a crash), or
one a killed git command left locked: every publish would fail on it until someone mended it by hand. It holds
nothing the database does not (each publish commits the list again from the decisions), so it is mended here; but for
a maintainer's edit left there uncommitted, which the next commit would write over: it is kept beside it first."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from digest.publish.clone_writes import unfinished_write
from digest.publish.own_commits import LOG_FORMAT, Run, recorded, services_own
from digest.storage.files import keep_generations
from digest.text import one_line

log = logging.getLogger("digest.publish")

KEPT_EDITS = 3

_LOCK_IN_THE_WAY = re.compile(r"Unable to create '([^']+\.lock)': File exists")
STALE_LOCK_MARGIN_SECONDS = 10.0

# What git says when the repository's own files cannot be read, not when a command or the remote failed.
_DAMAGED = re.compile(
    r"fatal: (not a git repository|bad config line|(\S*index: )?index file (smaller than expected|corrupt)"
    r"|unknown index entry format|bad object HEAD)|(error|fatal): bad signature"
)


def damaged(git_said: str) -> bool:
    return _DAMAGED.search(git_said) is not None


def repair_if_damaged(folder: Path, status: subprocess.CompletedProcess[bytes], redact: Callable[[str], str]) -> None:
    """After `git status` in the clone: a clone git cannot read is moved to `<folder>.damaged` (replacing an older
    one), said in the log, and an empty folder is left for a new clone. A folder with no repository yet is no damage."""
    said = status.stderr.decode("utf-8", "replace")
    if status.returncode == 0 or not (folder / ".git").exists() or not damaged(said):
        return
    aside = folder.with_name(folder.name + ".damaged")
    if aside.exists():
        shutil.rmtree(aside)
    folder.rename(aside)
    folder.mkdir()
    first = redact(said.strip().splitlines()[0]) if said.strip() else "unreadable"
    log.warning("publish: the clone could not be read (%s); set aside as %s and cloned again", first, aside)


def cleared_stale_lock(folder: Path, done: subprocess.CompletedProcess[bytes], timeout: float) -> bool:
    """Removes a lock file that git names as in the way when it is older than any git command may run (`timeout`):
    its process was killed (the service's `kill -9`). A younger lock may be a publish running in another process;
    that one is waited out by the next attempt."""
    found = _LOCK_IN_THE_WAY.search(done.stderr.decode("utf-8", "replace"))
    if found is None:
        return False
    lock = Path(found.group(1))
    if not lock.resolve().is_relative_to(folder.resolve()) or lock.suffix != ".lock":
        return False
    try:
        stale = time.time() - lock.stat().st_mtime > timeout + STALE_LOCK_MARGIN_SECONDS
        if stale:
            lock.unlink()
    except OSError:
        return False
    if stale:
        log.warning("publish: removed %s, left by a git command that did not finish", lock)
    return stale


def keep_hand_work(folder: Path, run: Run, author: str, digest: str) -> None:
    """Before the service's commit moves the clone's branch: what a maintainer wrote there, kept beside it and said
    (`digest`: the service's own invocation, for the command it names)."""
    written = unfinished_write(folder, run)
    mine = (f":(exclude,literal){written}",) if written else ()  # the service's own write, cut short of its commit
    keep_hand_edit(folder, run("diff", "--binary", "--", ".", *mine, check=False).stdout, digest)
    keep_hand_commits(folder, run, author)


def keep_hand_commits(folder: Path, run: Run, author: str) -> None:
    """Commits made by hand in the clone (HEAD's, on no remote branch and no branch of a maintainer's own, not the
    service's by the record of its commits: own_commits.services_own) are kept as `<folder>.hand-commits.mbox.1`,
    for `git am`, and said, whoever committed them (a maintainer may commit under publish.author's own address, or
    amend a commit of the service's).
    Not pushed: the service publishes what was reviewed, and a commit left in its clone may be a maintainer's try;
    not refused: every approval would wait on a folder its maintainer may have forgotten. The service's own commits
    that did not get pushed are made again from the database, so they are not kept."""
    email = author.partition(" <")[2].rstrip(">")
    since = ("HEAD", "--not", "--remotes", "--exclude=digest-publish*", "--branches")
    begun, ids = recorded(folder)
    # ~/.gitconfig is not read (own_config): its trailer.<token>.key or trailer.separators would hide the mark.
    done = run("log", "--reverse", "-z", f"--format={LOG_FORMAT}", *since, check=False, own_config=True)
    records = [record.strip("\n").split("\x1f", 5) for record in done.stdout.decode("utf-8", "replace").split("\0")]
    hand = [(r[0], r[5]) for r in records if len(r) == 6 and not services_own(r, begun, ids, email)]
    if done.returncode != 0 or not hand:
        return
    mailbox = b"".join(run("format-patch", "--stdout", "-1", commit, check=False).stdout for commit, _ in hand)
    kept = keep_generations(folder.with_name(f"{folder.name}.hand-commits.mbox"), mailbox, KEPT_EDITS, held_by=folder)
    subjects = "; ".join(one_line(subject)[:80] for _, subject in hand[:3]) + ("; ..." if len(hand) > 3 else "")
    log.warning(
        "publish: %s held %d commit(s) made by hand and not pushed (%s); the clone is the service's and its branch "
        "is moved onto the repository's, so they are kept as %s: apply them in a clone of the repository with "
        "`git am %s` and push them",
        *(folder, len(hand), subjects, kept, kept),
    )


def keep_hand_edit(folder: Path, patch: bytes, digest: str) -> None:
    """Keeps `patch` (the clone's `git diff`: what was written there by hand, since the service adds what it writes)
    as `<folder>.hand-edit.patch.1` (older ones up to .3), and says so, naming the files it touches."""
    if not patch.strip():
        return
    kept = keep_generations(folder.with_name(f"{folder.name}.hand-edit.patch"), patch, KEPT_EDITS, held_by=folder)
    lines = patch.decode("utf-8", "replace").splitlines()
    changed = [line.split(" b/", 1)[-1] for line in lines if line.startswith("diff --git a/")]
    log.warning(
        "publish: %s held an edit by hand of %s, not committed; the clone is the service's and is written over, so "
        "the edit is kept as %s (make it upstream, or in the list and run `%s list import`)",
        folder,
        ", ".join(changed[:3]) + (", ..." if len(changed) > 3 else ""),
        kept,
        digest,
    )
