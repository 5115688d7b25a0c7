"""Where a SQLite database URL's file is: a relative path read from the folder of whatever named it, `~` expanded.

SQLite itself reads a relative path from the working folder and takes `~` literally, so `digest` run from another
folder would open (or create) another, empty database. Pure: the folder is given, nothing is opened.
"""

from __future__ import annotations

import re
from pathlib import Path

# sqlite:///, sqlite+pysqlite:///, sqlite+aiosqlite:///: what follows the third slash is the file, up to a query.
_SQLITE_URL = re.compile(r"(?P<scheme>sqlite(?:\+\w+)?:///)(?P<file>[^?]*)(?P<query>\?.*)?", re.DOTALL)


def relative_sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names when it is written relative (not `~`): what releases before this one read from the
    working folder. None for an absolute or `~` path, an in-memory database, a URI (`file:`) or another database."""
    file = sqlite_file(url)
    if file is None or file.startswith("~"):
        return None
    path = Path(file)
    return None if path.is_absolute() else path


def sqlite_url_from(url: str, folder: Path) -> str:
    """The URL with its SQLite file absolute: `~` expanded, a relative path read from `folder` (that of the file that
    named it, or the working folder for the environment). Any other URL is returned as it is."""
    found = _SQLITE_URL.fullmatch(url.strip())  # as `values.DatabaseUrl` reads it
    file = sqlite_file(url)
    if found is None or file is None:
        return url
    try:
        path = Path(file).expanduser()
    except RuntimeError:  # no home folder to expand `~` to: left for SQLite to refuse or take as written
        return url
    if not path.is_absolute():
        path = folder / path
    return f"{found['scheme']}{path}{found['query'] or ''}"


_SQLITE_SCHEME = re.compile(r"sqlite(?:\+\w+)?://", re.IGNORECASE)


def in_memory(url: str) -> bool:
    """Whether a SQLite URL names a database in memory (`sqlite://`, `sqlite:///:memory:`, a `file::memory:` or
    `mode=memory` URI): one every command starts empty and loses when it ends."""
    url = url.strip()
    scheme = _SQLITE_SCHEME.match(url)
    if scheme is None:
        return False
    rest = url[scheme.end() :]
    if not rest.split("?", 1)[0]:  # sqlite:// (and sqlite://?...): SQLAlchemy's in-memory database
        return True
    file = rest.removeprefix("/")
    if file.startswith("file:"):  # a URI SQLite reads itself: file::memory: or file:name?mode=memory
        return file.startswith("file::memory:") or "mode=memory" in file.lower()
    return file.split("?", 1)[0] == ":memory:"


def sqlite_file(url: str) -> str | None:
    found = _SQLITE_URL.fullmatch(url.strip())
    if found is None:
        return None
    file = found["file"]
    if not file or file == ":memory:" or file.startswith("file:"):  # `file:` is a URI SQLite reads itself (uri=true)
        return None
    return file
