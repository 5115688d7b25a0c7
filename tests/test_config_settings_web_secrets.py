"""The web's secrets in the settings: one value given for two of them, secrets generated as root (the secrets file
left to its users), and a secret set to a generated one's value."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from digest.config import ConfigError
from tests.config_settings import ROOT, SECRETS, shown_secrets
from tests.conftest import make_settings


@pytest.mark.parametrize(
    ("shared", "problem"),
    [
        (
            {"DIGEST_FEED_TOKEN": SECRETS["DIGEST_ADMIN_TOKEN"]},
            "DIGEST_FEED_TOKEN is also DIGEST_ADMIN_TOKEN: the feed's address, which feed readers keep, would sign in "
            "on /review; give each its own random value",
        ),
        (
            {"DIGEST_FEED_TOKEN": "bob-token-0123456789abcdef"},
            "DIGEST_FEED_TOKEN is also bob.b's token in DIGEST_ADMIN_TOKENS: the feed's address, which feed readers "
            "keep, would sign in on /review; give each its own random value",
        ),
        (
            {"DIGEST_SECRET_KEY": SECRETS["DIGEST_FEED_TOKEN"]},
            "DIGEST_SECRET_KEY is also DIGEST_FEED_TOKEN: whoever holds the feed's address could sign approval links "
            "and sessions; give each its own random value",
        ),
        (
            {"DIGEST_SECRET_KEY": "alice-token-0123456789abcdef"},
            "DIGEST_SECRET_KEY is also alice's token in DIGEST_ADMIN_TOKENS: whoever holds that token could sign "
            "approval links and sessions; give alice's token in DIGEST_ADMIN_TOKENS a new random value (that ends "
            "only its sessions; a new DIGEST_SECRET_KEY would also void every approval link already sent)",
        ),
        (
            {"DIGEST_ADMIN_TOKEN": SECRETS["DIGEST_SECRET_KEY"]},
            "DIGEST_SECRET_KEY is also DIGEST_ADMIN_TOKEN: whoever holds that token could sign approval links and "
            "sessions; give DIGEST_ADMIN_TOKEN a new random value (that ends only its sessions; a new "
            "DIGEST_SECRET_KEY would also void every approval link already sent)",
        ),
    ],
)
def test_one_value_for_two_web_secrets_is_refused_naming_the_variables_only(
    tmp_path: Path, shared: dict[str, str], problem: str
) -> None:
    """The feed token travels in the address given to feed readers (and shown on /review); when it was also the admin
    token, that address signed anyone in; when it was the signing key, it forged approval links. When the key was an
    admin token, the line did not say which to change: a new token only ends sessions, a new key voids every approval
    link already sent, so it names the token."""
    web = {name: value for name, value in SECRETS.items() if name.startswith("DIGEST_")}
    with pytest.raises(ConfigError) as caught:
        make_settings(tmp_path / "data", environ={**web, **shared})
    assert caught.value.problems == [problem]
    assert shown_secrets(str(caught.value)) == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root gives a file to another user")
def test_a_secret_generated_as_root_leaves_the_secrets_file_its_users(tmp_path: Path) -> None:
    """A command run as root (`sudo digest weekly`) that generated a secret the file lacked replaced the service
    user's secrets.json with root's, owner-only: the service, as its user, could no longer read it and would not start.
    The new file keeps the owner and group of the one it replaces."""
    from digest.config.secretstore import ensure_secrets

    data = tmp_path / "data"
    data.mkdir()
    stored = data / "secrets.json"
    stored.write_text(json.dumps({"secret_key": "k" * 43, "admin_token": "a" * 43}), encoding="utf-8")  # no feed's
    stored.chmod(0o600)
    os.chown(stored, 4321, 4322)  # the service's user and group: numbers, no account needed
    started = ensure_secrets(make_settings(data))
    assert (stored.stat().st_uid, stored.stat().st_gid, stored.stat().st_mode & 0o777) == (4321, 4322, 0o600)
    assert json.loads(stored.read_text(encoding="utf-8"))["feed_token"] == started.feed_token.get_secret_value()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root gives a file to another user")
def test_secrets_generated_as_root_leave_the_service_user_able_to_generate_the_next() -> None:
    """Root (`sudo digest weekly`) generating a secret in the service user's data folder made its lock file, and a
    new secrets.json, root's: the service, as its user, could then neither read the secrets nor, to generate the one
    root's command did not need, open the lock, and would not start. Both are the data folder owner's."""
    from digest.config.secretstore import ensure_secrets

    as_user = [shutil.which("setpriv") or "setpriv", "--reuid", "4321", "--regid", "4322", "--clear-groups"]
    probe = [*as_user, sys.executable, "-c", "import digest"]  # numbers, no account needed
    try:
        subprocess.run(probe, env={"PYTHONPATH": str(ROOT)}, cwd="/", capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip(f"setpriv cannot run {sys.executable} as another user")
    folder = Path(tempfile.mkdtemp(prefix="digest-secrets-"))
    try:
        folder.chmod(0o755)  # pytest's own folder is root's alone: the service's user enters this one
        data = folder / "data"
        data.mkdir(mode=0o700)
        os.chown(data, 4321, 4322)
        ensure_secrets(make_settings(data, environ={"DIGEST_FEED_TOKEN": "f" * 43}))  # root's, needing no feed token
        for path in (data / "secrets.json", data / ".secrets.json.lock"):
            assert (path.stat().st_uid, path.stat().st_gid) == (4321, 4322), path
        program = (
            "from pathlib import Path; from digest.config import load_settings; "
            "from digest.config.secretstore import ensure_secrets; "
            f"ensure_secrets(load_settings(None, Path({str(data)!r}), environ={{}}, load_dotenv_file=False))"
        )
        service = subprocess.run(
            [*as_user, sys.executable, "-c", program],
            env={"PYTHONPATH": str(ROOT)},
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert service.returncode == 0, service.stderr
        assert set(json.loads((data / "secrets.json").read_text(encoding="utf-8"))) == {
            "secret_key",
            "admin_token",
            "feed_token",
        }
    finally:
        shutil.rmtree(folder)


def test_a_secret_set_to_a_generated_ones_value_stops_the_start_in_one_line(tmp_path: Path) -> None:
    from digest.config.secretstore import SecretStoreError, ensure_secrets

    generated = ensure_secrets(make_settings(tmp_path / "data")).admin_token.get_secret_value()
    copied = make_settings(tmp_path / "data", environ={"DIGEST_FEED_TOKEN": generated})
    with pytest.raises(SecretStoreError) as caught:
        ensure_secrets(copied)
    assert str(caught.value) == (
        "DIGEST_FEED_TOKEN is also DIGEST_ADMIN_TOKEN: the feed's address, which feed readers keep, would sign in on "
        f"/review; give each its own random value (the other one is kept in {tmp_path / 'data' / 'secrets.json'})"
    )
    assert generated not in str(caught.value)
