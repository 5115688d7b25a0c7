"""Publishing when the login fails: a refused token or key, an unreachable or changed ssh host, a read-only deploy
key, a secret the address never sends; each says what the forge or ssh said. ssh is a script on PATH."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from digest.publish.publisher import FAILED
from tests.conftest import make_settings
from tests.git_http import GitHttpServer, backend_path
from tests.git_remote import make_remote, publish_config
from tests.publish_upkeep import STAND_IN_SSH, approve_first, fake_ssh, one_approval_published, publish_once


@pytest.mark.skipif(backend_path() is None, reason="git-http-backend is not installed")
@pytest.mark.parametrize("token", ["ghp_Expired00000000000000", None])
def test_a_refused_login_says_so_and_which_setting_to_check(
    token: str | None, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An expired token (or none) made git answer "could not read Username for '...': terminal prompts disabled":
    no word of the token, the login or what to do. Now the line says the login was refused and what to check."""
    make_remote(tmp_path)
    with GitHttpServer(tmp_path, "ghp_TheRightToken000000000") as server:
        environment = {"DIGEST_GIT_TOKEN": token} if token else {}
        settings = make_settings(tmp_path / "data", publish_config(server.url("remote.git")), environment)
        result = publish_once(settings)
    assert result.outcome == FAILED
    assert "Username" not in result.message and "terminal prompts" not in result.message, result.message
    expected = (
        "refused the login: check DIGEST_GIT_TOKEN" if token else "asks for a login: set DIGEST_GIT_TOKEN (https)"
    )
    assert result.message.startswith("git fetch from http://127.0.0.1:") and expected in result.message, result.message
    assert token is None or token not in caplog.text + result.message


def test_an_unreachable_ssh_remote_says_what_ssh_said(tmp_path: Path) -> None:
    """Over ssh, git's line ("Could not read from remote repository") came without ssh's own reason before it (the
    connection refused, the key refused): the maintainer could not tell a firewall from a key."""
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    key = tmp_path / "deploy_key"
    key.write_text("not used: the connection is refused first\n", encoding="utf-8")
    key.chmod(0o600)
    config = publish_config(f"ssh://git@127.0.0.1:{port}/owner/list.git")
    result = publish_once(make_settings(tmp_path / "data", config, {"DIGEST_GIT_SSH_KEY": str(key)}))
    assert result.outcome == FAILED
    assert f"ssh: connect to host 127.0.0.1 port {port}: Connection refused" in result.message, result.message


def test_a_relative_ssh_key_path_is_found_by_ssh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """DIGEST_GIT_SSH_KEY=deploy_key in .env, beside the config: `config check` found the file, but git runs ssh in
    the service's clone, where `-i deploy_key` names nothing; every publish failed with "the repository refused the
    login: check that DIGEST_GIT_SSH_KEY is a key it accepts". Now the path is read from the working folder, as
    `config check` reads it, and the publish goes through."""
    upstream = make_remote(tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "ssh").write_text(STAND_IN_SSH, encoding="utf-8")
    (bin_dir / "ssh").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    (tmp_path / "deploy_key").write_text("a key the stand-in only reads\n", encoding="utf-8")
    (tmp_path / "deploy_key").chmod(0o600)
    monkeypatch.chdir(tmp_path)
    config = publish_config(f"ssh://git@localhost{upstream.bare}")
    settings = make_settings(tmp_path / "data", config, {"DIGEST_GIT_SSH_KEY": "deploy_key"})
    one_approval_published(settings, upstream)


