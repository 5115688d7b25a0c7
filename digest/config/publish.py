"""[publish]: the list's git repository, where approvals are committed and hand edits come back from. Off without one.

A repository URL carrying a password is refused, so a token is never written to disk; it comes from DIGEST_GIT_TOKEN.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
from pathlib import Path, PurePosixPath
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator

from digest.config.declarations import from_environment
from digest.config.problems import problem
from digest.config.sections import Section
from digest.config.values import ApiAddress, on_this_machine, utf8_secret
from digest.resources import NoHomeError, home_path
from digest.text import UNREADABLE, has_invisible, unreadable

_TRANSPORT = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*::")  # git's '<transport>::<address>'
_SCP_LIKE = re.compile(r"^[^/@:\s]+@[^/:\s]+:(?P<path>.+)$")  # git@github.com:owner/name.git


class PublishSettings(Section):
    repository: str | None = Field(None, description="the list's git repository (https, ssh or scp-like URL)")
    branch: str = "main"
    path: str = Field("README.md", description="the list's file inside the repository")
    mode: Literal["commit", "pull-request"] = "commit"
    author: str = "awesome-digest <awesome-digest@localhost>"
    batch_seconds: float = Field(60.0, ge=0, le=7 * 86_400)  # inf would hold every decision back for ever
    api_url: ApiAddress = Field("https://api.github.com", description="the forge's API, for pull-request mode")
    token: SecretStr | None = from_environment("DIGEST_GIT_TOKEN", "a token that may push (https repositories)")
    ssh_key: str | None = from_environment("DIGEST_GIT_SSH_KEY", "a private key file for ssh:// and git@ URLs")

    @property
    def enabled(self) -> bool:
        return bool(self.repository)

    @property
    def away_warning(self) -> str | None:
        """A repository on this machine that is away now: one the service synced with before (settings refuse any
        other as a typo), so `config check` warns and does not fail."""
        away = away_line(self.repository)
        return f"publish.repository {away}" if away else None

    @property
    def key_warning(self) -> str | None:
        """ssh as a user the system does not know (a container run with --user), which ssh refuses; a key behind a
        passphrase: the service's ssh runs in batch mode, with no one to type it."""
        if self.repository and _over_ssh(self.repository) and not _known_user():
            return (
                f"publish.repository is reached over ssh, which runs only as a user the system knows, and user id "
                f"{os.getuid()} has no entry in its users (a container run with --user?): give that user an "
                "/etc/passwd entry, or publish over https with DIGEST_GIT_TOKEN"
            )
        if not self.ssh_key or not passphrase_protected(Path(self.ssh_key)):
            return None
        return (
            f"DIGEST_GIT_SSH_KEY {self.ssh_key} is protected by a passphrase, which the service cannot type (only an "
            "ssh agent holding the key lets it in): give it a key without one (ssh-keygen -p -N '' -f KEY on a copy)"
        )

    @field_validator("repository")
    @classmethod
    def _absolute_local_path(cls, url: str | None) -> str | None:
        """A local repository written as a relative path is made absolute (git would read it in the service's own
        clone): the settings file's from the file's folder (config/sources.py), any other from the working folder.
        Each local path is shown resolved, as git reaches it: '/srv/digest/home/../list.git' is /srv/digest/list.git.
        A URL stays as written. A blank one was publishing off, unsaid, as though the key were left out: refused."""
        if url is not None and not url.strip():
            raise problem("is empty: leave it out to keep publishing off, or write the list's git repository URL")
        if url and is_local_path(url) and not has_invisible(url) and not unreadable(url):  # else refused later
            return os.path.realpath(_home_path(url))
        return url

    @field_validator("token", mode="before")
    @classmethod
    def _one_word_token(cls, value: object) -> object:
        """A token read from a file or a container's secret ends in a newline, which is no part of it; one with white
        space or a control character inside is no token, and could not go into a request's header (the error saying
        so would show it)."""
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if not isinstance(value, str):
            return value
        value = utf8_secret(value.strip())
        if any(ch.isspace() or not ch.isprintable() for ch in value):
            raise problem(
                "holds white space or a control character inside it (two values pasted together?): give the token alone"
            )
        return value or None

    @field_validator("ssh_key")
    @classmethod
    def _absolute_key(cls, path: str | None) -> str | None:
        """git runs ssh in the service's clone: a relative path (or ~ from a .env file) is made absolute here, where
        it was written, so ssh finds the file `config check` found."""
        return str(_home_path(path).absolute()) if path else path

    @model_validator(mode="after")
    def _usable(self) -> PublishSettings:
        problems = publish_problems(self)
        if problems:
            raise problem("\n".join(problems))
        return self


