"""`digest list import` writing list.md with the import: aside before the commit, so that a disk too full for it
fails the import whole (the database and list.md as they were), and into place after it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from digest.cli.context import CommandError, Context

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.orm import Session

    from digest.storage.files import Staged


def _unwritten(exc: OSError, context: Context) -> str:
    """Why list.md could not be written, naming the disk holding it when that is full."""
    import errno

    from digest.storage.failures import no_room

    path = context.settings.list_markdown_path
    room = no_room(path.resolve().parent) if exc.errno == errno.ENOSPC else ""
    return f"{path}: {exc.strerror or exc}{room}"


def staged_list(session: Session, context: Context, staged: Staged, held: tuple[str, int]) -> Path:
    """list.md as the import's transaction holds it, written aside (awesome.store.stage_markdown; `held`: its
    held_list before the import); a failure rolls the import back."""
    from digest.awesome import store as liststore

    try:
        return liststore.stage_markdown(session, context.settings, staged, held)
    except OSError as exc:
        raise CommandError(f"cannot write {_unwritten(exc, context)}; nothing was imported") from None


def put_in_place(staged: Staged, context: Context) -> None:
    """The import is committed: list.md, written aside, renamed into place (which takes no room)."""
    try:
        staged.finish()
    except OSError as exc:
        raise CommandError(f"imported, but could not write {_unwritten(exc, context)}") from None
