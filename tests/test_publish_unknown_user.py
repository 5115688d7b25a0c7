"""Publishing over ssh as a user the system does not know (a container run with --user 1000, no entry in its
/etc/passwd): ssh refuses to run at all, and the line must say so and what to do."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.disk import folder_with_candidates

UNKNOWN = "54321"  # a user id with no entry in the system's users


def test_publishing_over_ssh_as_a_user_the_system_does_not_know_says_why_and_what_to_do(tmp_path: Path) -> None:
    """Every publish failed with git's "fatal: Could not read from remote repository." alone: ssh's own line before
    it ("No user exists for uid 1000") was dropped, so the maintainer checked a key and an address that were fine."""
    setpriv = shutil.which("setpriv")  # util-linux's: runs the command as another user
    if os.geteuid() != 0 or setpriv is None or shutil.which("ssh") is None:
        pytest.skip("running as a user the system does not know needs root, setpriv and ssh")
    base = folder_with_candidates(tmp_path)
    shared = Path(tempfile.mkdtemp())  # the unknown user's own folder
    try:
        shutil.copytree(base, shared / "data")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(shared / "key")], check=True)
        config = shared / "config.toml"
        config.write_text(
            '[arxiv]\nsources = ["http://127.0.0.1:9/unused"]\n[publish]\nrepository = "git@127.0.0.1:o/l.git"\n',
            encoding="utf-8",
        )
        subprocess.run(["chown", "-R", f"{UNKNOWN}:{UNKNOWN}", str(shared)], check=True)
        environment = {key: value for key, value in os.environ.items() if not key.startswith(("DIGEST_", "DISCORD_"))}
        environment.pop("HOME", None)
        environment.update(PYTHONPATH=str(ROOT), DIGEST_GIT_SSH_KEY=str(shared / "key"))
        as_unknown = [setpriv, "--reuid", UNKNOWN, "--regid", UNKNOWN, "--clear-groups", sys.executable, "-m", "digest"]
        common = ["--config", str(config), "--data-dir", str(shared / "data")]

        def digest(*arguments: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [*as_unknown, *common, *arguments],
                cwd=shared, env=environment, capture_output=True, text=True, timeout=120, check=False,
            )  # fmt: skip

        checked = digest("config", "check")
        assert "publish.repository is reached over ssh, which runs only as a user the system knows" in checked.stdout
        assert digest("approve", "1").returncode == 0
        done = digest("publish")
        failed = [line for line in done.stderr.splitlines() if "publish:" in line and "failed" in line]
        assert done.returncode == 1 and len(failed) == 1, done.stderr
        assert f"No user exists for uid {UNKNOWN}" in failed[0], failed
        assert "ssh runs only as a user the system knows" in failed[0] and "DIGEST_GIT_TOKEN" in failed[0], failed
    finally:
        shutil.rmtree(shared, ignore_errors=True)
