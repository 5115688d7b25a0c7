"""Configuration problems: `ConfigError` and pydantic's validation errors turned into one plain line each.

A line names the key (or, for a value read from the environment, the variable) and says what is wrong; it never
shows a value read from the environment, so a secret cannot reach a log or a terminal through an error.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import annotated_types
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from digest.config.declarations import also_in_file, environment_variable, field_at
from digest.resources import UnfitFileError, feeds_dir
from digest.sizes import shown_size
from digest.text import shown_name

if TYPE_CHECKING:
    from pathlib import Path

# Shorter secrets are refused when the service starts (config/secretstore.py) and by `digest config check`.
MIN_SECRET_LENGTH = 16

PROBLEM = "problem"  # the type of a PydanticCustomError raised by the settings' own validators
KINDS = {
    "int_type": "an integer",
    "float_type": "a number",
    "string_type": "a string",
    "bool_type": "true or false",
    "tuple_type": "a list",
    "list_type": "a list",
    "dict_type": "a table",
    "model_type": "a table",
    "path_type": "a path (a string)",
}


class ConfigError(Exception):
    """A configuration with one or more problems; `problems` lists each as one line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def problem(text: str) -> PydanticCustomError:
    """An error for a validator to raise: `text` (lines, each one problem) is reported as it is written."""
    return PydanticCustomError(PROBLEM, "{text}", {"text": text})


def _is_section(field: FieldInfo) -> bool:
    """Whether the field holds a whole table: its validator's lines name their keys themselves."""
    return isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)


def _bounds(field: FieldInfo | None) -> tuple[Any, Any]:
    low = high = None
    for item in field.metadata if field else ():
        if isinstance(item, annotated_types.Ge):
            low = item.ge
        elif isinstance(item, annotated_types.Le):
            high = item.le
    return low, high


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)  # an int whole: 10000000, not 1e+07


def _size(value: Any) -> str:
    """A bound of a setting in bytes: as written in the file, and as a size reads ('1048576 (1 MiB)')."""
    return f"{value} ({shown_size(value)})" if isinstance(value, int) and value >= 1024 else _number(value)


# The keys that name a table of a list of tables ([[api]]'s search_query), in a line about one of its keys.
LABEL_KEYS = ("name", "search_query")


def _table_place(loc: tuple[Any, ...], data: Mapping[str, Any] | None) -> str:
    """Which table of a list of tables a key is in (`api.max_results` of the second [[api]]): its place, and its name
    or search when it has one, for the maintainer to find it among the others; "" for a key of no such table."""
    inner = next((at for at, part in enumerate(loc[:-1]) if isinstance(part, int)), None)
    if inner is None:
        return ""
    table: Any = data
    for part in loc[: inner + 1]:
        table = table[part] if isinstance(table, (dict, list)) and _has(table, part) else None
    labels = [(key, table[key]) for key in LABEL_KEYS if isinstance(table, dict) and isinstance(table.get(key), str)]
    named = f" ({labels[0][0]} {labels[0][1][:80]!r})" if labels and labels[0][1] else ""
    return f" of item {loc[inner] + 1}{named}"


def _has(table: dict[str, Any] | list[Any], part: Any) -> bool:
    return part in table if isinstance(table, dict) else isinstance(part, int) and 0 <= part < len(table)


