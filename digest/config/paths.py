"""The kind of value a path setting holds: a string in TOML and in the environment, `~` the home folder, never blank."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from digest.config.problems import problem
from digest.resources import NoHomeError, home_path


def _named_path(value: object) -> object:
    """A path the settings file leaves empty (`data_dir = ""`, a template's blank) is the working folder, and the
    service kept its data (or the weekly digests) among whatever was there: refused, as an empty --data-dir is."""
    if isinstance(value, str) and not value.strip():
        raise problem("is empty, which names the working folder: leave it out for the default, or write the path")
    return value


def _home_expanded(path: Path) -> Path:
    """`~` read as the home folder; one without a home folder to read it as is a problem, not a traceback."""
    try:
        return home_path(path)
    except NoHomeError as exc:
        raise problem(str(exc)) from None


PathValue = Annotated[Path, BeforeValidator(_named_path), Field(strict=False), AfterValidator(_home_expanded)]
