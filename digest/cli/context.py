"""Shared plumbing for the command modules: the lazily built settings and database of one invocation."""

from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # imported by the commands that use them, not by `digest --help`
    from collections.abc import Callable, Iterator
    from datetime import date
    from pathlib import Path

    from digest.config import Settings
    from digest.storage.db import Database


class CommandError(Exception):
    """A refusal or failure to report as one line (exit status 1)."""

    status = 1


class FeatureOffError(CommandError):
    """A command asked for what a feature does while the settings leave it off: a settings problem (exit status 2),
    refused before anything is done, its line naming the setting that turns it on."""

    status = 2


class Context:
    """A plain class rather than a dataclass: `dataclasses` pulls in `inspect`, which `digest --help` need not load."""

    def __init__(self, config_path: Path | None = None, data_dir: Path | None = None, *, logs: bool = False) -> None:
        self.config_path = config_path
        self.data_dir = data_dir
        self.logs = logs  # `digest`'s commands: warnings logged on stderr as the settings say (logs.CommandLog)
        self.restoring = False  # `list import`: open a used data folder's empty database without seeding it
        self.reading_only = False  # a command that only reads: a full disk still lets it read (see `database`)
        self.opened_read_only = False  # `database` could only read it: the command keeps nothing it works out
        self.dry_run = False  # makes nothing: a data folder with no database yet is left so (see `database`)
        self._settings: Settings | None = None
        self._database: Database | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from digest.config import load_settings

            with self.settings_log() as read:
                self._settings = load_settings(self.config_path, self.data_dir)
                read(self._settings)
        return self._settings

    @contextmanager
    def settings_log(self) -> Iterator[Callable[[Settings], None]]:
        """Every command that reads the settings logs its warnings with time and level (or as JSON), not as Python's
        last resort prints a bare line (logs.CommandLog): what is logged inside is held until the settings given to
        the callable yielded say how the log is written, or the defaults when none were read. `digest run`, `poll`,
        `publish` and `backfill` set theirs up again after this."""
        if not self.logs:
            yield lambda _settings: None
            return
        from digest.cli.logs import command_log

        log = command_log()
        known: list[Settings] = []
        try:
            yield known.append
        finally:  # settings that cannot be read: what was held is written as the defaults say
            log.start(*((known[0].log_level, known[0].log_format) if known else ()))

    @property
    def database_url_known(self) -> str | None:
        """The database's URL once the settings are read (a failure's line names its disk), else None."""
        return self._settings.database_url if self._settings is not None else None

    @property
    def database(self) -> Database:
        """The service database, created and filled with the bundled list on first use of a new data folder. A dry run
        makes nothing: on a data folder with no database yet (a new one) it reads the one the folder would be given,
        made in a temporary file (service/dry_run.database_to_come), and the folder is left as it was."""
        if self._database is None and self.dry_run:
            from digest.service.dry_run import database_to_come

            self._database = database_to_come(self.settings, refusing_used=True)
        if self._database is None:
            from digest.service.data_folder import UnusableDataError
            from digest.service.wiring import open_service_database
            from digest.storage.db import DatabaseError
            from digest.storage.revisions import OlderSchemaError

            try:
                self._database = open_service_database(
                    self.settings, restoring=self.restoring, writing=not self.reading_only
                )
                if not self.reading_only:  # a killed `digest weekly`, `add` or `list import`'s file, as `digest run`
                    from digest.storage.files import remove_leftover_temporaries

                    remove_leftover_temporaries(self.settings.data_dir, self.settings.weekly_dir)
            except UnusableDataError:
                raise  # a folder refused as it stands: reading it read-only would meet the same
            except OlderSchemaError as exc:  # a command that only reads, before the backup an upgrade wants
                from digest.config.invocation import password_note, same_invocation

                said = exc.line(same_invocation(self.settings, "run"))
                raise CommandError(f"{said}{password_note(self.settings)}") from None
            except DatabaseError as exc:
                self._database = self._read_only(exc)
        return self._database

    def _read_only(self, failure: Exception) -> Database:
        """For a command that only reads, a SQLite database that cannot be opened the usual way for want of space (or
        of a writable folder: SQLite creates its `-shm` file even to read; or of a writable file) is read as it stands,
        read-only."""
        from digest.storage.failures import full_disk, read_only_file, read_only_folder

        url = self.settings.database_url
        disk_full = full_disk(url)
        file_read_only = read_only_file(url)
        why = disk_full or read_only_folder(url) or file_read_only
        if not self.reading_only or not why:
            raise failure
        from digest.storage.snapshot import open_read_only

        database = open_read_only(url)
        if database is None:
            raise failure
        self.opened_read_only = True
        mend = (
            "free space"
            if disk_full
            else "make the file writable"
            if why == file_read_only
            else "make the folder writable"
        )
        import logging

        # A log record, not a printed line: with its time and level (or as JSON) in the command's log, as its others.
        logging.getLogger(__name__).warning("reading the database read-only%s; %s to change anything", why, mend)
        return database

    def close(self) -> None:
        if self._database is not None:
            self._database.dispose()
            self._database = None


def print_json(payload: Any, stream: TextIO | None = None) -> None:
    import json

    out = stream or sys.stdout
    json.dump(payload, out, ensure_ascii=False, indent=2, default=str)
    out.write("\n")


