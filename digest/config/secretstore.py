"""The web's secrets: signing key, admin token, feed token — from the environment, else generated once and kept.

A generated secret lives in `<data dir>/secrets.json`, created atomically with mode 0600; there is no fixed default.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import secrets
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

from pydantic import SecretStr, ValidationError

from digest.config.credentials import Secrets, StartedSecrets
from digest.config.problems import MIN_SECRET_LENGTH
from digest.config.settings import Settings
from digest.config.sources import environment_fields
from digest.resources import open_to_group, owned_as, shared_with_group

log = logging.getLogger(__name__)
_Checked = TypeVar("_Checked", bound=Secrets)

SECRETS_FILE = "secrets.json"
# The secrets a started service always has (generated into the file when the environment does not set them): field
# name in the file -> the environment variable that overrides it, as the model declares them.
GENERATED: dict[str, str] = {
    path[0]: variable
    for path, variable in environment_fields(Secrets)
    if StartedSecrets.model_fields[path[0]].is_required()
}


class SecretStoreError(Exception):
    """The secrets file cannot be read or written; one line saying which file and why."""


def secrets_path(settings: Settings) -> Path:
    return settings.data_dir / SECRETS_FILE


def _read_file(path: Path) -> dict[str, str]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise SecretStoreError(f"cannot read {path}: {exc}; fix or delete it to generate new secrets") from exc
    if not isinstance(raw, dict):
        raise SecretStoreError(f"{path} is not a JSON object; fix or delete it to generate new secrets")
    return {k: v for k, v in raw.items() if k in GENERATED and isinstance(v, str) and len(v) >= MIN_SECRET_LENGTH}


def _write_file(path: Path, values: dict[str, str]) -> None:
    """Writes the file whole or not at all, readable by its owner only from the first byte."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkstemp creates the file with mode 0600, so the secrets are never readable by others, not even briefly.
    handle, temp_name = tempfile.mkstemp(prefix=".secrets-", suffix=".tmp", dir=path.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(values, stream, indent=2, sort_keys=True)
            stream.write("\n")
            stream.flush()
            os.fsync(stream.fileno())
        owned_as(temp, _replaced(path))  # as the service's user's, when root adds a secret to it or makes it
        temp.chmod(_private_mode(path.parent))
        temp.replace(path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise SecretStoreError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _replaced(path: Path) -> os.stat_result:
    """Whose the secrets file is to be: the one it replaces', else its folder's (the data folder is the service's
    user's, and a file root makes there, owner-only, would be one that user cannot read)."""
    try:
        return path.stat()
    except FileNotFoundError:
        return path.parent.stat()


@contextlib.contextmanager
def _generating(path: Path) -> Iterator[None]:
    """One process at a time reads and fills the secrets file: two started at once on a new data folder (the service
    and `digest weekly`) would each generate a key and the second file would replace the first, leaving the running
    service signing with a key the file no longer holds. A mount without file locks goes on without one."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock = path.parent / f".{path.name}.lock"
        handle = lock.open("a")
        if os.fstat(handle.fileno()).st_uid == os.geteuid():  # root's lock is not one the service's user may open
            owned_as(lock, path.parent.stat())
        if shared_with_group(path.parent):  # the next member of the group opens it too
            with contextlib.suppress(OSError):
                os.fchmod(handle.fileno(), 0o664)
    except OSError as exc:
        raise SecretStoreError(f"cannot write {path.parent}: {exc.strerror or exc}") from exc
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
        except OSError as exc:
            if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL):
                raise SecretStoreError(f"cannot lock {path}: {exc.strerror or exc}") from exc
        yield


def ensure_secrets(settings: Settings) -> StartedSecrets:
    """The environment's values where set; the others from the secrets file, generated there on first start.

    The result has every field set; the service puts it back into its Settings (`model_copy`).
    """
    configured = {
        name: secret.get_secret_value() if secret else None
        for name, secret in (
            ("secret_key", settings.secrets.secret_key),
            ("admin_token", settings.secrets.admin_token),
            ("feed_token", settings.secrets.feed_token),
        )
    }
    for name, value in configured.items():
        if value is not None and len(value) < MIN_SECRET_LENGTH:
            raise SecretStoreError(
                f"{GENERATED[name]} is too short: use at least {MIN_SECRET_LENGTH} random characters"
            )
    missing = [name for name, value in configured.items() if not value]
    if missing:
        path = secrets_path(settings)
        stored = _read_file(path)
        problems = _stored_problems(path, stored, missing)
        if problems:  # before any is generated: a refusal leaves the file as it was
            raise SecretStoreError("; ".join(problems))
        if stored:
            _make_owner_only(path)
        generated = [name for name in missing if name not in stored]
        if generated:
            with _generating(path):
                stored = _read_file(path)  # again, under the lock: another process may have just written it
                generated = [name for name in missing if name not in stored]
                for name in generated:
                    stored[name] = secrets.token_urlsafe(32)
                if generated:
                    _write_file(path, stored)
        if generated:
            log.warning(
                "generated %s and stored them in %s (owner-only); set %s in the environment to choose your own",
                ", ".join(GENERATED[name] for name in generated),
                path,
                " / ".join(GENERATED[name] for name in generated),
            )
        else:
            log.info("using %s from %s", ", ".join(GENERATED[name] for name in missing), path)
        for name in missing:
            configured[name] = stored[name]
    return _with_stored(settings, configured, StartedSecrets)


def _private_mode(folder: Path) -> int:
    return 0o640 if shared_with_group(folder) else 0o600


def readable_by_others(path: Path) -> str | None:
    """The file's mode (as `ls` shows it, "0644") when users other than its owner (and, in a folder shared with a
    group, other than that group) may read or write it, else None."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    return f"{mode:04o}" if mode & (0o007 if shared_with_group(path.parent) else 0o077) else None


def _make_owner_only(path: Path) -> None:
    """A secrets file restored from a backup or written by hand may be readable by every user of the machine (mode
    0644): whoever reads it can sign in and sign approval links. It is made owner-only (in a folder shared with a
    group: owner and group), and the log says so."""
    mode = readable_by_others(path)
    wanted = _private_mode(path.parent)
    if mode is None:
        _open_to_group(path, wanted)
        return
    who, now = ("users outside its group", "owner and group only") if wanted == 0o640 else ("other users", "owner-only")
    try:
        path.chmod(wanted)
    except OSError as exc:
        log.warning(
            "%s is readable by %s (mode %s) and could not be made %s (%s): chmod %o it",
            path,
            who,
            mode,
            now,
            exc.strerror or exc,
            wanted,
        )
        return
    if wanted == 0o640:
        log.warning("%s was readable by %s (mode %s); %s (%04o) now", path, who, mode, now, wanted)
    else:
        log.warning("%s was readable by other users (mode %s); it is owner-only (0600) now", path, mode)


def _open_to_group(path: Path, wanted: int) -> None:
    """A secrets file written owner-only before its folder was made a group's (the usual way a team comes to share
    one) is made readable by that group, as a new one there is: the other members' commands sign with it too."""
    if wanted == 0o640 and open_to_group(path, wanted):
        log.info("%s is in a folder shared with its group: readable by that group (0640) now", path)


def _with_stored(settings: Settings, values: dict[str, str | None], model: type[_Checked]) -> _Checked:
    """The environment's secrets with the file's in place of those it does not set, checked as one set."""
    try:
        return model(
            **{name: SecretStr(value) if value else None for name, value in values.items()},
            admin_tokens=settings.secrets.admin_tokens,
        )
    except ValidationError as exc:  # a value set in the environment is one kept in the file (Secrets._each_its_own)
        lines = "; ".join(str(error["msg"]) for error in exc.errors())
        raise SecretStoreError(f"{lines} (the other one is kept in {secrets_path(settings)})") from None


def _stored_problems(path: Path, stored: dict[str, str], used: list[str]) -> list[str]:
    """What is wrong with each value of the file the service would use, by the rules the environment's is held to (a
    control character; a token's space inside it): one line each, naming the file and the key, never the value."""
    problems = []
    for name in used:
        if name not in stored:
            continue
        try:
            Secrets(**{name: SecretStr(stored[name])})
        except ValidationError as exc:
            problems += [
                f"{path}: {name} {error['msg']} (or delete {name} there: a new one is generated)"
                for error in exc.errors()
            ]
    return problems


def stored_secrets_problems(settings: Settings) -> list[str]:
    """What the start would refuse in the secrets file (`digest config check`), without generating or writing any:
    a file that cannot be read, a value in it the environment's would be refused for (config.credentials), or a value
    set in the environment that is one the file keeps for another secret."""
    try:
        stored = _read_file(secrets_path(settings))
    except SecretStoreError as exc:
        return [str(exc)]
    kept = [name for name in GENERATED if not _value(getattr(settings.secrets, name))]
    problems = _stored_problems(secrets_path(settings), stored, kept)
    if problems:
        return problems
    values = {name: _value(getattr(settings.secrets, name)) or stored.get(name) for name in GENERATED}
    try:
        _with_stored(settings, values, Secrets)
    except SecretStoreError as exc:
        return [str(exc)]
    return []


def signing_key_as_kept(settings: Settings) -> SecretStr | None:
    """The key approval links are signed with, the environment's or the secrets file's, read only: none generated,
    nor the file's mode changed (a dry run leaves the data folder as it was). None when there is none yet."""
    stored = settings.secrets.secret_key or _read_file(secrets_path(settings)).get("secret_key")
    return SecretStr(stored) if isinstance(stored, str) else stored


def stored_variables(settings: Settings) -> frozenset[str]:
    """The variables whose generated value the secrets file keeps (`digest config show`): read only, never created."""
    return frozenset(GENERATED[name] for name in _read_file(secrets_path(settings)))


def _value(secret: SecretStr | None) -> str | None:
    return secret.get_secret_value() if secret is not None else None
