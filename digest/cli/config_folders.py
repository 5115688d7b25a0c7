"""The folders a configuration names for the service to create or write, checked for `digest config check` by trying,
not by asking: os.access says yes to root everywhere, also under /proc or on a read-only mount."""

from __future__ import annotations

import os
from pathlib import Path

from digest.text import one_line


def nearest_existing(folder: Path) -> Path:
    """The folder, or its nearest parent that exists: where it would be created."""
    probe = folder.resolve()
    while not os.path.lexists(probe) and probe != probe.parent:  # lexists: False, not an error, under a closed folder
        probe = probe.parent
    return probe


def folder_problem(name: str, folder: Path, data_dir: Path) -> str | None:
    """A folder the service must create or write: it, or its nearest existing parent, must be a writable folder that
    this user can enter (said as the commands say it when that is the data folder)."""
    from digest.storage.folders import unenterable_folder

    probe = nearest_existing(folder)
    if not probe.is_dir():
        return f"{name} {folder} cannot be created: {probe} is not a folder"
    closed = unenterable_folder(probe, "data folder" if probe == data_dir.resolve() else "folder")
    if closed:
        return closed
    if not os.access(probe, os.W_OK | os.X_OK):
        return f"{name} {folder} is not writable by this user ({probe})"
    failed = _write_failure(probe)
    if failed is None:
        return None
    if probe == folder.resolve():
        return f"{name} {folder} cannot be written: {failed}"
    return f"{name} {folder} cannot be created: {failed} (in {probe})"


def _write_failure(folder: Path) -> str | None:
    """Why a file cannot be made in `folder` (tried without leaving anything in it: storage/folders.py), or None."""
    from digest.storage.folders import write_failure

    failure = write_failure(folder)
    return one_line(failure.strerror or str(failure)) if failure is not None else None