def _home_path(path: str) -> Path:
    try:
        return home_path(path)
    except NoHomeError as exc:
        raise problem(str(exc)) from None


def _over_ssh(url: str) -> bool:
    return url.startswith(("ssh://", "git+ssh://", "ssh+git://")) or bool(_SCP_LIKE.match(url))


def _known_user() -> bool:
    import pwd

    try:
        pwd.getpwuid(os.getuid())
    except KeyError:
        return False
    return True


def is_local_path(url: str) -> bool:
    """Whether git reads a repository address as a path on this machine: no colon before its first slash."""
    return "://" not in url and ":" not in url.split("/", 1)[0]


def publish_problems(publish: PublishSettings) -> list[str]:
    """[publish] values that cannot work together."""
    problems = []
    readable = not unreadable(publish.repository or "")
    if not readable:
        problems.append(f"publish.repository {UNREADABLE}")
    # git's '<transport>::<address>' hands the address after '::' to git-remote-<transport>: that one is read.
    address = urlsplit(_TRANSPORT.sub("", publish.repository or "") if readable else "")
    if address.scheme in ("http", "https") and (address.username or address.password):
        problems.append("publish.repository must not hold a user or token: put the token in DIGEST_GIT_TOKEN")
    elif address.password:  # ssh://user:password@host: a password in a URL lands in logs and `config show`
        problems.append("publish.repository must not hold a password: use DIGEST_GIT_SSH_KEY for ssh")
    if publish.token and address.scheme == "http" and not on_this_machine(publish.repository or ""):
        problems.append(
            "publish.repository is plain http://: DIGEST_GIT_TOKEN would cross the network unencrypted in every "
            "request; use its https:// address"
        )
    if has_invisible(publish.repository or ""):  # not shown: a URL may hold what must not be
        problems.append("publish.repository must not hold a control character (a line break, a NUL)")
    if publish.mode == "pull-request" and publish.enabled and readable:
        problems.extend(pull_request_problems(publish))
    parts = PurePosixPath(publish.path).parts
    odd = publish.path.startswith("/") or publish.path.endswith("/") or "//" in publish.path  # a folder's, or none
    if not parts or odd or ".." in parts or parts[0] == ".git" or has_invisible(publish.path):
        problems.append(f"publish.path must be a file inside the repository, not {publish.path!r}")
    if has_invisible(publish.author):  # it goes into every commit's header, shown by the forge and `git log`
        problems.append(f"publish.author must not hold a control character, not {publish.author!r}")
    elif not re.fullmatch(r"[^<>\n]+ <[^<>@\s]+@[^<>\s]+>", publish.author):
        problems.append(f'publish.author must look like "Name <email@example.org>", not {publish.author!r}')
    if not usable_branch(publish.branch):
        problems.append(f"publish.branch {publish.branch!r} is not a usable branch name")
    if publish.ssh_key and not Path(publish.ssh_key).is_file():
        problems.append(f"DIGEST_GIT_SSH_KEY names {publish.ssh_key}, which is not a file")
    elif publish.ssh_key:
        problems.extend(filter(None, [_open_key(Path(publish.ssh_key))]))
    return problems


def clone_folder(data_dir: Path) -> Path:
    """Where the service keeps its clone of the list's repository: in its data folder."""
    return data_dir / "publish" / "clone"


def _away(repository: str | None) -> str | None:
    """The repository when it is a path on this machine (a usable one) that is not there now."""
    if not repository or unreadable(repository) or has_invisible(repository) or not is_local_path(repository):
        return None
    return None if Path(repository).exists() else repository


def mistyped_repository(publish: PublishSettings, data_dir: Path) -> str | None:
    """A repository given as a path that is nothing on this machine and that the service's clone never followed: a
    typo (or a forge's address without its scheme: "github.com/o/l" is a path to git, made absolute here). One the
    clone follows was there before: away for a while (an unmounted drive, a network share), said by away_line."""
    away = _away(publish.repository)
    if away is None or _followed(clone_folder(data_dir), away):
        return None
    return (
        f"publish.repository {away} is nothing on this machine: a forge's repository is written with its scheme "
        "(https://github.com/owner/name.git or git@github.com:owner/name.git)"
    )


