"""`load_settings`: the settings file and the environment into one `Settings`, or every problem in a ConfigError."""

from __future__ import annotations

import io
import logging
import os
import re
from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_settings import InitSettingsSource

from digest.config.problems import ConfigError, problem_lines
from digest.config.settings import DataFolderFrom, Settings
from digest.config.sources import EnvironmentSource, TomlFileSource, environment_fields
from digest.config.sqlite_files import sqlite_url_from
from digest.resources import NoHomeError, UnfitFileError, home_path, read_small_file

log = logging.getLogger(__name__)


def load_settings(
    config_path: Path | None = None,
    data_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
    load_dotenv_file: bool = True,
) -> Settings:
    """Settings from an optional TOML file and the environment (`environ`, else the process's plus `.env`);
    the arguments win over the environment, which wins over the file. Raises ConfigError with every problem."""
    problems: list[str] = []
    if environ is None:
        if load_dotenv_file:
            from dotenv import load_dotenv

            found, text = dotenv_problems(Path.cwd() / ".env")
            problems += found
            if text is not None:  # the text read once: a pipe a secret manager writes a `.env` into is read once
                with _dotenv_quiet():
                    load_dotenv(stream=io.StringIO(text), override=False)
        environ = os.environ
    if config_path is None:
        config_path = config_variable(environ)
    database_beside = False  # DIGEST_DATABASE_URL set by the `.env` beside the settings file, read with it anywhere
    if config_path is not None:
        # "~" is the home folder in every path: no shell expands it in a .env file, a compose file or a quoted option.
        try:
            config_path = home_path(config_path)
        except NoHomeError as exc:
            raise ConfigError([*problems, f"config file {exc}"]) from None
    if environ is os.environ and load_dotenv_file and config_path is not None:
        # The `.env` beside the settings file too (the working folder's and the real environment win): a command run
        # from another folder signs links and logs in with the service's secrets, not with generated ones.
        beside = config_path.expanduser().absolute().parent / ".env"
        if beside.parent != Path.cwd().absolute() and beside.exists() and not beside.is_dir():
            found, text = dotenv_problems(beside)
            problems += found
            if text is not None:
                database_beside = _load_dotenv_beside(beside, text)
    given: dict[str, Any] = {"config_path": config_path}
    if data_dir is not None:
        given["data_dir"] = data_dir
    file_source = TomlFileSource(Settings, config_path, problems)
    environment = EnvironmentSource(Settings, environ)
    sources = (InitSettingsSource(Settings, given), environment, file_source)
    try:
        settings = Settings(_build_sources=(sources, {}))
    except ValidationError as exc:
        named = _named_by_variable(
            problem_lines(Settings, exc), environment().keys() - given.keys(), data_dir is not None
        )
        lines = problems + named + _moved(file_source, given.keys() | environment().keys())
        raise ConfigError(lines) from None  # no chained error shows a secret
    problems += _moved(file_source, given.keys() | environment().keys())
    if problems:
        raise ConfigError(problems)
    # A database the environment names is one a command printed with --config alone would not reach (cron, another
    # shell), unless the `.env` beside that settings file names it.
    by_variable = "database_url" in environment() and not database_beside
    return settings.with_data_dir_from(_data_dir_from(given, environment(), file_source.data), by_variable)


def _data_dir_from(given: Mapping[str, Any], environment: Mapping[str, Any], file: Mapping[str, Any]) -> DataFolderFrom:
    """What named the data folder: the option (the arguments), else the variable, else the file, else nothing."""
    for origin, values in (
        (DataFolderFrom.OPTION, given),
        (DataFolderFrom.ENVIRONMENT, environment),
        (DataFolderFrom.SETTINGS_FILE, file),
    ):
        if "data_dir" in values:
            return origin
    return DataFolderFrom.DEFAULT


def config_variable(environ: Mapping[str, str]) -> Path | None:
    """The settings file DIGEST_CONFIG names; None when it is unset, empty or blank (`DIGEST_CONFIG: " "` in a
    compose file), as for every other variable (EnvironmentSource), not a file named by spaces."""
    value = environ.get("DIGEST_CONFIG", "").strip()  # a path, as EnvironmentSource reads one: no space around it
    return Path(value) if value else None


# The variables that name a file or folder: written relative in a `.env`, each is read from that file's folder, as a
# relative path in the config file is from its own (the working folder's `.env` is in the working folder).
_PATH_VARIABLES = ("DIGEST_DATA_DIR", "DIGEST_GIT_SSH_KEY")
_DATABASE_URL_VARIABLE = "DIGEST_DATABASE_URL"  # its SQLite file, if it names one (`sqlite_files`)


_OURS = re.compile(r"\s*(?:export\s+)?(?P<name>(?:DIGEST|DISCORD|SMTP)_[A-Za-z0-9_]*)")


