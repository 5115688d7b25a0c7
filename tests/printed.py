"""The `digest ...` commands a line, page or message prints between backticks, read as a shell splits them, to run
as printed."""

from __future__ import annotations

import shlex


def printed_command(message: str, words: str) -> list[str]:
    """The one `digest ... WORDS ...` command `message` prints between backticks, as a shell splits it."""
    (command,) = [c for c in message.split("`")[1::2] if c.startswith("digest ") and f" {words}" in c]
    return shlex.split(command)
