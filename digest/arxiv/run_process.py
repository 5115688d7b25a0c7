"""The process a poll run's row names (host, pid, data folder, and on Linux the boot and the process's start), and
whether that process is gone: read from the row and this host alone, never by taking the poll lock.

The pid alone is no proof: after a reboot (a power cut) or in a restarted container pids are given out again, so a
live process can hold a dead poll's pid. The boot's id and the process's start (in clock ticks since boot) tell it.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def this_process(folder: str | None = None) -> dict[str, Any]:
    """The process a run row names: its host and pid, the boot and its start when the system says them, and the data
    folder (resolved) it polls for."""
    process: dict[str, Any] = {"host": socket.gethostname(), "pid": os.getpid()}
    boot, started = boot_id(), start_ticks(os.getpid())
    if boot is not None:
        process["boot"] = boot
    if started is not None:
        process["started"] = started
    if folder is not None:
        process["folder"] = folder
    return process


def boot_id() -> str | None:
    """This boot's id (Linux), or None where the system keeps none."""
    try:
        return _BOOT_ID.read_text(encoding="ascii").strip() or None
    except OSError:
        return None


def start_ticks(pid: int) -> int | None:
    """When process `pid` started, in clock ticks since boot (Linux /proc), or None (no such process, no /proc)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # the name, in parentheses, may hold spaces
    try:
        return int(fields[19])  # field 22 of proc(5), the 20th after the name
    except (IndexError, ValueError):
        return None


def of_this_host(process: Mapping[str, Any]) -> bool:
    """Whether a row's process ran on this host, with a pid that can be checked here."""
    return process.get("host") == socket.gethostname() and isinstance(process.get("pid"), int)


def gone(process: Mapping[str, Any]) -> bool:
    """Whether a row's process of this host (see of_this_host) is known to have ended: its pid is this very process's
    (a restarted container gets its old pid back: that run is not ours), or no process holds it, or the one that does
    is another (started in another boot, or at another time)."""
    pid = int(process["pid"])
    if pid == os.getpid():
        return True
    boot = boot_id()
    if isinstance(process.get("boot"), str) and boot is not None and process["boot"] != boot:
        return True
    if not _pid_alive(pid):
        return True
    started, now_held = process.get("started"), start_ticks(pid)
    return isinstance(started, int) and now_held is not None and started != now_held


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
