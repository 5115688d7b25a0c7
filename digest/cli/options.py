"""The options several commands share, declared once: `--json`, which `digest` itself takes as well."""

from __future__ import annotations

import argparse

JSON_OPTION = "--json"


def json_option(parser: argparse.ArgumentParser, help: str) -> None:
    """A command's `--json`. Unset unless written after the command, so that the command's parser does not overwrite
    the `--json` written before it (`digest --json candidates`), which `digest` itself reads (global_json_option)."""
    parser.add_argument(JSON_OPTION, action="store_true", default=argparse.SUPPRESS, help=help)


def global_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        JSON_OPTION,
        action="store_true",
        help="print JSON: the same as the command's own --json, for those that take it",
    )


def group_json_option(parser: argparse.ArgumentParser) -> None:
    """A command group's `--json` (`digest config --json show`), as `digest` itself and the subcommand take it: unset
    unless written there, and refused as the others are for a subcommand that prints no report."""
    json_option(parser, "print JSON: the same as the subcommand's own --json, for those that take it")


def takes_json(parser: argparse.ArgumentParser) -> bool:
    """Whether a command's parser has a `--json` of its own."""
    return any(JSON_OPTION in action.option_strings for action in parser._actions)
