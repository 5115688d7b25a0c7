"""What the running service knows about its own parts, for /healthz: each part (the poll, Discord, background work)
reports whether it is fine and one line saying what is true. A leaf: a lock-protected mapping, nothing else.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Component:
    name: str
    ok: bool
    message: str  # one line a maintainer can act on, never a secret
    since: datetime


_lock = threading.Lock()
_components: dict[str, Component] = {}


def report(name: str, ok: bool, message: str) -> None:
    """Records the state of a part ("poll", "discord", "background", ...); the latest report stands."""
    line = " ".join(message.split())[:300]
    with _lock:
        earlier = _components.get(name)
        since = earlier.since if earlier is not None and earlier.ok == ok else datetime.now(UTC)
        _components[name] = Component(name, ok, line, since)


def components() -> list[Component]:
    with _lock:
        return sorted(_components.values(), key=lambda component: component.name)


def forget() -> None:
    """Clears every report (a new service in the same process, as in the tests)."""
    with _lock:
        _components.clear()
