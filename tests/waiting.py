"""Waits for something a test can observe (a row, a run, a line), bounded, instead of sleeping a fixed time."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import TypeVar

Seen = TypeVar("Seen")


async def until(condition: Callable[[], Seen], what: str, seconds: float = 30.0) -> Seen:
    """Returns `condition()` as soon as it holds; fails naming `what` when it has not within `seconds`."""
    deadline = time.monotonic() + seconds
    while not (seen := condition()):
        assert time.monotonic() < deadline, f"{what}: not within {seconds} s"
        await asyncio.sleep(0.02)
    return seen


def until_now(condition: Callable[[], Seen], what: str, seconds: float = 30.0) -> Seen:
    """`until` for a test outside the event loop."""
    deadline = time.monotonic() + seconds
    while not (seen := condition()):
        assert time.monotonic() < deadline, f"{what}: not within {seconds} s"
        time.sleep(0.02)
    return seen


async def seen_within(condition: Callable[[], object], seconds: float) -> bool:
    """Whether `condition()` held at any look within `seconds` (a test proving that something does not happen)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.02)
    return bool(condition())


def finished_within(call: Callable[[], Seen], what: str, seconds: float = 120.0) -> Seen:
    """`call()`'s result, run on a thread of its own; fails naming `what` when it has not returned within `seconds`:
    a loop that never ends (pytest-timeout is not installed) fails its test instead of hanging the suite. The thread,
    a daemon, is left to end with the process."""
    results: list[Seen] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(call())
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run, name=f"bounded: {what}", daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"{what}: not within {seconds} s"
    if errors:
        raise errors[0]
    return results[0]