def print_json_streamed(payload: dict[str, Any], stream: TextIO | None = None) -> None:
    """An object printed as `print_json` prints it, each value that is an iterator written as a list an item at a
    time as it is drawn: a list of hundreds of thousands of items is never held whole."""
    import json
    from collections.abc import Iterator

    out = stream or sys.stdout

    def indented(value: Any, depth: int) -> str:
        text = json.dumps(value, ensure_ascii=False, indent=2, default=str)
        return text.replace("\n", "\n" + "  " * depth)

    out.write("{")
    for index, (key, value) in enumerate(payload.items()):
        out.write(("," if index else "") + "\n  " + json.dumps(key, ensure_ascii=False) + ": ")
        if not isinstance(value, Iterator):
            out.write(indented(value, 1))
            continue
        count = 0
        out.write("[")
        for count, item in enumerate(value, start=1):
            out.write(("," if count > 1 else "") + "\n    " + indented(item, 2))
        out.write("\n  ]" if count else "]")
    out.write("\n}\n" if payload else "}\n")


def path_argument(text: str) -> Path:
    """An argparse type: the text as a Path (pathlib is imported when a command is run, not by `digest --help`).
    An empty one is a usage error: as a Path it is the working folder (`--data-dir "$DATA"` with DATA unset)."""
    from pathlib import Path

    if not text.strip():
        raise argparse.ArgumentTypeError("the path is empty: give a file or folder (an unset shell variable?)")
    return Path(text)


STDIN = "<stdin>"  # how a message names standard input, given as '-'


def shown_source(path: Path | str) -> str:
    """A file a command reads as its messages name it: '-' is standard input."""
    return STDIN if str(path) == "-" else shown_path(path)


def input_argument(text: str) -> Path:
    """An argparse type for a file a command reads, as `path_argument`; the path of this command's own standard input
    when that is a pipe or a terminal (/dev/stdin, /dev/fd/0) is '-', read as '-' is, not refused as a named pipe."""
    import os
    import stat
    from pathlib import Path

    path = path_argument(text)
    try:
        named, ours = path.stat(), os.fstat(0)
    except (OSError, ValueError):  # no such file; no standard input at all
        return path
    return Path("-") if os.path.samestat(named, ours) and not stat.S_ISREG(named.st_mode) else path


def shown_path(path: Path | str) -> str:
    """A path as a message names it (digest.text.shown_name: a line break in it quoted, not printed)."""
    from digest.text import shown_name

    return shown_name(path)


def unreadable(path: Path | str, exc: BaseException, after: str = "") -> CommandError:
    """The one wording, for every command, of a file that cannot be read: "X: cannot read: why", or for a damaged or
    cut-off gzip file "X: not a readable gzip file (why)"; `after` says what was (not) done ("; nothing was
    imported")."""
    import gzip
    import zlib

    if isinstance(exc, gzip.BadGzipFile | EOFError | zlib.error):
        return CommandError(f"{shown_path(path)}: not a readable gzip file ({exc}){after}")
    why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
    return CommandError(f"{shown_path(path)}: cannot read: {why}{after}")


def refuse_non_file(path: Path, kind: str) -> None:
    """Raises CommandError, in one line, for a folder or anything else that is not a regular file (a named pipe would
    wait for a writer forever, a device read without end); a path that cannot be looked at is left for the opening
    to report. `kind` names the file wanted ("Markdown file")."""
    import stat

    if str(path) == "-":
        return
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if stat.S_ISDIR(mode):
        raise CommandError(f"{shown_path(path)}: is a folder, not a {kind}")
    if not stat.S_ISREG(mode):
        what = "a named pipe" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
        raise CommandError(f"{shown_path(path)}: is {what}, not a {kind}: save what it gives to a file and name that")


def blank_section(args: argparse.Namespace) -> bool:
    """Says so in one line (the caller exits 2) when --section was given blank: it would otherwise mean "the suggested
    section" unasked."""
    if args.section is None or args.section.strip():
        return False
    print(
        f"digest {args.command}: a section name cannot be blank: leave --section out for the suggested one",
        file=sys.stderr,
    )
    return True


def shown_value(text: str) -> str:
    """A value typed on the command line as a usage line quotes it: its first 40 characters (a variable holding a
    file's text is no line to print whole)."""
    return repr(text) if len(text) <= 40 else repr(text[:40]) + "…"


def whole_number(text: str) -> int | None:
    """The whole number `text` writes in the digits 0-9 (a sign and the space around it allowed), or None when it
    writes none; one of more than 18 digits is 10**18, past every option's range. Digits other than 0-9 (fullwidth,
    Arabic-Indic, superscript), which int() reads, are a usage error of their own: what they meant is a guess."""
    written = text.strip()
    digits = written[1:] if written[:1] in ("+", "-") else written
    if digits.isdigit() and not digits.isascii():
        raise argparse.ArgumentTypeError(f"{shown_value(text)} is written in digits other than 0-9: write it in 0-9")
    if not (digits.isascii() and digits.isdigit()):
        return None
    return int(written) if len(digits) <= 18 else 10**18


def iso_date(text: str) -> date:
    """An argparse type: a date like 2025-01-31, or a usage error (exit 2) in one line."""
    from datetime import date

    try:
        return date.fromisoformat(text.strip())  # the space around it too, as an ID's
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{shown_value(text)} is not a date like 2025-01-31") from exc
