"""The schema revisions the migration files declare, read from their text: knowing whether a database is at its
newest schema must not cost importing Alembic (a tenth of a second that every command would pay for nothing)."""

from __future__ import annotations

import re
from pathlib import Path

_REVISION = re.compile(r"^revision\b[^=\n]*=\s*['\"](\w+)['\"]", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\b[^=\n]*=(.*)$", re.MULTILINE)


def read_revisions(versions: Path) -> tuple[set[str], set[str]] | None:
    """Every revision in the `versions` folder and the newest ones, read from the files; None when a file does not
    say plainly."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in versions.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION.search(source), _DOWN_REVISION.search(source)
        if revision is None or down is None:
            return None
        revisions.add(revision.group(1))
        parents.update(re.findall(r"['\"](\w+)['\"]", down.group(1)))
    heads = revisions - parents
    return (revisions, heads) if heads else None


def newer_schema(stored: set[str], heads: set[str]) -> str:
    """The one line a database a newer release migrated is refused with (and `digest config check` lists)."""
    return (
        f"the database is at schema revision {', '.join(sorted(stored))}, newer than this release knows "
        f"({', '.join(sorted(heads))}): run the release that upgraded it, or restore the backup taken before"
    )


class OlderSchemaError(Exception):
    """A command that only reads met a database an older release made: left as it is, said in one line (`line`)."""

    def __init__(self, stored: set[str], heads: set[str]) -> None:
        super().__init__(stored, heads)
        self.stored, self.heads = stored, heads

    def line(self, run: str) -> str:
        """The one line a command that only reads says of it, which it leaves as it is: the backup the README asks
        for is taken before the upgrade, not after. `run` is the service's own `digest ... run`, run as printed on
        this database."""
        return (
            f"the database is at schema revision {', '.join(sorted(self.stored))}, from an older release (this one's "
            f"is {', '.join(sorted(self.heads))}); a command that only reads leaves it so: back it up, then `{run}` "
            "(or a command that writes) upgrades it"
        )
