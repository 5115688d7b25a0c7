"""The processes a test starts: each one still running when the test ends, however it ends (an assertion failed
midway, a time-out), is killed and reaped, so that no `digest` command outlives its test."""

from __future__ import annotations

import contextlib
import subprocess
from asyncio.subprocess import Process
from typing import TypeVar

Popen = TypeVar("Popen", subprocess.Popen[bytes], subprocess.Popen[str])


class Started:
    """The processes started so far (`add` each one as it starts); `end` kills and reaps those still running."""

    def __init__(self) -> None:
        self._processes: list[Process] = []

    def add(self, process: Process) -> Process:
        self._processes.append(process)
        return process

    async def end(self) -> None:
        for process in self._processes:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):  # it ended meanwhile; SIGKILL ends a stopped one too
                    process.kill()
                await process.wait()


class Spawned:
    """`Started` for the processes started with `subprocess.Popen` (a test without an event loop, or one polling its
    child): `end` kills and reaps those still running, and closes the pipes the test left open."""

    def __init__(self) -> None:
        self._processes: list[subprocess.Popen[bytes] | subprocess.Popen[str]] = []

    def add(self, process: Popen) -> Popen:
        self._processes.append(process)
        return process

    def end(self) -> None:
        for process in self._processes:
            if process.poll() is None:
                process.kill()  # Popen.kill ignores a process that ended meanwhile
            with process:  # closes its pipes and reaps it
                pass