def dotenv_problems(path: Path) -> tuple[list[str], str | None]:
    """What is wrong with a `.env` file, and its text for python-dotenv to read; None when it is not to be read
    (one too large to be one, a pipe nothing writes to, text not UTF-8 or holding a NUL byte, which ended every
    command in a traceback). No file, or a folder (a virtualenv named `.env`), is nothing to say, and no text.
    The text is read here once: a pipe a secret manager serves a `.env` through is read to its end once.

    A line that python-dotenv cannot read (a quote not closed) is skipped with a warning naming neither the file nor
    the variable, and a secret set there is silently not set (the service then signs in with a generated token): one
    problem a line that sets one of ours, naming the file, the line and the variable, never its value. Lines of other
    programs' variables are theirs to mend."""
    from dotenv.parser import parse_stream

    try:
        text = read_small_file(path, ".env file").decode("utf-8")
    except UnfitFileError as exc:
        return [f"{exc} (not read)"], None
    except UnicodeDecodeError as exc:
        return [f"{path} is not UTF-8 text (byte {exc.start + 1}): save it as UTF-8 (not read)"], None
    except PermissionError as exc:
        return [f"{path} cannot be read ({exc.strerror}) (not read)"], None
    except OSError:
        return [], None  # no file, or a folder: python-dotenv reads nothing either
    if "\0" in text:  # no environment variable can hold one
        line = text[: text.index("\0")].count("\n") + 1
        return [f"{path} line {line} holds a NUL byte, which no setting does: is it the right file? (not read)"], None
    problems = []
    for binding in parse_stream(io.StringIO(text)):
        if not binding.error:
            continue
        found = _OURS.match(binding.original.string)
        if found:
            problems.append(
                f"{path} line {binding.original.line}: {found['name']} cannot be read (a quote not closed?), so it "
                "is not set: write it as NAME=value on one line"
            )
        else:  # python-dotenv's own warning, which `_dotenv_quiet` keeps back, named neither the file nor the line
            log.warning("%s line %s cannot be read (a quote not closed?): it is skipped", path, binding.original.line)
    return problems, text


class _NotDotenvParseWarnings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("python-dotenv could not parse statement")


@contextmanager
def _dotenv_quiet() -> Iterator[None]:
    """python-dotenv's "could not parse statement starting at line N" kept back: it names no file, and
    `dotenv_problems` says each such line already, naming the file and the line (and the variable, one of ours)."""
    logger, quiet = logging.getLogger("dotenv.main"), _NotDotenvParseWarnings()
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)


def _load_dotenv_beside(path: Path, text: str) -> bool:
    """The `.env` beside the settings file into the environment, under what is set already; a relative path in it is
    read from its folder: `DIGEST_DATA_DIR=data` there names the service's data folder from whatever folder a command
    runs, never a new, empty one in the working folder. True when it set DIGEST_DATABASE_URL."""
    from dotenv import dotenv_values

    with _dotenv_quiet():
        values = dotenv_values(stream=io.StringIO(text))
    named_database = False
    for name, value in values.items():
        if value is None or name in os.environ:
            continue
        if name == _DATABASE_URL_VARIABLE:
            value, named_database = sqlite_url_from(value, path.parent), True
        elif name in _PATH_VARIABLES and value.strip():
            value = _from_folder(value.strip(), path.parent)  # ` /srv/data` is absolute, not in this folder
        os.environ[name] = value
    return named_database


def _from_folder(value: str, folder: Path) -> str:
    if value.startswith("~") or Path(value).is_absolute():
        return value  # "~" is the home folder wherever a command runs (the settings expand it)
    return str(folder / value)


def named_by_environment(lines: list[str], environ: Mapping[str, str], data_dir_given: bool) -> list[str]:
    """`_named_by_variable` for lines said once the settings loaded (`digest config check`'s files and folders): a data
    folder or database the environment gives (DIGEST_DATA_DIR, DIGEST_DATABASE_URL) is named by its variable, not by
    the file's key, and a data folder --data-dir gave by the option."""
    from_environment = EnvironmentSource(Settings, environ)().keys()
    return _named_by_variable(lines, from_environment - ({"data_dir"} if data_dir_given else set()), data_dir_given)


def _named_by_variable(lines: list[str], from_environment: AbstractSet[str], data_dir_given: bool) -> list[str]:
    """A line about a value the settings file may give too (the data folder, the database) names the variable when the
    value in use came from the environment, and --data-dir when the option gave the data folder: the file's own value
    may be right, and the operator would look there."""
    variables = {
        path[0]: variable
        for path, variable in environment_fields(Settings)
        if len(path) == 1 and path[0] in from_environment
    }
    if data_dir_given:
        variables["data_dir"] = "--data-dir"
    named = []
    for line in lines:
        key = next((k for k in variables if line.startswith((f"{k} ", f"{k}:"))), None)
        named.append(variables[key] + line[len(key) :] if key else line)
    return named


def _moved(file_source: TomlFileSource, overridden: AbstractSet[str]) -> list[str]:
    """The file's relative paths found only in the working folder (TomlFileSource.moved), unless --data-dir or the
    environment gives the value in use instead. Said with the other problems, not only once they are fixed (an
    operator upgrading fixes a refused schedule and would only then learn the data folder is a new one)."""
    return [_moved_line(key, *found) for key, found in file_source.moved.items() if key not in overridden]


def _moved_line(key: str, written: str, before: Path, resolved: Path) -> str:
    return (
        f"{key} {written!r} is read from the config file's folder now ({resolved}, which does not exist), not from "
        f"the working folder ({before}, which does): write {key} as an absolute path so the service keeps "
        f"{'its data' if key in ('data_dir', 'database_url') else 'using it'}"
    )
