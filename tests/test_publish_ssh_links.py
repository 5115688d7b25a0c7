"""Publishing over ssh when the link stalls: ssh is given its keep-alives (the operator's own ssh command kept), so a
forge that stops answering is given up within a minute, and the line says the link stalled and to which remote. `ssh`
here is a script on PATH that records what git gave it and runs the git command asked for on this machine."""

from __future__ import annotations

import logging
import shlex
from pathlib import Path

import pytest

from digest.cli.config_check import warnings_for
from digest.publish.git import GitClone, GitError
from digest.publish.publisher import FAILED
from tests.conftest import make_settings
from tests.git_remote import make_remote, publish_config
from tests.publish_upkeep import approve_first, fake_ssh, one_approval_published, publish_once
from tests.publishing import git_home

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
    git_home(tmp_path, monkeypatch, f"[core]\n\tsshCommand = {configured}\n" if configured else "")
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
    git_home(tmp_path, monkeypatch, f"[core]\n\tsshCommand = {tools / 'forge-ssh'}\n")
    settings = make_settings(tmp_path / "data", publish_config(f"ssh://git@github.example{upstream.bare}"))
    one_approval_published(settings, upstream)
    calls = calls_recorded(record)
    assert calls and not [call for call in calls if any("ServerAlive" in argument for argument in call)], calls


KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nstands in for the service's deploy key\n-----END OPENSSH PRIVATE KEY-----\n"
KEY_OPTIONS = ["-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "ServerAliveInterval=15"]


def deploy_key(tmp_path: Path) -> Path:
    """The operator's key file for DIGEST_GIT_SSH_KEY, owner-only, in a folder whose name needs quoting in a shell."""
    key = tmp_path / "deploy keys" / "list_key"
    key.parent.mkdir()
    key.write_text(KEY)
    key.chmod(0o600)
    return key


@pytest.mark.parametrize(
    "configured",
    [None, "ssh -J bastion.example -p 2222 -o UserKnownHostsFile=/srv/forge_known_hosts"],
    ids=["plain ssh", "core.sshCommand"],
)
def test_an_ssh_key_goes_after_the_operators_own_ssh_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, configured: str | None
) -> None:
    """With DIGEST_GIT_SSH_KEY set, the service ran an ssh command of its own and dropped the operator's core.sshCommand
    (a jump host, a port, a known_hosts file), so a publish that worked by hand failed. Their command now comes first,
    then the key (-i, IdentitiesOnly, BatchMode) and the keep-alives; the key file is left as it was, and its text is
    in no log line and no file of the service's (nor its path in the clone or the database)."""
    upstream = make_remote(tmp_path)
    record = tmp_path / "ssh-arguments"
    fake_ssh(tmp_path, monkeypatch, RECORDING.format(record=record))
    git_home(tmp_path, monkeypatch, f"[core]\n\tsshCommand = {configured}\n" if configured else "")
    key = deploy_key(tmp_path)
    config = publish_config(f"ssh://git@github.example{upstream.bare}")
    settings = make_settings(tmp_path / "data", config, {"DIGEST_GIT_SSH_KEY": str(key)})
    with caplog.at_level(logging.DEBUG):
        one_approval_published(settings, upstream)
    calls = calls_recorded(record)
    assert len(calls) >= 2, calls  # the fetch and the push at least
    expected = [*(shlex.split(configured)[1:] if configured else []), "-i", str(key), *KEY_OPTIONS]
    for call in calls:
        assert call[: len(expected)] == expected, call
    assert key.read_text() == KEY and "stands in for" not in caplog.text
    written = [path for path in (tmp_path / "data").rglob("*") if path.is_file()]
    assert written and not [path for path in written if b"list_key" in path.read_bytes()]
    assert not [
        path for path in tmp_path.rglob("*") if path.is_file() and path != key and b"stands in" in path.read_bytes()
    ]


def test_a_wrapper_with_a_key_set_is_named_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """core.sshCommand naming a wrapper (plink, sshpass) with DIGEST_GIT_SSH_KEY set: the wrapper was dropped for the
    service's own ssh without a word. The key cannot be passed to a program that may not take ssh's options: ssh
    with the key still runs in its place, and `config check` and the first publish say so in one line, naming the
    program alone (the rest of its command may hold a password)."""
    upstream = make_remote(tmp_path)
    record = tmp_path / "ssh-arguments"
    tools = fake_ssh(tmp_path, monkeypatch, RECORDING.format(record=record))
    (tools / "forge-ssh").write_text("#!/bin/sh\necho 'the wrapper ran' >&2\nexit 255\n")
    (tools / "forge-ssh").chmod(0o755)
    git_home(tmp_path, monkeypatch, f"[core]\n\tsshCommand = {tools / 'forge-ssh'} --password hunter2\n")
    key = deploy_key(tmp_path)
    config = publish_config(f"ssh://git@github.example{upstream.bare}")
    settings = make_settings(tmp_path / "data", config, {"DIGEST_GIT_SSH_KEY": str(key)})
    line = (
        "core.sshCommand in your git config runs forge-ssh, not ssh, and DIGEST_GIT_SSH_KEY cannot be passed to it: "
        "publishing runs plain ssh with the key in its place; unset DIGEST_GIT_SSH_KEY to publish through forge-ssh"
    )
    assert line in warnings_for(settings)
    with caplog.at_level(logging.WARNING, logger="digest.publish"):
        one_approval_published(settings, upstream)
    assert [entry.getMessage() for entry in caplog.records if "sshCommand" in entry.getMessage()] == [
        f"publish: {line}"
    ]
    calls = calls_recorded(record)
    assert calls and all(call[:2] == ["-i", str(key)] for call in calls), calls
    assert "hunter2" not in caplog.text


# ssh giving up on a forge that stopped answering its keep-alives, for the one git service named (the other runs).
TIMING_OUT = (
    '#!/bin/sh\nfor last; do :; done\ncase "$last" in\n'
    "  {service}*) echo 'Timeout, server github.example not responding.' >&2; exit 255;;\n"
    '  *) exec sh -c "$last";;\nesac\n'
)
STALLED = "failed: the connection to the repository stalled (ssh: the server stopped answering); trying again later"


@pytest.mark.parametrize(
    ("service", "command"),
    [("git-upload-pack", "fetch from"), ("git-receive-pack", "push to"), ("git-upload-pack", "ls-remote with")],
    ids=["fetch", "push", "ls-remote"],
)
def test_ssh_giving_up_on_a_stalled_link_says_so_and_names_the_remote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, service: str, command: str
) -> None:
    """ssh's own "Timeout, server ... not responding." came out as "(ssh timed out)", and a look at the branch
    upstream (ls-remote, while a refused push is held) named no remote at all. The one line now says the connection
    stalled, that the server stopped answering, and to which remote, without the address's user."""
    upstream = make_remote(tmp_path)
    fake_ssh(tmp_path, monkeypatch, TIMING_OUT.format(service=service))
    git_home(tmp_path, monkeypatch, "")
    settings = make_settings(tmp_path / "data", publish_config(f"ssh://deploy@github.example{upstream.bare}"))
    if command.startswith("ls-remote"):
        with pytest.raises(GitError) as raised:
            GitClone(tmp_path / "clone", settings.publish, "digest").remote_head()
        message = str(raised.value)
    else:
        approve_first(settings)
        result = publish_once(settings)
        assert result.outcome == FAILED, result.message
        message = result.message
    assert message == f"git {command} ssh://github.example{upstream.bare} {STALLED}", message