def test_a_push_refused_by_a_read_only_deploy_key_says_what_the_forge_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deploy key added without 'Allow write access' (GitHub's default) reads the repository and may not push:
    GitHub's ssh endpoint says so in a line of its own ('ERROR: The key you are authenticating with has been marked as
    read only.'), which the line left out for git's 'fatal: Could not read from remote repository.' alone, so the
    maintainer could not tell it from a wrong address. The forge's words are kept. (`ssh` here stands for GitHub's
    endpoint: it runs the git command asked for on this machine, and refuses pushes as GitHub does for such a key.)"""
    upstream = make_remote(tmp_path)
    fake_ssh(
        tmp_path,
        monkeypatch,
        '#!/bin/sh\nfor last; do :; done\ncase "$last" in\n'
        "  git-receive-pack*) echo 'ERROR: The key you are authenticating with has been marked as read only.' >&2;"
        ' exit 1;;\n  *) exec sh -c "$last";;\nesac\n',
    )
    settings = make_settings(tmp_path / "data", publish_config(f"github.example:{upstream.bare}"))
    approve_first(settings)
    result = publish_once(settings)
    assert result.outcome == FAILED, result.message
    assert "marked as read only" in result.message, result.message


def test_a_token_given_for_an_ssh_address_is_not_blamed_for_the_refused_login(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """publish.repository set to the ssh address a forge's page offers first (git@github.com:o/l.git) and the token
    in DIGEST_GIT_TOKEN, which git sends over https alone: ssh found no key and every publish said 'the repository
    refused the login: check DIGEST_GIT_TOKEN (expired, revoked, ...)', so the maintainer made new tokens in vain.
    The line now says the token goes with an https:// address and what to set. (`ssh` here answers as an ssh server
    refusing every key does.)"""
    upstream = make_remote(tmp_path)
    fake_ssh(
        tmp_path, monkeypatch, "#!/bin/sh\necho 'git@github.example: Permission denied (publickey).' >&2\nexit 255\n"
    )
    token = "ghp_NeverSentOverSsh0000000000"
    config = publish_config(f"git@github.example:{upstream.bare}")
    result = publish_once(make_settings(tmp_path / "data", config, {"DIGEST_GIT_TOKEN": token}))
    assert result.outcome == FAILED, result.message
    assert "check DIGEST_GIT_TOKEN" not in result.message and token not in result.message, result.message
    assert "https://" in result.message and "DIGEST_GIT_SSH_KEY" in result.message, result.message


@pytest.mark.skipif(backend_path() is None, reason="git-http-backend is not installed")
def test_an_ssh_key_given_for_an_https_address_is_named_as_unsent(tmp_path: Path) -> None:
    """The inverse: DIGEST_GIT_SSH_KEY set with publish.repository an https address, where git sends no key: every
    publish said 'the repository asks for a login: set DIGEST_GIT_TOKEN (https) or DIGEST_GIT_SSH_KEY (ssh)', the
    key it named as missing being set. The line now says the key goes with an ssh address and what to set."""
    make_remote(tmp_path)
    key = tmp_path / "deploy_key"
    key.write_text("a key\n", encoding="utf-8")
    key.chmod(0o600)
    with GitHttpServer(tmp_path, "ghp_TheRightToken000000000") as server:
        config = publish_config(server.url("remote.git"))
        result = publish_once(make_settings(tmp_path / "data", config, {"DIGEST_GIT_SSH_KEY": str(key)}))
    assert result.outcome == FAILED, result.message
    assert "DIGEST_GIT_SSH_KEY goes with an ssh address alone" in result.message, result.message
    assert "DIGEST_GIT_TOKEN" in result.message, result.message


@pytest.mark.skipif(backend_path() is None, reason="git-http-backend is not installed")
def test_a_repository_not_found_with_a_token_names_the_tokens_access(tmp_path: Path) -> None:
    """A forge answers 'Repository not found' (404) for a private repository the token may not read (a fine-grained
    token made for other repositories): the line said 'fatal: repository ... not found' alone, and the maintainer
    checked an address that was right. With a token set, the line says the token's access may be why."""
    make_remote(tmp_path)
    token = "ghp_TheRightToken000000000"
    with GitHttpServer(tmp_path, token) as server:
        config = publish_config(server.url("hidden.git"))
        result = publish_once(make_settings(tmp_path / "data", config, {"DIGEST_GIT_TOKEN": token}))
    assert result.outcome == FAILED and "not found" in result.message, result.message
    assert "DIGEST_GIT_TOKEN" in result.message and token not in result.message, result.message


