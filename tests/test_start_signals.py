"""`digest run` told to stop (Ctrl-C, SIGTERM, a closed terminal's SIGHUP) at each stage of its start-up: one line,
nothing half-done, and a stop that lets the work in flight end as SIGTERM's does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The `digest` script's own lines, with Ctrl-C pressed at the moment `module` is first imported (still loading Python's
# and the project's modules, or building the parser: a second or more on a busy machine).
INTERRUPTED_AT_IMPORT = """
import importlib.abc, os, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)  # as a terminal's Ctrl-C reaches a foreground command

WHEN = sys.argv.pop(1)

class CtrlC(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == WHEN:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, CtrlC())
from digest.cli import console
console()
"""


@pytest.mark.parametrize("module", ["digest.cli.program", "argparse", "digest.cli.listing"])
def test_ctrl_c_while_digest_is_still_loading_is_one_line_not_a_traceback(tmp_path: Path, module: str) -> None:
    """Ctrl-C pressed in the first second of `digest run` (the wrong data folder typed, say) printed a Python
    traceback of forty lines through argparse or importlib; Ctrl-C a moment later said "digest: interrupted". Both
    now say that one line, with exit status 130, and nothing was made."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "DISCORD_", "SMTP_"))}
    environment["PYTHONPATH"] = str(ROOT)
    command = [sys.executable, "-c", INTERRUPTED_AT_IMPORT, module, "--data-dir", str(tmp_path / "data"), "run"]
    done = subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=60)
    assert done.stderr == "digest: interrupted\n", done.stderr
    assert done.returncode == 130
    assert not (tmp_path / "data").exists()
