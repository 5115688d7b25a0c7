"""`load_settings`: the settings file and the environment into one `Settings`, or every problem in a ConfigError."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_settings import InitSettingsSource

from digest.config.problems import ConfigError, problem_lines
from digest.config.settings import Settings
from digest.config.sources import EnvironmentSource, TomlFileSource


def load_settings(
    config_path: Path | None = None,
    data_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
    load_dotenv_file: bool = True,
) -> Settings:
    """Settings from an optional TOML file and the environment (`environ`, else the process's plus `.env`);
    the arguments win over the environment, which wins over the file. Raises ConfigError with every problem."""
    if environ is None:
        if load_dotenv_file:
            from dotenv import load_dotenv

            load_dotenv(Path.cwd() / ".env", override=False)
        environ = os.environ
    if config_path is None and environ.get("DIGEST_CONFIG"):
        config_path = Path(environ["DIGEST_CONFIG"])
    if environ is os.environ and load_dotenv_file and config_path is not None:
        # The `.env` beside the settings file too (the working folder's and the real environment win): a command run
        # from another folder signs links and logs in with the service's secrets, not with generated ones.
        beside = config_path.expanduser().absolute().parent / ".env"
        if beside.parent != Path.cwd().absolute() and beside.is_file():
            from dotenv import load_dotenv

            load_dotenv(beside, override=False)
    given: dict[str, Any] = {"config_path": config_path}
    if data_dir is not None:
        given["data_dir"] = data_dir
    problems: list[str] = []
    file_source = TomlFileSource(Settings, config_path, problems)
    sources = (InitSettingsSource(Settings, given), EnvironmentSource(Settings, environ), file_source)
    try:
        settings = Settings(_build_sources=(sources, {}))
    except ValidationError as exc:
        # The data folder's move is said with the other problems, not only once they are fixed (an operator upgrading
        # fixes a refused schedule and would only then learn the data folder is a new one).
        overridden = {"data_dir"} if data_dir is not None or environ.get("DIGEST_DATA_DIR") else set()
        overridden |= {"database_url"} if environ.get("DIGEST_DATABASE_URL") else set()
        unchecked = {key: found for key, found in file_source.moved.items() if key not in overridden}
        lines = problems + problem_lines(Settings, exc) + [_moved_line(key, *found) for key, found in unchecked.items()]
        raise ConfigError(lines) from None  # no chained error shows a secret
    problems += moved_data(settings, file_source.moved)
    if problems:
        raise ConfigError(problems)
    return settings


def moved_data(settings: Settings, moved: Mapping[str, tuple[str, Path, Path]]) -> list[str]:
    """The file's relative data folder or SQLite file, when it is the one in use, exists only in the working folder
    (where releases before this one read it) and not in the config file's folder (where it is read now)."""
    used = {
        "data_dir": str(settings.data_dir),
        "database_url": settings.database_url.removeprefix("sqlite:///"),
        "weekly.out_dir": str(settings.weekly.out_dir or ""),
        "publish.repository": settings.publish.repository or "",
    }
    return [
        _moved_line(key, written, before, resolved)
        for key, (written, before, resolved) in moved.items()
        if Path(used[key].split("?", 1)[0]).resolve() == resolved.resolve()
    ]


def _moved_line(key: str, written: str, before: Path, resolved: Path) -> str:
    return (
        f"{key} {written!r} is read from the config file's folder now ({resolved}, which does not exist), not from "
        f"the working folder ({before}, which does): write {key} as an absolute path so the service keeps "
        f"{'its data' if key in ('data_dir', 'database_url') else 'using it'}"
    )
