"""Waits for something a test can observe (a row, a run, a line), bounded, instead of sleeping a fixed time."""

from __future__ import annotations

import asyncio
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
