"""Shared plumbing for the command modules: the lazily built settings and database of one invocation."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported by the commands that use them, not by `digest --help`
    from digest.db import Database
    from digest.settings import Settings


class CommandError(Exception):
    """A refusal or failure to report as one line (exit status 1)."""


@dataclass
class Context:
    config_path: Path | None = None
    data_dir: Path | None = None
    restoring: bool = False  # `list import`: open a used data folder's empty database without seeding it
    _settings: Settings | None = field(default=None, init=False)
    _database: Database | None = field(default=None, init=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from digest.settings import load_settings

            self._settings = load_settings(self.config_path, self.data_dir)
        return self._settings

    @property
    def database(self) -> Database:
        """The service database, created and filled with the bundled list on first use of a new data folder."""
        if self._database is None:
            from digest.app import open_service_database

            self._database = open_service_database(self.settings, restoring=self.restoring)
        return self._database

    def close(self) -> None:
        if self._database is not None:
            self._database.dispose()
            self._database = None


def print_json(payload: Any) -> None:
    import json

    json.dump(payload, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def iso_date(text: str) -> date:
    """An argparse type: a date like 2025-01-31, or a usage error (exit 2) in one line."""
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2025-01-31") from exc
