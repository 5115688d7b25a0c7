"""The environment the service's git commands run in: its own settings over the operator's ~/.gitconfig, and the
credentials, which travel only here (never in the clone's config, a URL or an error line)."""

from __future__ import annotations

import base64
import os
import shlex
import subprocess
from pathlib import Path

from digest.config import PublishSettings
from digest.publish.git_process import LOCAL_SECONDS, ssh_alive_options, stall_environment


def git_environment(folder: Path, settings: PublishSettings, url: str) -> dict[str, str]:
    """The child's environment for a git command in the clone at `folder`, fetching from and pushing to `url`."""
    # Nor a password dialog (SSH_ASKPASS, core.askPass): like its terminal prompts, the service asks no one.
    unasked = ("DIGEST_GIT_TOKEN", "SSH_ASKPASS")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k not in unasked}
    environment.update({"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "GIT_CONFIG_NOSYSTEM": "1"})
    # Never above the clone: with its .git broken, git would run in a repository around the data folder.
    environment["GIT_CEILING_DIRECTORIES"] = str(folder.absolute().parent)
    environment.update(stall_environment())  # a stalled fetch or push is given up, a slow one that moves is not
    # The clone is the service's own: ~/.gitconfig's signing, hooks and line-end rewriting (core.safecrlf) are not.
    config = {"commit.gpgSign": "false", "tag.gpgSign": "false", "core.hooksPath": os.devnull}
    config["merge.verifySignatures"] = "false"  # nor checks them: a pull request's merge of the target takes it as is
    config.update({"core.autocrlf": "false", "core.safecrlf": "false", "push.gpgSign": "false"})
    config.update({"core.fsmonitor": "false", "core.askPass": ""})  # nor its fsmonitor (a watchman hook, a daemon)
    # Nor its i18n encodings: the service writes and reads its messages as UTF-8 (another would be declared on them).
    config.update({"i18n.commitEncoding": "UTF-8", "i18n.logOutputEncoding": "UTF-8"})
    token, login = (settings.token.get_secret_value() if settings.token else ""), []
    if token and url.startswith(("https://", "http://")):
        # The token is the service's login for this address: a `url.<base>.insteadOf` rewrite (https to ssh, to a
        # mirror) must not move the fetch and push where it does not go (the longest match wins: the URL maps to
        # itself). Without a token the operator's own setup is the login, their rewrites with it.
        config.update({f"url.{url}.insteadOf": url, f"url.{url}.pushInsteadOf": url})
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode("ascii")
        # git sends the header with every request, to wherever a redirect led: it follows none while it has one.
        # Both are given for this very address: git takes a setting for the most specific address that matches, so
        # one of ~/.gitconfig's for the forge's ([http "https://github.com/"], as CI checkouts write) would win.
        config[f"http.{url}.followRedirects"] = "false"
        # An empty value first drops the headers ~/.gitconfig adds (an Authorization of the operator's own).
        login = [(f"http.{url}.extraHeader", ""), (f"http.{url}.extraHeader", f"Authorization: Basic {basic}")]
        # Nor the operator's credential helpers: refused, the token would be followed by their saved login, which
        # git then tells the helper to forget.
        login.append(("credential.helper", ""))
    entries = [*config.items(), *login]
    environment["GIT_CONFIG_COUNT"] = str(len(entries))
    for index, (key, value) in enumerate(entries):
        environment.update({f"GIT_CONFIG_KEY_{index}": key, f"GIT_CONFIG_VALUE_{index}": value})
    return environment


def network_environment(folder: Path, settings: PublishSettings, url: str) -> dict[str, str]:
    """git_environment for a fetch, push or ls-remote, with ssh's command line (ssh_command): the operator's own
    core.sshCommand kept, the service's key and ssh's keep-alives after it, so a stalled ssh link is given up, not
    waited on for the long ceiling. Set whatever the address: a rewrite (insteadOf) may lead an https one to ssh."""
    environment = git_environment(folder, settings, url)
    command = ssh_command(_configured_ssh_command(folder, environment), settings.ssh_key)
    if command is not None:
        environment["GIT_SSH_COMMAND"] = command
    return environment


def ssh_command(configured: str | None, key: str | None) -> str | None:
    """The operator's ssh command line (core.sshCommand, or plain ssh), then DIGEST_GIT_SSH_KEY's options if set and
    ssh's keep-alives: after theirs (a jump host, a port, a known_hosts file), since ssh takes the first value it is
    given. None (their command as written) for one that is not ssh itself (a wrapper, plink), which may not take ssh's
    options; with a key set, plain ssh with the key is run instead of it (unsent_key_warning says so)."""
    command = configured or "ssh"
    if not _is_ssh(command):
        if not key:
            return None
        command = "ssh"
    login = f"-i {shlex.quote(key)} -o IdentitiesOnly=yes -o BatchMode=yes " if key else ""
    return f"{command} {login}{ssh_alive_options()}"


def unsent_key_warning(folder: Path, settings: PublishSettings) -> str | None:
    """The line for DIGEST_GIT_SSH_KEY set with a core.sshCommand that is not ssh itself, which the key cannot be
    passed to; None otherwise. Names the program alone: the rest of the command may hold a password (sshpass -p)."""
    url = settings.repository or ""
    if not settings.ssh_key or url.startswith(("https://", "http://")):  # an https address sends no key at all
        return None
    configured = _configured_ssh_command(folder, git_environment(folder, settings, url))
    if configured is None or _is_ssh(configured):
        return None
    try:
        program = Path(shlex.split(configured)[0]).name
    except ValueError:  # the words of a command git's shell cannot read either are not shown: they may hold a password
        program = ""
    said = f"runs {program}, not ssh" if program else "has unbalanced quotes"
    fix = f"unset DIGEST_GIT_SSH_KEY to publish through {program}" if program else "fix its quotes"
    return (
        f"core.sshCommand in your git config {said}, and DIGEST_GIT_SSH_KEY cannot be passed to it: publishing runs "
        f"plain ssh with the key in its place; {fix}"
    )


def _is_ssh(command: str) -> bool:
    """Whether the command line runs ssh itself; not one with unbalanced quotes (git's shell would fail on it)."""
    try:
        words = shlex.split(command)
    except ValueError:
        return False
    return bool(words) and Path(words[0]).name in ("ssh", "ssh.exe")


def _configured_ssh_command(folder: Path, environment: dict[str, str]) -> str | None:
    """core.sshCommand as git reads it for the clone (~/.gitconfig, its includes), None when unset or unreadable."""
    # With no clone yet, ~/.gitconfig alone: not the config of a repository around the working folder.
    asked = ["-C", str(folder), "config"] if folder.is_dir() else ["config", "--global"]
    try:
        done = subprocess.run(
            ["git", *asked, "--get", "core.sshCommand"],
            capture_output=True,
            env=environment,
            timeout=LOCAL_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):  # the command that follows says what is wrong with git
        return None
    return done.stdout.decode("utf-8", "replace").strip() or None if done.returncode == 0 else None


def identity_options(author: str) -> tuple[str, ...]:
    """`-c` options making publish.author ("Name <email>") the author and committer of a commit: [author] and
    [committer] in ~/.gitconfig (which git puts above [user]) name the operator, not the service."""
    name, _, email = author.partition(" <")
    email = email.rstrip(">")
    options: tuple[str, ...] = ()
    for role in ("user", "author", "committer"):
        options += ("-c", f"{role}.name={name}", "-c", f"{role}.email={email}")
    return options
