"""Running `digest` as another user: tests run as root, whom no file mode stops. `digest` runs here as `nobody`
(runuser), or, where `nobody` cannot run this interpreter (it lives in root's home), as root without the capabilities
that pass over a file's mode and owner (setpriv), on files handed to `nobody`. Either way the mode is what decides, as
for any user. The test modules make their `folder` and `digest` fixtures of these."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOBODY = "nobody"
Digest = Callable[..., subprocess.CompletedProcess[str]]


def _another_user() -> tuple[list[str], bool]:
    """The command prefix that runs as a user who owns no file here, and whether files must be handed to `nobody`
    for that (setpriv keeps the user root, who is the owner of what the test made)."""
    if os.geteuid() != 0:
        pytest.skip("running as another user needs root")
    probe = [sys.executable, "-c", "import digest"]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.skip("runuser is not installed")
    as_nobody = [runuser, "-u", NOBODY, "--"]
    if subprocess.run([*as_nobody, *probe], env=environment, capture_output=True, check=False).returncode == 0:
        return as_nobody, False
    setpriv = shutil.which("setpriv")
    without_override = [setpriv or "setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner,-chown", "--"]
    done = setpriv and subprocess.run([*without_override, *probe], env=environment, capture_output=True, check=False)
    if done and done.returncode == 0:
        return without_override, True
    pytest.skip(f"{NOBODY} cannot run {sys.executable}, and setpriv cannot drop root's file capabilities")


@contextmanager
def shared_folder(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder another user can enter (pytest's own is its owner's only), run from, with no digest setting set."""
    for name in [name for name in os.environ if name.startswith(("DIGEST_", "DISCORD_", "SMTP_"))]:
        monkeypatch.delenv(name)
    made = Path(tempfile.mkdtemp(prefix="digest-permissions-"))
    made.chmod(0o755)
    monkeypatch.chdir(made)
    yield made
    for path in [made, *made.rglob("*")]:  # modes set to 000 or 555 must not stop the removal
        if not path.is_symlink():
            path.chmod(0o755)
    shutil.rmtree(made)


def as_another_user(folder: Path) -> Digest:
    """`digest --data-dir DATA ARGS` as another user, from `folder`."""
    prefix, hand_over = _another_user()
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("DIGEST_", "DISCORD_"))}
    environment["PYTHONPATH"] = str(ROOT)

    def run(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
        if hand_over:
            for path in [data, *data.rglob("*")] if data.exists() else []:  # a folder to be created: its parent's
                shutil.chown(path, NOBODY)
        command = [*prefix, sys.executable, "-m", "digest", "--data-dir", str(data), *args]
        return subprocess.run(command, cwd=folder, env=environment, capture_output=True, text=True, timeout=180)

    return run


def open_to_all(data: Path) -> None:
    """Everything in the data folder readable and writable by every user (the folder's own mode is each test's)."""
    for path in data.rglob("*"):
        path.chmod(0o777 if path.is_dir() else 0o666)
