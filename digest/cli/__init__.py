"""The command line: parse arguments, call the packages; nothing else. `digest = "digest.cli:console"`.

The script starts here and loads the commands' modules inside `console`, so that Ctrl-C while Python is still loading
them (a second or more on a busy machine) says "digest: interrupted" as it does once the command runs."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import NoReturn

__all__ = ["console", "main"]

INTERRUPTED_STATUS = 130  # 128 + SIGINT, as a shell reports a command Ctrl-C ended


def console() -> NoReturn:
    """The `digest` script (see program.console)."""
    try:
        from digest.cli.program import console as run_console

        run_console()
    except KeyboardInterrupt:  # pressed while loading, or building the parser: before the command's own handling
        interrupted()


def main(argv: Sequence[str] | None = None) -> int:
    """One command in this process, its exit status (see program.main)."""
    from digest.cli.program import main as run_main

    return run_main(argv)


def interrupted() -> NoReturn:
    print("digest: interrupted", file=sys.stderr)
    sys.exit(INTERRUPTED_STATUS)
