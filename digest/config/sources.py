"""Where settings come from: the TOML file and the environment, as pydantic-settings sources.

Which variable feeds which field is declared on the field (`values.from_environment`); a secret found in the file
is refused with a line that names the variable to use instead, and never shows the value.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from digest.config.declarations import also_in_file, environment_variable, field_at
from digest.config.problems import toml_file_problem
from digest.config.publish import is_local_path
from digest.config.sqlite_files import relative_sqlite_file, sqlite_url_from
from digest.resources import NoHomeError, home_path, read_small_file, toml_text

# The paths the settings file may give, and whether each must exist already. One written relative is read from the
# file's own folder, not the working folder: every command finds the same data folder (and database) wherever it is
# run from. Given on the command line or in the environment, a relative path is read from the working folder.
FILE_PATHS: tuple[tuple[tuple[str, ...], bool], ...] = (
    (("data_dir",), False),
    (("feeds_dir",), True),
    (("templates_dir",), True),
    (("seed_list",), True),
    (("weekly", "out_dir"), False),
    (("publish", "repository"), False),
)


def environment_fields(model: type[BaseModel], path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    """(the field's path, its environment variable) for each field read from the environment, tables included."""
    for name, field in model.model_fields.items():
        variable = environment_variable(field)
        if variable:
            yield (*path, name), variable
        elif isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            yield from environment_fields(field.annotation, (*path, name))


def read_toml(path: Path, problems: list[str]) -> dict[str, Any]:
    try:
        # A settings file is a few kilobytes: one past the cap is not one (a log or a device named by mistake;
        # `/dev/zero` has no end), and was read whole into memory, ending in a MemoryError traceback.
        data = read_small_file(path, "settings file")
        return tomllib.loads(toml_text(data))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, OSError) as exc:
        problems.append(toml_file_problem(path, exc, "config file"))
    return {}


class _Source(PydanticBaseSettingsSource):
    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ returns every value at once


class TomlFileSource(_Source):
    """The settings file's tables and keys, less those only the environment may set (each a problem)."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path | None, problems: list[str]) -> None:
        super().__init__(settings_cls)
        self.data = read_toml(path, problems) if path else {}
        self.problems = problems
        self.folder = path.expanduser().absolute().parent if path else None
        # What the file's relative data_dir, SQLite file, weekly folder or local repository named before it was read
        # from the file's folder (the working folder's), kept where that exists and the file's folder has none: see
        # `load_settings`.
        self.moved: dict[str, tuple[str, Path, Path]] = {}  # key: (as written, the working folder's, the file's)

    def __call__(self) -> dict[str, Any]:
        data = copy.deepcopy(self.data)
        if self.folder is not None:
            self._from_file_folder(data, self.folder)
        for path, variable in environment_fields(self.settings_cls):
            field = field_at(self.settings_cls, path)
            if field is None or also_in_file(field):
                continue
            *parents, last = path
            table: Any = data
            for part in parents:
                table = table.get(part)
                if not isinstance(table, dict):
                    break
            else:
                if last in table:
                    del table[last]
                    self._environment_only(".".join(path), variable)
            # The web's secrets sit in a table of their own that no file shows: `secret_key = …` at the top means one.
            if parents and last in data and last not in self.settings_cls.model_fields:
                del data[last]
                self._environment_only(last, variable)
        return data

    def _from_file_folder(self, data: dict[str, Any], folder: Path) -> None:
        """Relative paths in the file made absolute from its folder; one that must exist and does not is a problem
        that names both, and its key is left out (so it is said once)."""
        for path, must_exist in FILE_PATHS:
            *parents, last = path
            table: Any = data
            for part in parents:
                table = table.get(part) if isinstance(table, dict) else None
            written = table.get(last) if isinstance(table, dict) else None
            if not isinstance(written, str) or not written.strip():
                continue  # not a path, or blank: refused as it is (paths.PathValue)
            if last == "repository" and not is_local_path(written):
                continue
            try:
                given = home_path(written)
            except NoHomeError:  # refused as it is (paths.PathValue)
                continue
            if given.is_absolute():
                continue
            resolved = folder / given
            table[last] = str(resolved)
            if not must_exist:  # data_dir, [weekly] out_dir, a local [publish] repository
                self._note_moved(".".join(path), given, resolved)
            if must_exist and not resolved.exists():
                del table[last]
                self.problems.append(
                    f"{'.'.join(path)} {written} does not exist (looked for {resolved}: a relative path in the config "
                    "file is read from the config file's folder)"
                )
        url = data.get("database_url")
        if isinstance(url, str):
            data["database_url"] = sqlite_url_from(url, folder)
            relative = relative_sqlite_file(url)
            if relative is not None:
                self._note_moved("database_url", relative, folder / relative)

    def _note_moved(self, key: str, written: Path, resolved: Path) -> None:
        """Releases before this one read a relative path from the working folder: an upgrade must not start on a new,
        empty data folder (or database, weekly folder, repository) beside the config file while the one in use sits in
        the working folder."""
        before = written.absolute()
        if before != resolved and before.exists() and not resolved.exists():
            self.moved[key] = (str(written), before, resolved)

    def _environment_only(self, key: str, variable: str) -> None:
        self.problems.append(f"{key} is read from the environment only: set {variable}, not the config file")


class EnvironmentSource(_Source):
    """The variables declared on the fields, from `environ` (the process environment, or a test's mapping)."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self.environ = environ

    def __call__(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for path, variable in environment_fields(self.settings_cls):
            value = self.environ.get(variable)
            if value and value.strip():  # set but empty, or blank (`DIGEST_DATA_DIR: " "` in a compose file): not set
                table = found
                for part in path[:-1]:
                    table = table.setdefault(part, {})
                table[path[-1]] = value if _secret(self.settings_cls, path) else value.strip()
        url = found.get("database_url")
        if isinstance(url, str):  # as the shell that set it would read it: from the working folder, `~` expanded
            found["database_url"] = sqlite_url_from(url, Path.cwd())
        return found


def _secret(model: type[BaseModel], path: tuple[str, ...]) -> bool:
    """Whether the field is a secret, which trims itself (a password may begin or end with a space). Any other value
    a variable gives is a path or an address, read without the space around it: `DIGEST_DATA_DIR=" /srv/data "`
    pasted into a compose file named a folder `" /srv/data "` inside the working folder, and the service started on
    a new, empty one there."""
    field = field_at(model, path)
    return field is not None and SecretStr in (field.annotation, *get_args(field.annotation))
