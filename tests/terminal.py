"""A command run as a person types it: its standard error on a terminal (a pseudo-terminal), read while it runs so
that a long log never fills the terminal's buffer and stalls it."""

from __future__ import annotations

import os
import pty
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path


def at_terminal(
    command: Sequence[str], cwd: Path, env: dict[str, str], timeout: float = 180
) -> tuple[subprocess.CompletedProcess[str], str]:
    """The finished command (its standard output captured) and what it wrote on the terminal."""
    leader, follower = pty.openpty()
    shown = bytearray()

    def read() -> None:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal's other end closed: all is read
                return
            if not chunk:
                return
            shown.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        with subprocess.Popen(
            list(command), cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=follower,
            text=True,
        ) as process:  # fmt: skip
            os.close(follower)
            follower = -1
            try:
                out, _ = process.communicate(timeout=timeout)
            finally:  # a command that hangs is killed: leaving `with` waits for it, and so would the test, for ever
                if process.poll() is None:
                    process.kill()
        reader.join(timeout=10)
    finally:
        if follower != -1:
            os.close(follower)
        os.close(leader)
    done = subprocess.CompletedProcess(list(command), process.returncode, out, None)
    return done, shown.decode("utf-8", "replace")
