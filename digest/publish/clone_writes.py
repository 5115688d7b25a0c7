"""The list file the service writes into its clone, noted first: a publish killed between that write and its commit
leaves a change git shows as a maintainer's, and the next publish must know it for the service's own."""

from __future__ import annotations

from pathlib import Path

from digest.publish.own_commits import Run
from digest.storage.files import write_atomic_bytes

# In the clone's .git: the list file's path and the blob id of what the service last wrote there.
WRITING = "digest-publish-writing"


def write_list_file(folder: Path, run: Run, path: str, data: bytes) -> None:
    """`data` written as `path` in the clone, its blob id noted before it is written."""
    blob = run("hash-object", "--stdin", stdin=data).stdout.decode().strip()
    write_atomic_bytes(folder / ".git" / WRITING, f"{path}\0{blob}".encode())
    write_atomic_bytes(folder / path, data)


def unfinished_write(folder: Path, run: Run) -> str | None:
    """The list file's path when it holds what the service last wrote there (a write a kill kept from its commit
    shows as a change only then); None otherwise, and when nothing was noted."""
    try:
        path, _, blob = (folder / ".git" / WRITING).read_bytes().decode("utf-8").partition("\0")
    except (OSError, UnicodeDecodeError):
        return None
    done = run("hash-object", "--", path, check=False)
    return path if done.returncode == 0 and blob and done.stdout.decode().strip() == blob else None
