"""A loop of the running service that the maintainers' decisions wake: publishing them, building the model again.

Each waits on its own schedule once woken; stopping ends the wait at once, while work in progress finishes in its
thread.
"""

from __future__ import annotations

import asyncio
import contextlib

from digest.review.rules import Outcome


class DecisionWakenLoop:
    def __init__(self) -> None:
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def on_decision(self, outcome: Outcome) -> None:
        """The Reviewer's listener: a decision that changed something wakes the loop."""
        if outcome.changed:
            self._wake.set()

    def _start_loop(self, name: str) -> None:
        self._task = asyncio.create_task(self._loop(), name=name)

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        raise NotImplementedError
