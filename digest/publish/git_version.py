"""The git the service runs must read the settings it gives its own clone through the environment (GIT_CONFIG_COUNT,
git 2.31 and newer): an older one ignores them, and the operator's ~/.gitconfig (signing, hooks) and a missing token
would fail every publish with words about something else."""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from digest.text import one_line

OLDEST = (2, 31)
_VERSION = re.compile(rb"git version (\d+)\.(\d+)(\.\d+)*")


def git_version_problem() -> str | None:
    """One line naming the git on PATH when it cannot publish (too old, or none); None when it will do. Asked again
    once the file there changes (git upgraded while the service runs, as the line asks)."""
    found = shutil.which("git")
    try:
        stamp = Path(found).stat().st_mtime_ns if found else 0
    except OSError:
        stamp = 0
    return _problem(found, stamp)


@lru_cache(maxsize=8)
def _problem(found: str | None, _stamp: int) -> str | None:
    """What is wrong with the git at `found` (asked once per path and file); None when it will do or when its
    version cannot be read (a build of its own: it is tried)."""
    if found is None:
        return "git is not installed (cannot run git from PATH; install git; for ssh, openssh-client too)"
    try:
        said = subprocess.run([found, "--version"], capture_output=True, timeout=30, check=False).stdout
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot run git ({found}): {one_line(str(exc))}"
    version = _VERSION.search(said)
    if version is None or (int(version.group(1)), int(version.group(2))) >= OLDEST:
        return None
    number = version.group(0).decode("ascii").removeprefix("git version ")
    return (
        f"git {number} ({found}) is too old to publish with: it needs git {OLDEST[0]}.{OLDEST[1]} or newer (an older "
        "git ignores the settings the service gives its own clone); upgrade git on this machine"
    )
