"""A clone of the list's repository in a temporary folder of its own, removed after: a dry run's, which leaves the
service's clone in the data folder (and the folder) as they were."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from digest.config import PublishSettings
from digest.publish.git import GitClone


@contextmanager
def scratch_clone(settings: PublishSettings, digest: str, *, by_hand: str = "") -> Iterator[GitClone]:
    """A new clone in a temporary folder (TMPDIR's), fetched afresh as the first one in a data folder is; the folder
    is removed on the way out, however the run ended (Ctrl-C: git's process group is ended first). `digest` and
    `by_hand`: as the clone it stands in for (GitClone's)."""
    with tempfile.TemporaryDirectory(prefix="digest-publish-dry-run-") as folder:
        clone = GitClone(Path(folder) / "clone", settings, digest)
        clone.by_hand = by_hand
        yield clone


def scratch_failure(error: OSError) -> str:
    """The line for a temporary clone that could not be written (a full temporary folder), as a real run's full data
    folder is said."""
    where = error.filename or "a temporary clone"
    return f"cannot write {where}: {error.strerror or error}; free space there, or set TMPDIR to another folder"
