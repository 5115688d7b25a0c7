"""The `digest ...` commands a line, page or message prints between backticks, read as a shell splits them, to run
as printed: a command may start with the variables it needs (`DIGEST_DATABASE_URL=... digest ...`)."""

from __future__ import annotations

import re
import shlex

import pytest

from digest.cli import main

_ASSIGNMENT = re.compile(r"[A-Z_][A-Z0-9_]*=")


def _command_words(words: list[str]) -> list[str]:
    """The words from `digest` on: a shell's leading NAME=value assignments left out."""
    while words and _ASSIGNMENT.match(words[0]):
        words = words[1:]
    return words


def printed_command(message: str, words: str) -> list[str]:
    """The one `[NAME=value ...] digest ... WORDS ...` command `message` prints between backticks, as a shell splits
    it (its assignments first)."""
    found = [
        c for c in message.split("`")[1::2] if c.startswith("digest ") or (_ASSIGNMENT.match(c) and " digest " in c)
    ]
    (command,) = [c for c in found if f" {words}" in c]
    return shlex.split(command)


def run_printed(words: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    """`words` (a printed_command) run as a shell runs them, in this process: its assignments in the environment,
    then `digest`'s arguments to the command line."""
    command = _command_words(words)
    for assignment in words[: len(words) - len(command)]:
        name, value = assignment.split("=", 1)
        monkeypatch.setenv(name, value)
    assert command[:1] == ["digest"], words
    return main(command[1:])
