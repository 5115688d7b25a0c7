"""The `digest` command a hint prints for the user to run: the same invocation as the one that printed it (its
settings file, data folder and database), quoted for a shell, so that run as printed it acts on the same database and
folder."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from pathlib import Path

from digest.config.settings import DataFolderFrom, Settings

# A database URL's password, where SQLAlchemy reads it (config/values.py splits URLs the same way: config imports no
# SQLAlchemy): after the user's ':' up to the first '@', and libpq's `password=` and `sslpassword=` parameters.
_USER_PASSWORD = re.compile(r"^(?P<before>[\w+]+://[^:/@?]*:)[^@]*(?=@)")
_QUERY_PASSWORD = re.compile(r"(?P<before>[?&][^=&]*password[^=&]*=)[^&]*", re.IGNORECASE)


def digest_command(*words: str | Path, config: Path | None = None, data_dir: Path | None = None) -> str:
    """`digest [--config FILE] [--data-dir DIR] WORDS...`, each word quoted as a shell needs it."""
    given: list[str | Path] = []
    for option, value in (("--config", config), ("--data-dir", data_dir)):
        if value is not None:
            given += [option, value]
    return shlex.join(["digest", *(str(word) for word in [*given, *words])])


def password_hidden(url: str) -> str:
    """A database URL as a printed command may show it: each password written `***`."""
    return _QUERY_PASSWORD.sub(r"\g<before>***", _USER_PASSWORD.sub(r"\g<before>***", url))


# What a line says once, after the commands it prints, when they start with a database URL whose password is `***`:
# pasted as it is, PostgreSQL answers "password authentication failed". storage/moved.py says it too.
ASTERISKS_NOTE = "(*** stands for its password)"


_NAMED_DATABASE = re.compile(r"(?<![\w$])DIGEST_DATABASE_URL=")


def hides_a_password(text: str) -> bool:
    """Whether `text` prints a command that names the database with its password `***` (same_invocation's)."""
    for named in _NAMED_DATABASE.finditer(text):
        words = shlex.shlex(text[named.end() :], posix=True)
        words.whitespace_split = True
        try:
            url = words.get_token() or ""
        except ValueError:  # an unclosed quote: no command same_invocation printed
            continue
        if "***" in url and password_hidden(url) == url:
            return True
    return False


def password_note(settings: Settings) -> str:
    """` (*** stands for its password)` for a line whose commands (same_invocation's) name the database with its
    password hidden, once for the whole line, else "": for the line's end."""
    return f" {ASTERISKS_NOTE}" if hides_a_password(same_invocation(settings)) else ""


def noted(line: str) -> str:
    """`line` (a message, a log line, an error) ending with ASTERISKS_NOTE when a command it prints names the database
    with its password `***`, once however many it prints: the one way a line, wherever it got its commands (the
    settings, or a `digest` invocation handed down), says what *** stands for. A line made of lines that said it (a
    refusal's reason in a longer line) says it once, at its end."""
    bare = line.replace(f" {ASTERISKS_NOTE}", "")
    return f"{bare} {ASTERISKS_NOTE}" if hides_a_password(bare) else line


def _sliced(text: str, limit: int) -> str:
    return text[:limit]


def noted_within(
    line: str, limit: int, cut: Callable[[str, int], str] = _sliced, size: Callable[[str], int] = len
) -> str:
    """noted(line) of at most `limit` (as `size` counts, shortened by `cut`): a long line's own words make room for
    ASTERISKS_NOTE, which is never cut off (the command it explains is often what a long line ends with)."""
    full = noted(line)
    bare = full.removesuffix(f" {ASTERISKS_NOTE}")
    if bare == full:
        return cut(full, limit)
    note = " " + cut(ASTERISKS_NOTE, limit)
    return cut(bare, limit - size(note)) + note


def outside_database(text: str, invocation: str, change: Callable[[str], str]) -> str:
    """`text` with `change` made everywhere but in the `DIGEST_DATABASE_URL='...'` that `invocation` (same_invocation's)
    starts with: a rule for others' URLs (a remote's user dropped) would take its user and `***` out of the commands
    the text prints, which then log in as no one."""
    named, _, rest = invocation.partition(" digest ")
    if not rest or not _NAMED_DATABASE.match(named):
        return change(text)
    return named.join(change(part) for part in text.split(named))


def same_invocation(settings: Settings, *words: str | Path) -> str:
    """The command `words` name, run on the settings file (from --config or DIGEST_CONFIG: a database_url it holds
    names the database) and the data folder these settings were loaded for, from any folder and without the
    environment the service had (cron, another shell): `--data-dir`, absolute, unless the settings file printed names
    the folder (its data_dir, read from the file's folder wherever the command runs). A database DIGEST_DATABASE_URL
    named is named before the command as the variable, its password `***` for the user to write in: without it the
    command would act on the data folder's SQLite file, silently another database. The line that prints it ends with
    password_note, once, however many commands it prints."""
    config = settings.config_path.absolute() if settings.config_path is not None else None
    named_by_file = config is not None and settings.data_dir_from is DataFolderFrom.SETTINGS_FILE
    data_dir = None if named_by_file else settings.data_dir.absolute()
    command = digest_command(*words, config=config, data_dir=data_dir)
    if not settings.database_by_variable:
        return command
    return f"DIGEST_DATABASE_URL={shlex.quote(password_hidden(settings.database_url))} {command}"
