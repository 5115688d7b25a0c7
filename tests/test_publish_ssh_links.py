"""Publishing over ssh when the link stalls: ssh is given its keep-alives (the operator's own ssh command kept), so a
forge that stops answering is given up within a minute, and the line says the link stalled and to which remote. `ssh`
here is a script on PATH that records what git gave it and runs the git command asked for on this machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import make_settings
from tests.git_remote import make_remote, publish_config
from tests.test_publish_gitconfig import _home
from tests.test_publish_upkeep import fake_ssh, one_approval_published

RECORDING = (
    '#!/bin/sh\nprintf "%s\\n" "$@" >> "{record}"\necho --- >> "{record}"\nfor last; do :; done\nexec sh -c "$last"\n'
)


def calls_recorded(record: Path) -> list[list[str]]:
    """The arguments of each run of the recording ssh, in order."""
    return [call.split("\n")[:-1] for call in record.read_text().split("---\n") if call]


@pytest.mark.parametrize("configured", [None, "ssh -o ConnectTimeout=7"], ids=["plain ssh", "core.sshCommand"])
def test_an_ssh_remote_without_a_key_is_given_ssh_keep_alives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, configured: str | None
) -> None:
    """Only a configured DIGEST_GIT_SSH_KEY brought ssh's keep-alives: over the operator's own ssh login (an agent,
    ~/.ssh/config) a forge that stopped answering in the middle of a push held the publish for the 4-hour ceiling.
    Every ssh run is now given ServerAliveInterval and ServerAliveCountMax, after the operator's core.sshCommand
    options, which are kept (ssh takes the first value given, so their own stand)."""
    upstream = make_remote(tmp_path)
    record = tmp_path / "ssh-arguments"
    fake_ssh(tmp_path, monkeypatch, RECORDING.format(record=record))
    _home(tmp_path, monkeypatch, f"[core]\n\tsshCommand = {configured}\n" if configured else "")
    settings = make_settings(tmp_path / "data", publish_config(f"ssh://git@github.example{upstream.bare}"))
    one_approval_published(settings, upstream)
    calls = calls_recorded(record)
    assert len(calls) >= 2, calls  # the fetch and the push at least
    for call in calls:
        assert "ServerAliveInterval=15" in call and "ServerAliveCountMax=4" in call, call
        if configured:
            assert call.index("ConnectTimeout=7") < call.index("ServerAliveInterval=15"), call


def test_an_ssh_command_that_is_not_ssh_itself_is_left_as_the_operator_wrote_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """core.sshCommand naming a wrapper of the operator's (or plink) may not take ssh's -o options: it is run as they
    configured it, and the publish goes through it."""
    upstream = make_remote(tmp_path)
    record = tmp_path / "wrapper-arguments"
    tools = fake_ssh(tmp_path, monkeypatch, "#!/bin/sh\necho 'not the configured command' >&2\nexit 255\n")
    (tools / "forge-ssh").write_text(RECORDING.format(record=record))
    (tools / "forge-ssh").chmod(0o755)
    _home(tmp_path, monkeypatch, f"[core]\n\tsshCommand = {tools / 'forge-ssh'}\n")
    settings = make_settings(tmp_path / "data", publish_config(f"ssh://git@github.example{upstream.bare}"))
    one_approval_published(settings, upstream)
    calls = calls_recorded(record)
    assert calls and not [call for call in calls if any("ServerAlive" in argument for argument in call)], calls
