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
    sources = (
        InitSettingsSource(Settings, given),
        EnvironmentSource(Settings, environ),
        TomlFileSource(Settings, config_path, problems),
    )
    try:
        settings = Settings(_build_sources=(sources, {}))
    except ValidationError as exc:
        raise ConfigError(problems + problem_lines(Settings, exc)) from None  # no chained error shows a secret
    if problems:
        raise ConfigError(problems)
    return settings
