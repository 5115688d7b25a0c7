"""What the bot will try again, and when: each thing that failed waits a delay that doubles from `first` up to
`longest`, so one bad message or a Discord outage costs a request now and then, not one every round; never less than
Discord asked (a 429's retry_after), each try inside that wait being one more toward its ban. Pure."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)


class Retries(Generic[Key]):
    def __init__(self, first: float, longest: float = 300.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.first = first
        self.longest = longest
        self._clock = clock
        self._failures: dict[Key, int] = {}
        self._next: dict[Key, float] = {}

    def failed(self, key: Key, at_least: float = 0.0) -> float:
        """Notes one more failure; the seconds until `key` is due again, `at_least` those Discord asked."""
        failures = self._failures.get(key, 0)
        # The count stops growing once the wait is the longest: a key failing for days (a channel the bot may not
        # post to over a long weekend) would otherwise overflow 2.0 ** failures and end the bot's background loop.
        delay = min(self.first * 2.0**failures, self.longest)
        self._failures[key] = failures + 1 if delay < self.longest else failures
        delay = max(delay, at_least)
        self._next[key] = self._clock() + delay
        return delay

    def put_off(self, key: Key, seconds: float) -> None:
        """`key` is not due for `seconds` (something else made Discord ask the bot to wait), its back-off unchanged."""
        self._failures.setdefault(key, 0)
        self._next[key] = max(self._next.get(key, 0.0), self._clock() + seconds)

    def succeeded(self, key: Key) -> None:
        self._failures.pop(key, None)
        self._next.pop(key, None)

    def failing(self, key: Key) -> bool:
        """Whether `key` failed and has not succeeded since."""
        return key in self._failures

    def waiting(self, key: Key) -> bool:
        """Whether `key` failed and its delay has not passed yet."""
        return key in self._next and self._next[key] > self._clock()

    def due(self) -> list[Key]:
        now = self._clock()
        return [key for key, at in self._next.items() if at <= now]

    def waiting_keys(self) -> list[Key]:
        """Every key that failed and has not succeeded since, due or not."""
        return list(self._next)

    def clear(self) -> None:
        self._failures.clear()
        self._next.clear()
