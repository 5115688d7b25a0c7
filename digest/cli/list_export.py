"""`digest list export`: the list rendered from the database to standard output or a file, never over a database
or the data folder's secrets."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from digest.cli.context import CommandError, Context, print_json
from digest.sizes import shown_size

if TYPE_CHECKING:
    from pathlib import Path


SQLITE_HEADER = b"SQLite format 3\x00"
# Files SQLite keeps beside a database: its write-ahead log holds the latest commits until a checkpoint.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def _is_sqlite(path: Path) -> bool:
    """Whether `path` is a SQLite database (a new file, a device or pipe, an unreadable file: no)."""
    if not path.is_file():
        return False
    try:
        with path.open("rb") as stream:
            return stream.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False  # unreadable: the write says what is wrong


def refuse_to_replace(path: Path, data_dir: Path) -> None:
    """CommandError when `path` is a file no export may replace: a SQLite database (`-o data/d<Tab>` completes to
    the service's own) or a file SQLite keeps beside one (its write-ahead log), or the data folder's secrets."""
    from digest.config.secretstore import SECRETS_FILE

    target = path.resolve()
    beside = [target.with_name(target.name.removesuffix(end)) for end in SQLITE_COMPANIONS if target.name.endswith(end)]
    if target == (data_dir / SECRETS_FILE).resolve():
        what = "the data folder's secrets file"
    elif _is_sqlite(target):
        what = "a SQLite database (the service's, or a backup)"
    elif target.is_file() and any(_is_sqlite(database) for database in beside):
        what = "a file SQLite keeps beside its database (its latest changes may be only there)"
    else:
        return
    raise CommandError(f"{path} is {what}, not the list's Markdown; nothing was written: choose another file")


def handle_export(args: argparse.Namespace, context: Context) -> int:
    import hashlib

    context.reading_only = True

    from digest.awesome import store as liststore
    from digest.storage.files import write_atomic

    if str(args.output) == "-":  # standard output, as '-' is standard input to `score` and `decisions import`
        args.output = None
    if args.output is not None and not args.output.resolve().parent.is_dir():
        # A typo in the folder should not leave a new folder tree behind; the user creates folders on purpose.
        raise CommandError(f"{args.output}: the folder {args.output.resolve().parent} does not exist: create it first")
    if args.output is not None:
        refuse_to_replace(args.output, context.settings.data_dir)
    with context.database.reading() as session:
        markdown = liststore.render_markdown(session, context.settings.templates_dir)
        sections = liststore.sections_with_entries(session)  # as `list import` counts them
    data = markdown.encode("utf-8")
    summary = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(), "sections_with_entries": sections}
    if args.output is not None:
        # `-o /dev/stdout` (a pipe, a terminal): the list is the output, so no line may follow it there.
        stream = sys.stdout if args.output.is_file() or not args.output.exists() else sys.stderr
        try:
            if args.output.resolve() == context.settings.list_markdown_path.resolve():
                # The data folder's own file, as every decision writes it: under its lock, noted as the service's
                # (else the next decision takes it for a hand edit), and a hand edit not imported kept, not lost.
                with context.database.reading() as session:
                    liststore.write_markdown(session, context.settings)
            else:
                write_atomic(args.output, markdown)
        except OSError as exc:
            raise CommandError(f"{args.output}: cannot write: {exc.strerror or exc}") from None
        if args.json:
            print_json({"path": str(args.output), **summary}, stream)
        else:
            print(f"wrote {args.output} ({shown_size(len(data))})", file=stream)
        return 0
    if args.json:
        print_json({"markdown": markdown, **summary})
        return 0
    sys.stdout.flush()
    sys.stdout.buffer.write(data)  # bytes, so no newline translation touches the list
    sys.stdout.buffer.flush()
    return 0
