"""What git (with ssh and the remote behind it) said when a command failed, as one line that also says what to do:
its fatal and error lines and the remote's, with advice where its own words mislead (a refused login, a host key, a
clone of another user's, a private repository hidden from a token). Pure: no process is run here."""

from __future__ import annotations

import getpass
import re
from pathlib import Path

from digest.config import PublishSettings
from digest.config.publish import away_line
from digest.publish.retrying import tried_again
from digest.publish.rules import LOGIN_REFUSED, SSH_SAID
from digest.sizes import counted, shown_duration

_NOT_FOUND = re.compile(r"repository '[^']*' not found|Repository not found", re.IGNORECASE)
# git's low-speed check (curl's), and ssh's keep-alive going unanswered: the connection stalled, nothing was refused.
_TOO_SLOW = re.compile(r"Less than (\d+) bytes/sec transferred the last (\d+) seconds")
_SSH_UNANSWERED = re.compile(r"Timeout, server \S+ not responding")


def reason(text: str, settings: PublishSettings, url: str, folder: Path, *, by_hand: str = "") -> str:
    """Git's own reason from its output `text`: its fatal or error lines, what the remote or ssh said, else its last
    lines; a refused login says so and which setting to check (git's own line is about a prompt it may not show).
    Not yet redacted. A repository on this machine that is not there now says so, whatever git said of it, and what
    happens next (`by_hand`: the command of a hand-run publish, which nothing tries again)."""
    away = away_line(url, by_hand=by_hand)
    if away:
        return away
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("hint:")]
    # A forge's ssh endpoint words its refusal 'ERROR: ...' (a read-only deploy key, a repository not found).
    said = [line for line in lines if line.lower().startswith(("fatal:", "error:", "remote:")) or SSH_SAID.match(line)]
    slow = _TOO_SLOW.search(text)
    if slow or _SSH_UNANSWERED.search(text):
        within = (
            f"less than {counted(int(slow.group(1)), 'byte')} a second came for {shown_duration(int(slow.group(2)))}"
            if slow
            else "ssh: the server stopped answering"
        )
        return f"the connection to the repository stalled ({within}); {tried_again(by_hand)}"
    if LOGIN_REFUSED.search(text):
        said = [line for line in said if line.startswith("remote:")] + [login_advice(settings, url)]
    elif "detected dubious ownership" in text:  # git's own advice (safe.directory) would trust another's clone
        said = [
            f"the clone {folder} belongs to another user than {getpass.getuser()}, who runs this (git: dubious "
            f"ownership; `sudo digest publish` once?): chown -R {getpass.getuser()} {folder}, or delete it (it holds "
            "nothing the database does not)"
        ]
    elif settings.token and url.startswith("http") and _NOT_FOUND.search(text):  # hidden from it, not missing
        said.append(
            "(or DIGEST_GIT_TOKEN may not read it: a private repository looks missing to a token without access)"
        )
    elif "Host key verification failed" in text:
        said.append(host_key_advice(text))
    elif "No user exists for uid" in text:  # a container run with --user: the image's /etc/passwd lacks the user
        said.append(
            "(ssh runs only as a user the system knows: give the user the service runs as an entry in /etc/passwd, "
            "or publish over https with DIGEST_GIT_TOKEN)"
        )
    return " ".join((said or lines)[-3:])


def login_advice(settings: PublishSettings, url: str) -> str:
    """What to check when the repository refused the login: the credential that went with `url`. The token goes
    with an https address alone (for an ssh one, which a forge's page offers first, it was never sent), the key with
    an ssh one alone."""
    over_https = url.startswith(("https://", "http://"))
    if settings.ssh_key and not over_https:
        return "the repository refused the login: check that DIGEST_GIT_SSH_KEY is a key it accepts, with write access"
    if settings.token and over_https:
        return (
            "the repository refused the login: check DIGEST_GIT_TOKEN (expired, revoked, or not allowed to push to "
            "this repository)"
        )
    if settings.token:
        return (
            "the repository refused the ssh login, and DIGEST_GIT_TOKEN goes with an https:// address alone: set "
            "publish.repository to the repository's https:// address, or give DIGEST_GIT_SSH_KEY for ssh"
        )
    if settings.ssh_key:
        return (
            "the repository asks for a login, and DIGEST_GIT_SSH_KEY goes with an ssh address alone: set "
            "publish.repository to the repository's ssh address (git@host:owner/name.git), or give DIGEST_GIT_TOKEN"
        )
    return "the repository asks for a login: set DIGEST_GIT_TOKEN (https) or DIGEST_GIT_SSH_KEY (ssh)"


def host_key_advice(ssh_said: str) -> str:
    """What to do when ssh refused the host's key: an unknown host's is added; a changed one is not added blindly
    (a forge's new key, or someone in between), and the old one, which ssh names, is in the way."""
    if "REMOTE HOST IDENTIFICATION HAS CHANGED" not in ssh_said:
        return (
            "(ssh does not know the host's key: add it to ~/.ssh/known_hosts of the user the service runs as, e.g. "
            "with ssh-keyscan)"
        )
    offending = re.search(r"Offending \S+ key in (\S+:\d+)", ssh_said)
    return (
        f"(the host's key changed from the one {offending.group(1) if offending else '~/.ssh/known_hosts'} holds: if "
        "the forge announced a new key, take the old one out (ssh-keygen -R HOST) and add the announced one; if not, "
        "someone may be in between)"
    )
