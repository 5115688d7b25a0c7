"""A `digest` command killed at a chosen step, as `kill -9` (an OOM kill, a power cut, Docker past its grace) kills it.

`run_killed` starts the command in a child process (`python -m tests.killed`) that sends itself SIGKILL when it
reaches a named function of the project, before or after that call: nothing of the command runs after that point, no
`finally`, no atexit. The tests then look at what the data folder, the repository or the inbox hold, and at what the
next command says.
"""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def run_killed(target: str, when: str, arguments: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Runs `digest ARGUMENTS` until its first call of `target` ("package.module:Class.method"), killing it just
    `when` ("before" or "after") that call; the command must reach it."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "DISCORD_", "SMTP_"))}
    environment["PYTHONPATH"] = str(ROOT)
    command = [sys.executable, "-m", "tests.killed", target, when, *arguments]
    done = subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == -signal.SIGKILL, f"not killed at {target} (exit {done.returncode}): {done.stderr}"
    return done


def _kill_at(target: str, when: str) -> None:
    module_name, _, path = target.partition(":")
    owner: Any = importlib.import_module(module_name)
    *parents, name = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    original = getattr(owner, name)

    def killing(*args: Any, **kwargs: Any) -> Any:
        if when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        result = original(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(owner, name, killing)


if __name__ == "__main__":
    _kill_at(sys.argv[1], sys.argv[2])
    from digest.cli import main

    sys.exit(main(sys.argv[3:]))
