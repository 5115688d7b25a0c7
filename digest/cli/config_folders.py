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
    this user can enter (said as the commands say it when that is the data folder: its mode and owner, or a read-only
    file system)."""
    from digest.storage.folders import ELSEWHERE, REFUSALS, unenterable_folder, write_failure, write_refusal

    probe = nearest_existing(folder)
    if not probe.is_dir():
        return f"{name} {folder} cannot be created: {probe} is not a folder"
    is_data_folder = probe == data_dir.resolve()
    closed = unenterable_folder(probe, "data folder" if is_data_folder else "folder")
    if closed:
        return closed
    failure = write_failure(probe)  # tried: os.access says yes to root under /proc, and asks the real user
    if failure is None:
        return None
    here = probe == folder.resolve()
    if failure.errno in REFUSALS:
        if here:
            return f"{name} {folder} cannot be used: {write_refusal(probe, failure)}" + (
                f", or {ELSEWHERE}" if is_data_folder else ""
            )
        return f"{name} {folder} cannot be created: {write_refusal(probe, failure, str(probe))}"
    failed = one_line(failure.strerror or str(failure))
    if here:
        return f"{name} {folder} cannot be written: {failed}"
    return f"{name} {folder} cannot be created: {failed} (in {probe})"
