"""Typed values out of a TOML settings file, with every problem collected instead of stopping at the first."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def read_toml(path: Path, problems: list[str]) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        problems.append(f"config file {path} does not exist")
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"config file {path} is not valid TOML: {exc}")
    except OSError as exc:
        problems.append(f"config file {path} cannot be read: {exc.strerror}")
    return {}


class TableReader:
    """Pulls typed values out of one TOML table, recording every problem instead of stopping at the first."""

    def __init__(self, table: Mapping[str, Any], prefix: str, problems: list[str]) -> None:
        self.table = dict(table)
        self.prefix = prefix
        self.problems = problems

    def _get(self, key: str, kind: type | tuple[type, ...], default: Any) -> Any:
        if key not in self.table:
            return default
        value = self.table.pop(key)
        if isinstance(value, bool) and kind in (int, float):
            self.problems.append(f"{self.prefix}{key} must be a number, not {value!r}")
            return default
        if kind is float and isinstance(value, int):
            return float(value)
        if not isinstance(value, kind):
            name = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.problems.append(f"{self.prefix}{key} must be a {name}, not {value!r}")
            return default
        return value

    def text(self, key: str, default: Any) -> Any:
        return self._get(key, str, default)

    def integer(self, key: str, default: Any) -> Any:
        return self._get(key, int, default)

    def number(self, key: str, default: float) -> Any:
        return self._get(key, float, default)

    def flag(self, key: str, default: bool) -> Any:
        return self._get(key, bool, default)

    def choice(self, key: str, default: str, choices: tuple[str, ...]) -> Any:
        value = self.text(key, default)
        if value not in choices:
            self.problems.append(f"{self.prefix}{key} must be one of {', '.join(choices)}, not {value!r}")
            return default
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        value = self._get(key, list, [])
        if not all(isinstance(item, str) for item in value):
            self.problems.append(f"{self.prefix}{key} must be a list of strings")
            return ()
        return tuple(value)

    def ids(self, key: str) -> tuple[int, ...]:
        value = self._get(key, list, [])
        out: list[int] = []
        for item in value:
            try:
                out.append(int(item))
            except (TypeError, ValueError):
                self.problems.append(f"{self.prefix}{key} holds {item!r}, which is not a Discord id")
        return tuple(out)

    def optional_id(self, key: str) -> int | None:
        value = self._get(key, (int, str), None)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            self.problems.append(f"{self.prefix}{key} must be a Discord id (a number), not {value!r}")
            return None

    def finish(self) -> None:
        for key in self.table:
            self.problems.append(f"unknown setting {self.prefix}{key}")


def cron_problem(name: str, expression: str) -> str | None:
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(expression)
    except ValueError as exc:
        return f"{name} is not a valid crontab expression ({expression!r}): {exc}"
    return None


def table(raw: dict[str, Any], key: str, problems: list[str]) -> dict[str, Any]:
    value = raw.pop(key, {})
    if not isinstance(value, dict):
        problems.append(f"[{key}] must be a table")
        return {}
    return value
