"""The `digest` command line: parses arguments, builds Settings, calls the app. Nothing else.

Each feature keeps its commands in `digest/cli/<feature>.py` with a `register(subparsers)` function, and
each command's handler takes `(args, context)` and returns the exit status: 0 success, 1 a finding or a
refusal, 2 a usage error.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import io
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import NoReturn

from digest.cli.context import CommandError, Context, path_argument
from digest.cli.options import JSON_OPTION, global_json_option, group_json_option, takes_json
from digest.text import blank_invisible

COMMAND_MODULES = (
    "digest.cli.listing",
    "digest.cli.poll",
    "digest.cli.score",
    "digest.cli.decisions",
    "digest.cli.review",
    "digest.cli.weekly",
    "digest.cli.run",
    "digest.cli.config",
    "digest.cli.publish",
    "digest.cli.add",
    "digest.cli.database",
)


# The module registering each command: running one builds only that module's parsers (building them all is about
# 20 ms a spawn). A command missing here, `--help` and anything unusual build them all, so this table can only make
# a command start sooner.
COMMAND_HOMES = {
    "candidates": "digest.cli.poll",
    "poll": "digest.cli.poll",
    "backfill": "digest.cli.poll",
    "approve": "digest.cli.review",
    "reject": "digest.cli.review",
    "pending": "digest.cli.review",
    "history": "digest.cli.review",
    "add": "digest.cli.add",
    "list": "digest.cli.listing",
    "score": "digest.cli.score",
    "decisions": "digest.cli.decisions",
    "weekly": "digest.cli.weekly",
    "run": "digest.cli.run",
    "config": "digest.cli.config",
    "publish": "digest.cli.publish",
    "database": "digest.cli.database",
}
# The everyday commands: short, one small transaction each, run with the cyclic collector paused (collector_paused).
EVERYDAY_COMMANDS = frozenset({"candidates", "approve", "reject", "pending", "history", "add"})
_GLOBAL_OPTIONS = ("--config", "--data-dir")


def named_command(argv: Sequence[str]) -> str | None:
    """The command `argv` runs, read past the global options; None for anything else (help, an abbreviation)."""
    index = 0
    while index < len(argv):
        token = argv[index]
        if token in _GLOBAL_OPTIONS:
            index += 2
        elif token == JSON_OPTION or token.startswith(tuple(option + "=" for option in _GLOBAL_OPTIONS)):
            index += 1  # `--json` is the one global flag without a value
        else:
            return None if token.startswith("-") else token
    return None


def print_json_error(message: str, status: int) -> None:
    """A failed command asked for --json: the reason as one JSON object on one line of standard output (a JSON
    document, and a line of JSON lines for `digest score`), besides the line on standard error. A script reading the
    output then reads why, not an empty answer it cannot parse."""
    import json

    sys.stdout.write(json.dumps({"error": message, "exit_status": status}, ensure_ascii=False) + "\n")
    sys.stdout.flush()


class _Parser(argparse.ArgumentParser):
    """argparse's parser, whose usage error (exit 2) is also JSON on standard output when --json was asked for."""

    json_requested = False  # set by _main for the arguments it parses; every subcommand's parser is of this class

    def error(self, message: str) -> NoReturn:
        if _Parser.json_requested:
            print_json_error(f"{self.prog}: {message}", 2)
        super().error(message)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The whole command line; given the arguments of one command (COMMAND_HOMES), only its part."""
    home = COMMAND_HOMES.get(named_command(argv) or "") if argv is not None else None
    parser = _Parser(
        prog="digest",
        description="Keep a curated awesome list of papers up to date from arXiv.",
    )
    parser.add_argument("--config", type=path_argument, help="TOML settings file (default: $DIGEST_CONFIG)")
    parser.add_argument(
        "--data-dir",
        type=path_argument,
        help="data folder (default: $DIGEST_DATA_DIR, else data_dir in the settings file, else ./data)",
    )
    global_json_option(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in (home,) if home else COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # a feature not built in this checkout
        module.register(subparsers)
    if home and named_command(argv or ()) not in subparsers.choices:
        return build_parser()  # the command moved to another module: the whole command line still knows it
    _know_own_parser(parser)
    return parser


def _know_own_parser(parser: argparse.ArgumentParser) -> None:
    """Each (sub)command's parser is a default of its own namespace, so that an unknown option is refused with that
    command's usage (`digest approve 3 --sectoin X`), not the whole command line's."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                command.set_defaults(command_parser=command)
                if _groups(command) and not takes_json(command):  # `digest config --json show`
                    group_json_option(command)
                _know_own_parser(command)


def _groups(parser: argparse.ArgumentParser) -> bool:
    """Whether the parser is a command group's (`config`, `list`): one with subcommands of its own."""
    return any(isinstance(action, argparse._SubParsersAction) for action in parser._actions)


def one_line(reason: object) -> str:
    return " ".join(str(reason).split())[:500]


def database_failure(exc: Exception, changed: str, url: str | None = None) -> str:
    """A failed read or write of the database in one line: SQLite's or the server's reason, what was `changed` (each
    transaction rolled back), and what to fix: the full disk holding the database at `url` (when known), the file
    size limit met, the write lock another process held too long."""
    from digest.storage.failures import failure_hint

    reason = one_line(getattr(exc, "orig", None) or exc)
    return f"the database could not be written or read: {reason} ({changed}){failure_hint(reason, url)}"


