"""The names that appear in a folder while a test runs something, as the kernel reports them (inotify): an entry made
and removed again, which no listing afterwards shows, is one a command killed in between would have left behind."""

from __future__ import annotations

import ctypes
import os
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

IN_MOVED_TO = 0x080
IN_CREATE = 0x100
_EVENT = struct.Struct("iIII")  # struct inotify_event: wd, mask, cookie, len; then len bytes of name


@contextmanager
def names_made_in(folder: Path) -> Iterator[list[str]]:
    """The names created in (or moved into) `folder` during the block, filled in when it ends; skips the test where
    the kernel has no inotify."""
    libc = ctypes.CDLL(None, use_errno=True)
    if not hasattr(libc, "inotify_init1"):
        pytest.skip("inotify is not available here")
    handle = libc.inotify_init1(os.O_NONBLOCK)
    if handle < 0:
        pytest.skip(f"inotify is not available here: {os.strerror(ctypes.get_errno())}")
    made: list[str] = []
    try:
        if libc.inotify_add_watch(handle, os.fsencode(folder), IN_CREATE | IN_MOVED_TO) < 0:
            pytest.skip(f"cannot watch {folder}: {os.strerror(ctypes.get_errno())}")
        yield made
        made.extend(_names(handle))
    finally:
        os.close(handle)


def _names(handle: int) -> list[str]:
    names: list[str] = []
    while True:
        try:
            data = os.read(handle, 65536)
        except BlockingIOError:
            return names
        offset = 0
        while offset < len(data):
            _watch, _mask, _cookie, length = _EVENT.unpack_from(data, offset)
            start = offset + _EVENT.size
            names.append(os.fsdecode(data[start : start + length].rstrip(b"\0")))
            offset = start + length
