"""`digest config check`'s lines about the database: a URL that can be used, a SQLite file that can be read and
written, then how the database itself stands (reached, new, at this release's schema), found read-only and once."""

from __future__ import annotations

from dataclasses import dataclass, field

from digest.config.settings import Settings


@dataclass
class DatabaseFindings:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    note: str = ""  # said under the report's database line: a new database, which the first start creates
    standing: str | None = None  # new, current, behind, ahead or refused; None when it was not opened


def database_findings(settings: Settings, reached: bool, named_by: str) -> DatabaseFindings:
    """What every command would stop on, and how the database stands; `reached` is False when its SQLite file is in a
    data folder this user cannot enter (said once, for the folder). Creates, migrates and writes nothing."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    from digest.storage.failures import missing_driver, sqlite_file, unreadable_file, unwritable_file
    from digest.storage.moved import moved_away

    found = DatabaseFindings()
    try:
        create_engine(settings.database_url).dispose()  # loads the dialect and its driver; connects to nothing
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        found.problems.append(f"database_url is not a usable SQLAlchemy URL: {exc}")
        return found
    except ImportError as exc:
        found.problems.append(f"database_url {missing_driver(settings.database_url, exc)}")
        return found
    moved = moved_away(settings.data_dir, settings.database_url)
    if moved:  # every command would stop on it: the old copy is not looked at
        found.problems.append(moved)
        return found
    database_file = sqlite_file(settings.database_url)
    if database_file is not None and not reached:
        return found
    # What every command would stop on; one that writes (and the service) on a file it may not write.
    refused = unreadable_file(settings.database_url) or unwritable_file(settings.database_url)
    if refused:
        found.problems.append(refused)
        return found
    return _with_standing(found, settings, named_by)


def _with_standing(found: DatabaseFindings, settings: Settings, named_by: str) -> DatabaseFindings:
    from digest.config.invocation import noted, same_invocation
    from digest.storage.probe import Standing, database_standing

    standing = database_standing(settings.database_url, named_by, same_invocation(settings, "run"))
    found.standing, line = standing.standing.value, noted(standing.line)  # its `run` command may hide a password
    if standing.standing in (Standing.REFUSED, Standing.AHEAD):
        found.problems.append(line)
    elif standing.standing is Standing.BEHIND:
        found.warnings.append(line)
    elif standing.standing is Standing.NEW:
        found.note = line
    return found
