"""Reading a feed from a local file (`digest poll --source PATH`): a regular file, bounded, never a device or pipe."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from digest.arxiv.fetch_types import FetchError, FetchResult
from digest.resources import NoHomeError, home_path
from digest.sizes import shown_size


def _local_path(source: str) -> Path:
    if source.startswith("file://"):
        return Path(url2pathname(urlsplit(source).path))
    try:
        return home_path(source)
    except NoHomeError as exc:
        raise FetchError(f"{source}: cannot read the file: {exc}") from None


def _file_kind(mode: int) -> str:
    kinds = (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a pipe"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def read_local_file(source: str, limit: int) -> FetchResult:
    """A regular file of at most `limit` bytes. Opened without blocking (a pipe with no writer would wait forever)
    and checked after opening, so a device, pipe or folder is refused without reading it."""
    path = _local_path(source)
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise FetchError(f"{source}: cannot read the file: {exc.strerror or exc}") from exc
    try:
        mode = os.fstat(handle).st_mode
        if not stat.S_ISREG(mode):
            raise FetchError(f"{source}: {_file_kind(mode)}, not a regular file; only files are read")
        with os.fdopen(handle, "rb", closefd=False) as stream:
            body = stream.read(limit + 1)
    except OSError as exc:
        raise FetchError(f"{source}: cannot read the file: {exc.strerror or exc}") from exc
    finally:
        os.close(handle)
    if len(body) > limit:
        raise FetchError(f"{source}: the file is over the {shown_size(limit)} limit; refused")
    return FetchResult(source, 200, body)