def report_failure(exc: Exception, url: str | None = None, as_json: bool = False) -> int | None:
    """Says what went wrong with the configuration (every problem, exit 2) or the database (one line, exit 1), also
    as JSON on standard output with `as_json`; None for any other error.

    The settings and SQLAlchemy are imported here, on the way out, so that `--help` and the commands that never
    open the database do not pay for them at start."""
    from jinja2 import TemplateError
    from sqlalchemy.exc import SQLAlchemyError

    from digest.config import ConfigError
    from digest.config.secretstore import SecretStoreError
    from digest.storage.db import DatabaseError
    from digest.templating import template_error_line

    lines: list[str]
    if isinstance(exc, ConfigError):
        lines, status = [f"configuration: {problem}" for problem in exc.problems], 2
    elif isinstance(exc, SecretStoreError):  # a key too short, an unreadable secrets.json
        lines, status = [f"configuration: {one_line(exc)}"], 2
    elif isinstance(exc, DatabaseError):
        lines, status = [str(exc)], 1
    elif isinstance(exc, TemplateError):  # a template of the maintainers' own (templates_dir)
        lines, status = [template_error_line(exc)], 1
    elif isinstance(exc, SQLAlchemyError):
        # A full disk, a read-only file or a vanished server: each transaction rolled back, so say so in one line.
        lines, status = [database_failure(exc, "nothing was changed", url)], 1
    else:
        return None
    for line in lines:
        print(f"digest: {line}", file=sys.stderr)
    if as_json:
        print_json_error("; ".join(lines), status)
    return status


@contextmanager
def collector_paused(command: str | None, *, to_the_end: bool = False) -> Iterator[None]:
    """The cyclic garbage collector off for an everyday command (EVERYDAY_COMMANDS), on again afterwards, or left off
    `to_the_end` of a process about to exit (the `digest` script, which freezes the objects first).

    Those commands are short: their imports, one small transaction, and the process ends. The imports (SQLAlchemy,
    pydantic, Jinja2) create many objects and free few, so each collection only walks them again: about 50 ms of a
    0.5 s start (bench/bench_cli.py). Turned on again, the collector's first act would be to walk every one of them
    (they are all still the youngest generation), so the script leaves it off. Reference counting still frees
    everything else; the service and the long commands keep the collector."""
    pause = command in EVERYDAY_COMMANDS and gc.isenabled()
    if pause:
        gc.disable()
    try:
        yield
    finally:
        if pause and not to_the_end:
            gc.enable()


def console() -> NoReturn:
    """The `digest` script: main(), then the process ends without walking its objects once more.

    The interpreter's last act is a full collection over every object start-up made (SQLAlchemy's classes, the
    settings' schemas: some 67,000), all still referenced by their modules, so it frees nothing: about 0.1 s of a
    0.5 s everyday command (bench/bench_cli.py). Frozen, they are left out of it. Nothing of ours runs after
    main() returns (the database is closed, the logs flushed in its `finally`), and the atexit handlers still
    run; only the pointless walk is skipped. Tests call main() in-process and keep a normal collector."""
    # A terminal or cron job in a locale that is not UTF-8 (Debian's en_US is ISO-8859-1) cannot show an emoji or a
    # title in another script: `config show` (the section emojis) and `candidates` failed with a traceback. Shown
    # escaped instead (\U0001f4da), as standard error already does; the list's Markdown goes out as UTF-8 bytes.
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="backslashreplace")
    status = main(exiting=True)
    gc.freeze()
    sys.exit(status)


def main(argv: Sequence[str] | None = None, *, exiting: bool = False) -> int:
    """One command; `exiting`: the process ends right after (the script), so a paused collector stays off."""
    arguments = sys.argv[1:] if argv is None else argv
    with collector_paused(named_command(arguments), to_the_end=exiting):
        return _main(arguments)


def _main(argv: Sequence[str]) -> int:
    _Parser.json_requested = "--json" in argv
    parser = build_parser(argv)
    args, unknown = parser.parse_known_args(argv)
    command_parser = getattr(args, "command_parser", parser)
    if unknown:
        command_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.json and not takes_json(command_parser):
        command_parser.error("--json: this command prints no report (see `digest --help` for those that take it)")
    import logging  # here, not at the top: `--help` and usage errors end in parse_args and need no logging

    context = Context(config_path=args.config, data_dir=args.data_dir, logs=True)
    as_json = bool(getattr(args, "json", False))
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    try:
        status: int = args.handler(args, context)
        return status
    except CommandError as exc:
        # It may quote the list's headings and titles as their maintainer wrote them: no bidi override reverses it.
        message = blank_invisible(str(exc), keep_line_breaks=True)
        print(f"digest: {message}", file=sys.stderr)
        if as_json:
            print_json_error(message, exc.status)
        return exc.status
    except BrokenPipeError:
        # The reader went away (`digest candidates | head`): nothing to say to it, and Python must not complain about
        # the unwritten rest when it flushes standard output at exit.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, as a command killed by the broken pipe reports
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        message = f"{where}{one_line(exc.strerror or exc)}"
        print(f"digest: {message}", file=sys.stderr)
        if as_json:
            print_json_error(message, 1)
        return 1
    except KeyboardInterrupt:
        print("digest: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        failure = report_failure(exc, context.database_url_known, as_json)
        if failure is None:
            raise
        return failure
    finally:
        context.close()
        # Commands may set up logging for themselves; leave the process as it was (main() is also called in-process).
        for handler in root.handlers:
            if handler not in saved_handlers:
                handler.flush()
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