def _followed(clone: Path, repository: str) -> bool:
    """Whether the clone's origin is `repository`, as git reads its config (the service sets it before its fetch)."""
    command = ["git", "config", "--file", str(clone / ".git" / "config"), "--get", "remote.origin.url"]
    environment = {"PATH": os.environ.get("PATH", os.defpath), "GIT_CONFIG_NOSYSTEM": "1"}
    try:
        done = subprocess.run(command, capture_output=True, env=environment, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and done.stdout.decode("utf-8", "replace").strip() == repository


def away_line(repository: str | None, *, by_hand: str = "") -> str | None:
    """One line for a repository given as a path on this machine that is not there now; None for any other. What
    happens next: the service tries again with its back-off; a command run `by_hand` (this command) is not."""
    away = _away(repository)
    if away is None:
        return None
    then = (
        f"run `{by_hand}` again once it is back (a running service tries again by itself, with its back-off)"
        if by_hand
        else "publishing is tried again with the back-off until it is back"
    )
    return f"{away} is not on this machine (an unmounted drive or network share?): the decisions wait, and {then}"


def _open_key(key: Path) -> str | None:
    """ssh ignores a private key of the user's own that others may read (its 'UNPROTECTED PRIVATE KEY FILE')."""
    found = key.stat()
    if found.st_uid != os.getuid() or not found.st_mode & 0o077:
        return None
    mode = f"{found.st_mode & 0o777:04o}"
    return f"DIGEST_GIT_SSH_KEY {key} can be read by others (mode {mode}), so ssh ignores it: chmod 600 {key}"


def usable_branch(name: str) -> bool:
    """A branch name git takes (git check-ref-format), in the characters the setting allows: no '..', no part empty,
    starting with '.' or ending in '.lock', no '.' at its end (git refuses each such refspec at every fetch)."""
    parts = name.split("/")
    well_formed = all(part and not part.startswith(".") and not part.endswith(".lock") for part in parts)
    return bool(re.fullmatch(r"[A-Za-z0-9._/-]+", name)) and ".." not in name and well_formed and name[-1] != "."


def pull_request_problems(publish: PublishSettings) -> list[str]:
    """Pull-request mode needs the forge's API, a token for it, and an owner/name in the repository URL."""
    problems = []
    if not publish.token:
        problems.append(
            'publish.mode "pull-request" needs DIGEST_GIT_TOKEN in the environment: a token that may push to the '
            "repository and open pull requests"
        )
    scheme = urlsplit(publish.api_url).scheme
    if scheme not in ("https", "http") or not urlsplit(publish.api_url).hostname:
        problems.append(f"publish.api_url must be an https:// address, not {publish.api_url!r}")
    elif scheme == "http" and not on_this_machine(publish.api_url):  # the token goes in every request's header
        problems.append(
            f"publish.api_url must be an https:// address, not {publish.api_url!r}: DIGEST_GIT_TOKEN would cross "
            "the network unencrypted"
        )
    if repository_slug(publish.repository or "") is None:
        problems.append("publish.repository must end in owner/name for the forge's API in pull-request mode")
    return problems


def repository_slug(url: str) -> tuple[str, str] | None:
    """(owner, name) from the repository's URL, https, ssh or scp-like; None when it names none."""
    scp = _SCP_LIKE.match(url)
    path = scp.group("path") if scp and "://" not in url else urlsplit(url).path
    parts = [part for part in path.split("/") if part]
    if len(parts) < 2 or not parts[-1].removesuffix(".git"):
        return None
    return parts[-2], parts[-1].removesuffix(".git")


def passphrase_protected(key: Path) -> bool:
    """Whether the private key file is encrypted: an OpenSSH key whose cipher is not 'none', or an encrypted PEM key.
    A file that cannot be read or is no key is not said to be (ssh says what is wrong with it)."""
    try:
        text = key.read_bytes()[:65_536].decode("ascii", "replace")
    except OSError:
        return False
    if "ENCRYPTED" in text.split("-----END", 1)[0]:  # PEM: 'Proc-Type: 4,ENCRYPTED', 'BEGIN ENCRYPTED PRIVATE KEY'
        return True
    body = text.partition("-----BEGIN OPENSSH PRIVATE KEY-----")[2].partition("-----END")[0]
    try:
        data = base64.b64decode("".join(body.split()), validate=True)
    except ValueError:
        return False
    magic = b"openssh-key-v1\0"
    if not data.startswith(magic) or len(data) < len(magic) + 4:
        return False
    size = int.from_bytes(data[len(magic) : len(magic) + 4], "big")
    return data[len(magic) + 4 : len(magic) + 4 + size] != b"none"
