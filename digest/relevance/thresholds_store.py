"""The thresholds fitted for the review budget, kept in `relevance_state` one row per [relevance] settings: `digest
score` run with settings edited since the service started fits and keeps its own, and the service (still on the old
ones) keeps its own, neither replacing the other's at each run or poll.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from digest.config import Settings
from digest.relevance.scoring import Thresholds
from digest.storage.state import RelevanceState

STATE_KEY = "thresholds"  # the one row of thresholds older code kept, whatever the settings; rows are now per settings
# Thresholds of other settings not fitted again for this long are dropped when any are stored: settings edited away
# long ago. A process still running with them fits its own again.
_OTHER_SETTINGS_KEPT = timedelta(days=30)

# The [relevance] settings thresholds are fitted for: the key of their row.
_FITTED_FOR = ("daily_budget", "papers_per_day", "second_tier_per_week", "calibration_window")


def fitted_for(settings: Settings) -> dict[str, float]:
    return {name: float(getattr(settings.relevance, name)) for name in _FITTED_FOR}


def thresholds_key(settings: Settings) -> str:
    """The row of RelevanceState that keeps the thresholds fitted for these settings."""
    fitted = json.dumps(fitted_for(settings), sort_keys=True).encode("utf-8")
    return f"{STATE_KEY} {hashlib.sha256(fitted).hexdigest()[:32]}"


def thresholds_rows(session: Session) -> list[RelevanceState]:
    """Every stored row of thresholds: one per settings, and the single one older code kept."""
    pattern = STATE_KEY + " %"
    return list(
        session.scalars(
            select(RelevanceState).where(or_(RelevanceState.key == STATE_KEY, RelevanceState.key.like(pattern)))
        )
    )


def stored_thresholds(
    session: Session, settings: Settings, model_key: str, stream: list[Any] | None = None
) -> Thresholds | None:
    """The thresholds stored for these settings and this model (and this stream's window, when it is given)."""
    row = session.get(RelevanceState, thresholds_key(settings))
    value: dict[str, Any] = row.value if row is not None else {}
    if value.get("model_key") != model_key or (stream is not None and value.get("stream") != stream):
        return None
    return Thresholds(float(value["review"]), float(value["second"]), int(value["fitted_on"]), str(value["source"]))


def _shown(values: dict[str, float], names: list[str]) -> str:
    return ", ".join(f"{name} = {int(values[name]) if values[name].is_integer() else values[name]}" for name in names)


def _settings_of(value: dict[str, Any]) -> dict[str, float] | None:
    stored = value.get("settings")
    if not isinstance(stored, dict):
        return None
    try:
        return {name: float(stored[name]) for name in _FITTED_FOR}
    except (KeyError, TypeError, ValueError):
        return None


def other_settings_note(session: Session, settings: Settings) -> str | None:
    """One line when the thresholds fitted last were fitted for other [relevance] settings than these (a maintainer
    edited the config and scores before restarting the service): the service, still running with the old ones, keeps
    deciding with its own. None when they match, or when none are stored, or by code that did not record them."""
    latest: tuple[str, dict[str, float]] | None = None
    for row in thresholds_rows(session):
        theirs, fitted_at = _settings_of(row.value), row.value.get("fitted_at")
        if theirs is not None and isinstance(fitted_at, str) and (latest is None or fitted_at > latest[0]):
            latest = (fitted_at, theirs)
    if latest is None:
        return None
    theirs, current = latest[1], fitted_for(settings)
    differing = [name for name in _FITTED_FOR if theirs[name] != current[name]]
    if not differing:
        return None
    return (
        f"these scores use [relevance] {_shown(current, differing)}; the thresholds fitted last were fitted for "
        f"{_shown(theirs, differing)}: a service still running with those settings decides with those until it is "
        "restarted"
    )


def store_thresholds(session: Session, settings: Settings, value: dict[str, Any]) -> None:
    """Keeps `value` as the thresholds of these settings; drops the single row of older code, and the thresholds of
    other settings fitted long ago."""
    key = thresholds_key(settings)
    row = session.get(RelevanceState, key)
    if row is None:
        session.add(RelevanceState(key=key, value=value))
    else:
        row.value = value
    oldest = (datetime.now(UTC) - _OTHER_SETTINGS_KEPT).isoformat()
    for other in thresholds_rows(session):
        fitted_at = other.value.get("fitted_at")
        if other.key == STATE_KEY or (other.key != key and (not isinstance(fitted_at, str) or fitted_at < oldest)):
            session.delete(other)
