"""The weekly emails sent, in a file beside the database (`<data>/weekly-sent.log`, one line per week and edition).
The database's record of them goes back in time with a restored backup; this file does not, so a restore does not
send readers again the editions they already have. Only appended to: `digest weekly --send --again` forgets an
edition's send with a line of its own (`forgotten` in place of the time), which older releases skip as unreadable."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from digest.clock import as_utc
from digest.resources import open_to_group, shared_with_group

log = logging.getLogger("digest.weekly.store")
NAME = "weekly-sent.log"
FORGOTTEN = "forgotten"  # the third field of a line forgetting the week's edition's sends before it


@dataclass(frozen=True)
class LoggedSend:
    sent_at: datetime
    message_id: str


def mail_log(data_dir: Path) -> Path:
    return data_dir / NAME


def _open(path: Path, flags: int) -> int:
    """The log (or its draft) opened for writing: owner-only, or owner and group in a data folder shared with a group
    (whose other members' weekly sends read and append to it)."""
    mode = 0o660 if shared_with_group(path.parent) else 0o600
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | flags, mode)
    if mode == 0o660:
        with contextlib.suppress(
            OSError
        ):  # the umask (022) leaves the group read-only; another member's file is theirs
            os.fchmod(handle, mode)
    return handle


def _open_to_group(path: Path) -> None:
    """A log written owner-only before its folder was made a group's is made the group's too, by its owner (at each
    start, and before each send): the other members' sends read and append to it."""
    if shared_with_group(path.parent):
        open_to_group(path, 0o660)


def record_sent(data_dir: Path, week: str, edition: str, when: datetime, message_id: str) -> bool:
    """Appends the edition's line (no address: only who may read the data folder reads it, and no reader's name
    need be in it); whether it did. A failure to write it is logged: the database still has the send."""
    line = _line(week, edition, when, message_id)
    try:
        handle = _open(mail_log(data_dir), os.O_APPEND)
        try:
            os.write(handle, line.encode("utf-8"))
            os.fsync(handle)
        finally:
            os.close(handle)
    except OSError as exc:
        log.warning("weekly %s %s: sent, but not written to %s: %s", week, edition, mail_log(data_dir), exc)
        return False
    return True


def record_forgotten(data_dir: Path, week: str, edition: str, when: datetime) -> None:
    """Appends the line that forgets the edition's sends (`digest weekly --send --again`): appended, never rewritten,
    so a line another process appends meanwhile is not lost. OSError when it cannot be written: the send it was
    for must not go out while the log still says sent (a restored database would then be told it was never sent
    again)."""
    handle = _open(mail_log(data_dir), os.O_APPEND)
    try:
        os.write(handle, f"{week}\t{edition}\t{FORGOTTEN}\t{as_utc(when).isoformat()}\n".encode())
        os.fsync(handle)
    finally:
        os.close(handle)


def _line(week: str, edition: str, when: datetime, message_id: str) -> str:
    return f"{week}\t{edition}\t{as_utc(when).isoformat()}\t{' '.join(message_id.split())}\n"


def seed(data_dir: Path, sends: Sequence[tuple[str, str, datetime, str]]) -> int:
    """Writes the log from the database's record of `sends` when there is no log yet (a data folder from a release
    before it, or one whose log was deleted): a backup restored later then still finds the editions sent before the
    upgrade. Created whole or not at all, and never over a log that is there (whose deleted lines are wanted so).
    How many lines it wrote; a failure to write is logged, as record_sent's is."""
    path = mail_log(data_dir)
    if path.exists():
        _open_to_group(path)
        return 0
    if not sends:
        return 0
    # A draft of its own: the service's start and a cron `weekly --send` may both write the log at once, and a shared
    # draft name, truncated by the second after the first made it the log, emptied the log of a send recorded between.
    draft = path.with_name(f"{NAME}.{secrets.token_hex(8)}.new")
    try:
        handle = _open(draft, os.O_EXCL)
    except OSError as exc:
        log.warning("weekly: could not write %s from the database's record of sent editions: %s", path, exc)
        return 0
    try:
        try:
            os.write(handle, "".join(_line(*send) for send in sends).encode("utf-8"))
            os.fsync(handle)
        finally:
            os.close(handle)
        os.link(draft, path)  # only if there is still no log: a send recorded meanwhile is not written over
    except FileExistsError:
        return 0
    except OSError as exc:
        log.warning("weekly: could not write %s from the database's record of sent editions: %s", path, exc)
        return 0
    finally:
        draft.unlink(missing_ok=True)
    return len(sends)


def logged_send(data_dir: Path, week: str, edition: str) -> LoggedSend | None:
    """When the log says the week's edition was sent (the last such line), or None (never, or forgotten since)."""
    try:
        lines = mail_log(data_dir).read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("weekly: cannot read %s: %s", mail_log(data_dir), exc)
        return None
    found = None
    for line in lines:
        fields = line.split("\t")
        if len(fields) == 4 and fields[0] == week and fields[1] == edition:
            if fields[2] == FORGOTTEN:
                found = None
                continue
            try:
                found = LoggedSend(as_utc(datetime.fromisoformat(fields[2])), fields[3])
            except ValueError:
                continue  # a line edited by hand into something else
    return found