def describe(model: type[BaseModel], error: dict[str, Any], data: Mapping[str, Any] | None = None) -> Iterator[str]:
    """The lines for one pydantic error; the value is shown only when it came from the settings file. `data`: what
    was read, for the name of a table of a list of tables."""
    loc = tuple(error["loc"])
    field = field_at(model, loc)
    # A value only the environment sets (a secret) is named by its variable and never shown.
    variable = environment_variable(field) if field and not also_in_file(field) else None
    key = variable or ".".join(str(part) for part in loc if isinstance(part, str)) + _table_place(loc, data)
    kind, value = error["type"], error.get("input")
    item = f" item {loc[-1] + 1}" if loc and isinstance(loc[-1], int) else ""  # in a list: which one
    shown = "" if variable else f", not {value!r}"
    if kind == PROBLEM:
        text = str(error["ctx"]["text"])
        # Which item of a list: its place, and its value unless it may hold a secret or the line says it already.
        hidden = variable or not isinstance(value, str) or "@" in value or repr(value) in text
        where = key + item + ("" if not item or hidden else f" ({value!r})")
        for line in text.splitlines():
            if field is None or _is_section(field) or line.startswith(key):
                yield line
            else:
                yield f"{where}{'' if line.startswith(':') else ' '}{line}"
    elif kind == "extra_forbidden":
        yield f"unknown table [{key}]" if len(loc) == 1 and isinstance(value, dict) else f"unknown setting {key}"
    elif kind in ("greater_than_equal", "less_than_equal"):
        low, high = _bounds(field)
        bound = _size if key.endswith("_bytes") else _number  # a size is written in bytes and read in MiB
        if low is not None and high is not None:
            yield f"{key} must be between {bound(low)} and {bound(high)}{shown}"
        elif kind == "greater_than_equal":
            yield f"{key} must be at least {bound(error['ctx']['ge'])}{shown}"
        else:
            yield f"{key} must be at most {bound(error['ctx']['le'])}{shown}"
    elif kind == "missing":
        yield f"{key} is required"
    elif kind == "string_too_short":
        least = error["ctx"]["min_length"]
        yield f"{key} must not be empty" if least == 1 else f"{key} must be at least {least} characters{shown}"
    elif kind == "literal_error":
        choices = str(error["ctx"]["expected"]).replace("'", "").replace(" or ", ", ")
        yield f"{key} must be one of {choices}{shown}"
    elif kind in ("model_type", "model_attributes_type") and len(loc) == 1:
        yield f"[{key}] must be a table"
    elif kind in KINDS:
        yield f"{key}{item} must be {KINDS[kind]}{shown}"
    else:
        yield f"{key}: {error['msg']}" + ("" if variable else f" ({value!r})")


def problem_lines(model: type[BaseModel], exc: ValidationError, data: Mapping[str, Any] | None = None) -> list[str]:
    """Every problem in a validation error, one line each, in the order pydantic found them; `data`, what was
    validated, names a table of a list of tables by its name or search."""
    return [line for error in exc.errors(include_url=False) for line in describe(model, dict(error), data)]


FEEDS_FILE = "feeds file"  # what a file of feeds/ is called in its problem lines


def toml_file_problem(path: Path, exc: Exception, what: str) -> str:
    """The one line for a TOML file (the settings file, a feeds file) that could not be read, as `what` ("config
    file") names it: in plain words, not Python's ("[Errno 21] Is a directory: 3", "'utf-8' codec can't decode")."""
    named = shown_name(path)  # a line break in the name would split the line
    if isinstance(exc, UnfitFileError):  # its message is the line: a pipe nothing writes to, a file past 1 MB
        return f"{what} {exc}"
    if isinstance(exc, UnicodeDecodeError):
        return f"{what} {named} is not UTF-8 text (byte {exc.start + 1}): save it as UTF-8"
    if isinstance(exc, FileNotFoundError):
        return f"{what} {named} does not exist{_feeds_file_example(path) if what == FEEDS_FILE else ''}"
    if isinstance(exc, OSError):
        return f"{what} {named} cannot be read: {exc.strerror or exc}"
    return f"{what} {named} is not valid TOML: {exc}"


def _feeds_file_example(path: Path) -> str:
    """What to do about a feeds file missing from a feeds folder of one's own: start from the bundled one."""
    bundled = feeds_dir() / path.name
    if not bundled.is_file() or bundled.resolve() == path.resolve():
        return ""
    what = "your topic's terms and sections" if path.name == "rules.toml" else "the arXiv feeds to poll"
    return f": copy the bundled {bundled} there and write {what} in it (README: 'Your own list')"
