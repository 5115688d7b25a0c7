"""Where the bundled files live: templates, feed rules, the seed list and its abstracts; and reading the feeds files.

In a source checkout they are the top-level `templates/` and `feeds/`; in an installed wheel they are
copied into the package (see pyproject's force-include), so both layouts are looked up here.
"""

from __future__ import annotations

import errno
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
_SOURCE_ROOT = PACKAGE_DIR.parent


def _first_existing(*candidates: Path) -> Path:
    for candidate in candidates:
        if candidate.exists():
            return candidate
    return candidates[0]


def templates_dir() -> Path:
    return _first_existing(_SOURCE_ROOT / "templates", PACKAGE_DIR / "_templates")


def feeds_dir() -> Path:
    return _first_existing(_SOURCE_ROOT / "feeds", PACKAGE_DIR / "_feeds")


def seed_list_path() -> Path:
    return PACKAGE_DIR / "data" / "awesome-lmms-mech-interp.md"


def curated_papers_path() -> Path:
    return PACKAGE_DIR / "data" / "curated_papers.jsonl"


# A settings file, a feeds file or a `.env` is a few kilobytes: one past this is not one (a log saved over it, a link to
# a device: /dev/zero has no end), and was read whole into memory, ending in a MemoryError traceback.
MAX_SMALL_FILE_BYTES = 1024 * 1024


class TooLargeError(OSError):
    """A file larger than MAX_SMALL_FILE_BYTES; its message is the line to show (`what` names the kind of file)."""

    def __init__(self, path: Path, what: str) -> None:
        said = f"{path} is larger than 1 MB, which no {what} is: is it the right file?"
        super().__init__(errno.EFBIG, said, str(path))

    def __str__(self) -> str:
        return str(self.strerror)


def read_small_file(path: Path, what: str = "feeds file") -> bytes:
    """The file's bytes, read no further than MAX_SMALL_FILE_BYTES and a byte; TooLargeError past that."""
    with path.open("rb") as stream:
        data = stream.read(MAX_SMALL_FILE_BYTES + 1)
    if len(data) > MAX_SMALL_FILE_BYTES:
        raise TooLargeError(path, what)
    return data