def test_a_changed_host_key_is_not_advised_away_as_an_unknown_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The forge's ssh host key changed (GitHub replaced its RSA key in 2023), or someone sits in between: ssh refuses
    with 'REMOTE HOST IDENTIFICATION HAS CHANGED', and the line advised as for an unknown host, to add the key to
    known_hosts with ssh-keyscan: that leaves the old key in the way, and adds an attacker's without a look. It now
    says the key changed, which line holds the old one, and to check the forge's announced key before replacing it.
    (`ssh` here says what ssh says on meeting a changed host key.)"""
    upstream = make_remote(tmp_path)
    warning = [
        "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
        "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @",
        "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
        "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!",
        "Someone could be eavesdropping on you right now (man-in-the-middle attack)!",
        "It is also possible that a host key has just been changed.",
        "The fingerprint for the RSA key sent by the remote host is",
        "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s.",
        "Please contact your system administrator.",
        "Add correct host key in /home/digest/.ssh/known_hosts to get rid of this message.",
        "Offending RSA key in /home/digest/.ssh/known_hosts:3",
        "  remove with:",
        '  ssh-keygen -f "/home/digest/.ssh/known_hosts" -R "github.example"',
        "Host key for github.example has changed and you have requested strict checking.",
        "Host key verification failed.",
    ]
    said = "".join(f"echo '{line}' >&2\n" for line in warning)
    fake_ssh(tmp_path, monkeypatch, f"#!/bin/sh\n{said}exit 255\n")
    result = publish_once(make_settings(tmp_path / "data", publish_config(f"git@github.example:{upstream.bare}")))
    assert result.outcome == FAILED, result.message
    assert "ssh-keyscan" not in result.message and "changed" in result.message, result.message
    assert "/home/digest/.ssh/known_hosts:3" in result.message and "ssh-keygen -R" in result.message, result.message


@pytest.mark.skipif(not Path("/usr/bin/script").is_file(), reason="util-linux script (a terminal to run in) is missing")
def test_ssh_asks_nothing_on_the_terminal_running_digest(tmp_path: Path) -> None:
    """`digest run` (or `digest publish`) in a terminal, publishing over ssh to a host ssh did not know yet: ssh asked
    'Are you sure you want to continue connecting (yes/no)?' on that terminal, in the middle of the service's log, and
    the publish hung there until git's time limit, then blamed a slow remote. git itself asks nothing (its prompts are
    off); ssh now has no terminal either, and the publish fails at once with ssh's reason and what to do. (`ssh` here
    asks as ssh does, on the terminal, when there is one.)"""
    import shlex
    import subprocess
    import sys

    upstream = make_remote(tmp_path)
    tools = fake_ssh(
        tmp_path,
        None,
        "#!/bin/sh\nif (exec 3</dev/tty) 2>/dev/null; then\n"
        "  printf 'Are you sure you want to continue connecting (yes/no/[fingerprint])? ' >/dev/tty\n"
        "  read answer </dev/tty\nfi\necho 'Host key verification failed.' >&2\nexit 255\n",
    )
    config = tmp_path / "config.toml"
    config.write_text(publish_config(f"git@github.example:{upstream.bare}"), encoding="utf-8")
    settings = make_settings(tmp_path / "data", publish_config(f"git@github.example:{upstream.bare}"))
    approve_first(settings)
    command = [sys.executable, "-m", "digest", "--config", str(config), "--data-dir", str(settings.data_dir), "publish"]
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "GIT_"))}
    environment["PATH"] = f"{tools}:/usr/bin:/bin"
    done = subprocess.run(
        ["/usr/bin/script", "-qec", shlex.join(command), "/dev/null"],
        input="",
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )
    assert "Are you sure you want to continue connecting" not in done.stdout, done.stdout
    assert done.returncode == 1 and "Host key verification failed" in done.stdout, done.stdout
