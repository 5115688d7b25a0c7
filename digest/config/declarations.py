"""How a field says where its value may come from, and finding a field's declaration by its path.

A leaf of the package: the models declare with `from_environment`, the sources and the error lines read it back.
"""

from __future__ import annotations

from typing import Any, get_args, get_origin

from pydantic import BaseModel, Field
from pydantic.fields import FieldInfo


def from_environment(variable: str, description: str, *, default: Any = None, file_key: bool = False) -> Any:
    """A field read from the environment variable `variable`; with `file_key` the settings file may set it too
    (the environment wins), without it the file may not (secrets)."""
    return Field(default, description=description, json_schema_extra={"env": variable, "file_key": file_key})


def environment_variable(field: FieldInfo) -> str | None:
    """The environment variable a field is read from, if any."""
    extra = field.json_schema_extra
    variable = extra.get("env") if isinstance(extra, dict) else None
    return variable if isinstance(variable, str) else None


def also_in_file(field: FieldInfo) -> bool:
    """Whether the settings file may set the field as well as the environment (the data folder, the database)."""
    extra = field.json_schema_extra
    return isinstance(extra, dict) and bool(extra.get("file_key"))


def field_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> FieldInfo | None:
    """The declaration of the field at a path (an error's location), following nested models and the tables of a
    list of them (`api.0.max_results` is ApiQuery's max_results, its bounds with it); an item of a plain list is
    its list's field."""
    field: FieldInfo | None = None
    current: Any = model
    for part in loc:
        items = get_args(current) if isinstance(part, int) and get_origin(current) in (tuple, list) else ()
        if items and isinstance(getattr(items[0], "model_fields", None), dict):
            current = items[0]  # a table of a list of tables: its own fields follow
            continue
        fields = getattr(current, "model_fields", None)
        if not isinstance(part, str) or not isinstance(fields, dict) or part not in fields:
            return field if isinstance(part, int) else None
        field = fields[part]
        current = field.annotation
    return field
