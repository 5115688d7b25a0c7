"""The processes a test starts: each one still running when the test ends, however it ends (an assertion failed
midway, a time-out), is killed and reaped, so that no `digest` command outlives its test."""

from __future__ import annotations

import contextlib
from asyncio.subprocess import Process


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
