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


_lock = threading.RLock()
_components: dict[str, Component] = {}
# Per part that does several kinds of work (background: each scheduled job, the model build), the kinds that failed
# and have not succeeded since, with their lines: one failure must not mark the part failed for the rest of the
# process's life once that work goes well again.
_failing_work: dict[str, dict[str, str]] = {}


def report(name: str, ok: bool, message: str) -> None:
    """Records the state of a part ("poll", "discord", "background", ...); the latest report stands."""
    line = " ".join(message.split())[:300]
    with _lock:
        earlier = _components.get(name)
        since = earlier.since if earlier is not None and earlier.ok == ok else datetime.now(UTC)
        _components[name] = Component(name, ok, line, since)


def work_failed(name: str, work: str, message: str) -> None:
    """One kind of a part's work failed (`work`: "poll", "model build"); the part is failing until every kind that
    failed has succeeded since."""
    with _lock:
        _failing_work.setdefault(name, {})[work] = message
        report(name, False, message)


def work_succeeded(name: str, work: str) -> None:
    """That kind of work went well: the part recovers once no other kind is still failing (nothing is reported when
    this kind had not failed)."""
    with _lock:
        failing = _failing_work.get(name, {})
        if failing.pop(work, None) is None:
            return
        if failing:
            report(name, False, list(failing.values())[-1])
        else:
            report(name, True, f"{work}: succeeded again after a failure")


def components() -> list[Component]:
    with _lock:
        return sorted(_components.values(), key=lambda component: component.name)


def forget() -> None:
    """Clears every report (a new service in the same process, as in the tests)."""
    with _lock:
        _components.clear()
        _failing_work.clear()
