"""`digest config check` and `digest config show`: validate a configuration, and print the one in effect.

`check` prints digest/cli/config_check.py's report (every problem at once, what is on and off and how to switch each
on); `show` prints the effective settings as TOML that loads back, secrets masked.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from digest.cli.context import Context, print_json, shown_path
from digest.cli.options import json_option
from digest.sizes import counted

if TYPE_CHECKING:
    from digest.config import Settings

SWITCHABLE = ("discord", "email", "publish")
BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "config",
        help="check the configuration or show the settings in effect",
        description="Settings come from a TOML file (--config or DIGEST_CONFIG) and secrets from the environment.",
    )
    actions = parser.add_subparsers(dest="config_action", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check",
        help="validate the settings file and the environment, listing every problem",
        description="Exit status 0 when the configuration is valid, 1 when it has problems (all are listed).",
    )
    json_option(check, help="print the report as JSON")
    check.set_defaults(handler=handle_check)
    show = actions.add_parser(
        "show",
        help="print the effective settings as TOML, secrets masked",
        description="Prints every setting in effect (the file, the defaults and the environment together) as TOML, "
        "paths in full, so it can be kept as a settings file; what only the environment sets (secrets) is said "
        "set or not, never shown.",
    )
    json_option(show, help="print the settings as JSON")
    show.set_defaults(handler=handle_show)


def handle_check(args: argparse.Namespace, context: Context) -> int:
    from digest.cli.config_check import check_configuration
    from digest.config.invocation import digest_command

    # What reading the settings logs (a `.env` line it skips) is a log line with time and level, as every command's;
    # the report below is the command's output.
    with context.settings_log() as read:
        report = check_configuration(context.config_path, context.data_dir)
        if report.settings is not None:
            read(report.settings)
    if args.json:
        print_json(
            {
                "valid": not report.problems,
                "config_path": str(report.config_path) if report.config_path else None,
                "problems": report.problems,
                "warnings": report.warnings,
                "features": [vars(feature) for feature in report.features],
                "database": report.database,
            }
        )
        return 1 if report.problems else 0
    source = shown_path(report.config_path) if report.config_path else "no settings file: built-in defaults"
    print(f"configuration: {source}")
    for feature in report.features:
        switchable = feature.name in SWITCHABLE
        print(
            f"{feature.name}: {'on' if feature.on else 'off'}, {feature.detail}"
            if switchable
            else f"{feature.name}: {feature.detail}"
        )
        if feature.how:
            print(f"  {'to switch it on' if switchable and not feature.on else 'note'}: {feature.how}")
    for warning in report.warnings:
        print(f"warning: {warning}")
    for problem in report.problems:
        print(f"problem: {problem}")
    if report.problems:
        them = "it" if len(report.problems) == 1 else "them"
        again = digest_command("config", "check", config=report.config_path, data_dir=context.data_dir)
        print(f"{counted(len(report.problems), 'problem')}: fix {them} and run `{again}` again")
        return 1
    print("configuration OK")
    return 0


# -- show -----------------------------------------------------------------------------------------------------------
def settings_document(settings: Settings) -> dict[str, Any]:
    """The settings as TOML keys and values; what only the environment sets is left out (see `secret_states`), and
    None means not set."""
    from pydantic import BaseModel

    from digest.config import environment_fields
    from digest.storage.failures import shown_database_url

    only_environment = {path for path, _ in environment_fields(type(settings))} - {("data_dir",), ("database_url",)}
    document: dict[str, Any] = {}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, BaseModel):
            table = {
                key: getattr(value, key) for key in type(value).model_fields if (name, key) not in only_environment
            }
            if table:
                document[name] = table
        elif (name,) not in only_environment:
            document[name] = value
    document["database_url"] = shown_database_url(settings.database_url)
    # In full, as the other paths: kept as a settings file, a relative one would be read from that file's folder.
    document["data_dir"] = settings.data_dir.expanduser().absolute()
    return document


def secret_states(settings: Settings) -> dict[str, str]:
    """Whether each variable that only the environment sets (secrets, the key file) is set, or its generated value is
    kept in the secrets file (which is read, never created); never a value."""
    from digest.config import environment_fields
    from digest.config.invocation import password_note, same_invocation
    from digest.config.secretstore import GENERATED, SecretStoreError, secrets_path, stored_variables

    kept = secrets_path(settings)
    try:
        stored, unread = stored_variables(settings), ""
    except SecretStoreError:  # `digest config check` says why, in its one line
        check = same_invocation(settings, "config", "check")
        stored, unread = frozenset(), f" ({kept} cannot be read: see `{check}`{password_note(settings)})"
    states = {}
    for path, variable in environment_fields(type(settings)):
        if path in (("data_dir",), ("database_url",), ("config_path",)):
            continue
        value: Any = settings
        for part in path:
            value = getattr(value, part)
        if value:
            states[variable] = "set (hidden)"
        elif variable in stored:
            states[variable] = f"not set; the generated one in {kept} is used (hidden)"
        else:
            states[variable] = "not set" + (unread if variable in GENERATED.values() else "")
    return states


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    import json

    # JSON string escapes are valid TOML basic-string escapes.
    return json.dumps(str(value), ensure_ascii=False)


def toml_key(key: str) -> str:
    import json

    return key if BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def render_toml(document: Mapping[str, Any], secrets: Mapping[str, str], source: str) -> str:
    lines = [f"# settings in effect ({source}, with the environment applied)"]

    def emit(table: Mapping[str, Any], name: str) -> None:
        """A table's own keys, then each of its sub-tables right after it (TOML needs that order)."""
        if name:
            lines.extend(["", f"[{name}]"])
        for key, value in table.items():
            if value is None:
                lines.append(f"# {toml_key(key)} is not set")
            elif not isinstance(value, Mapping):
                lines.append(f"{toml_key(key)} = {toml_value(value)}")
        for key, value in table.items():
            if isinstance(value, Mapping):
                emit(value, f"{name}.{toml_key(key)}" if name else toml_key(key))

    emit(document, "")
    lines.extend(["", "# secrets, from the environment (else generated into the data folder):"])
    lines.extend(f"#   {name}: {state}" for name, state in secrets.items())
    return "\n".join(lines) + "\n"


def handle_show(args: argparse.Namespace, context: Context) -> int:
    settings = context.settings
    document = settings_document(settings)
    if args.json:
        print_json({"config_path": settings.config_path, "settings": document, "secrets": secret_states(settings)})
        return 0
    source = f"from {settings.config_path}" if settings.config_path else "built-in defaults"
    print(render_toml(document, secret_states(settings), source), end="")
    return 0
