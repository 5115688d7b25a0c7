"""The file `digest decisions import` reads, one line at a time, and the good decisions it holds, spooled to disk.

A maintainer's export of hundreds of thousands of decisions (or a multi-GB file given by mistake) is read line by line;
the good decisions wait in a private temporary SQLite file, never all in memory, until every line has been checked:
a file with any bad line imports nothing. Only the first bad lines are kept to show, the others counted.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from digest.cli.context import STDIN, CommandError, refuse_non_file, shown_path, unreadable
from digest.cli.lines import BAD_LINES_SHOWN

if TYPE_CHECKING:
    from pathlib import Path

    from digest.relevance.training import BadLine, ImportedDecision

CHUNK = 500  # decisions fetched from the spool at a time (and asked of the database in one query)


def decision_lines(path: Path) -> Iterator[bytes]:
    """The file's lines without their line breaks, as bytes.splitlines() gives them (a lone carriage return ends one
    too), read one at a time with a cap (gzip when it ends in .gz, standard input for '-'); a file that cannot be read
    is one line saying why, when it is met."""
    import gzip
    import zlib

    from digest.cli.lines import MAX_LINE_SHOWN, LongLineError, capped_lines

    refuse_non_file(path, "JSON-lines file")
    try:
        if str(path) == "-":
            yield from _split(capped_lines(sys.stdin.buffer))
        elif path.suffix == ".gz":
            with gzip.open(path, "rb") as stream:
                yield from _split(capped_lines(stream))
        else:
            with path.open("rb") as stream:
                yield from _split(capped_lines(stream))
    except LongLineError as exc:
        source = STDIN if str(path) == "-" else shown_path(path)
        raise CommandError(
            f"{source}:{exc.line_number}: a line longer than {MAX_LINE_SHOWN}, which no decision is (is it a "
            "JSON-lines file?); nothing was imported"
        ) from None
    except IsADirectoryError:
        raise CommandError(f"{shown_path(path)}: is a folder, not a JSON-lines file") from None
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise unreadable(path, exc, "; nothing was imported") from None
    except OSError as exc:
        raise unreadable(path, exc) from None


def refusing_json_array(source: str, lines: Iterable[bytes]) -> Iterator[bytes]:
    """The lines, or one line saying so when the first that is not blank opens a JSON array."""
    from digest.cli.lines import JSON_ARRAY, opens_json_array

    looked = False
    for line in lines:
        if not looked and line.strip():
            looked = True
            if opens_json_array(line):
                raise CommandError(f"{source}: {JSON_ARRAY}; nothing was imported")
        yield line


def _split(lines: Iterable[bytes]) -> Iterator[bytes]:
    for line in lines:
        yield from line.splitlines() or [b""]


# One decision per paper, its last line's (the line each paper is imported from).
_LAST = "SELECT * FROM staged WHERE line IN (SELECT max(line) FROM staged GROUP BY arxiv_id)"
_COUNT = "SELECT count(*) FROM (SELECT * FROM staged WHERE line IN (SELECT max(line) FROM staged GROUP BY arxiv_id))"
_COUNT += " WHERE ? IS NULL OR approved = ?"  # every paper, or those approved (1) or rejected (0)
# Those of them whose verdict a decision in review overrules.
_OVERRULED = "SELECT * FROM staged WHERE line IN (SELECT line FROM overruled)"


class Spool:
    """The good decisions of one file, in a private temporary SQLite file (deleted when closed), and its bad lines:
    the first BAD_LINES_SHOWN of them, and how many."""

    def __init__(self) -> None:
        self._db = sqlite3.connect("")  # "": a private temporary file, spilt to disk past a small cache
        self._db.execute(
            "CREATE TABLE staged (line INTEGER PRIMARY KEY, arxiv_id TEXT NOT NULL, approved INTEGER NOT NULL, "
            "title TEXT NOT NULL, abstract TEXT NOT NULL, section TEXT)"
        )
        self._db.execute("CREATE TABLE overruled (line INTEGER PRIMARY KEY)")
        self.bad_lines: list[BadLine] = []
        self.bad_count = 0
        self.unknown_section = False  # a line named a section the list does not have (the hint lists the real ones)

    def close(self) -> None:
        self._db.close()

    def take(self, checked: Iterable[ImportedDecision | BadLine]) -> None:
        """Each line's outcome as it is checked; once a line is bad, the good ones are no longer kept (nothing will be
        imported), only counted past."""
        from digest.relevance.training import BadLine

        rows: list[tuple[object, ...]] = []
        for item in checked:
            if isinstance(item, BadLine):
                self.bad_count += 1
                self.unknown_section = self.unknown_section or item.unknown_section is not None
                if len(self.bad_lines) < BAD_LINES_SHOWN:
                    self.bad_lines.append(item)
                rows.clear()
            elif not self.bad_count:
                rows.append((item.line_number, item.arxiv_id, item.approved, item.title, item.abstract, item.section))
                if len(rows) >= CHUNK:
                    self._db.executemany("INSERT INTO staged VALUES (?, ?, ?, ?, ?, ?)", rows)
                    rows.clear()
        self._db.executemany("INSERT INTO staged VALUES (?, ?, ?, ?, ?, ?)", rows)
        self._db.execute("CREATE INDEX staged_paper ON staged (arxiv_id, line)")

    def count(self, approved: bool | None = None) -> int:
        """How many papers are imported (one per paper: its last line's), or how many approved or rejected."""
        (count,) = self._db.execute(_COUNT, (approved, approved)).fetchone()
        return int(count)

    def overrule(self, decisions: Iterable[ImportedDecision]) -> None:
        """Marks decisions as overruled by a decision in review (`decisions(overruled=True)` gives them back)."""
        self._db.executemany("INSERT INTO overruled VALUES (?)", [(item.line_number,) for item in decisions])

    def overruled_count(self) -> int:
        (count,) = self._db.execute("SELECT count(*) FROM overruled").fetchone()
        return int(count)

    def decisions(self, overruled: bool = False) -> Iterator[list[ImportedDecision]]:
        """One decision per paper, its last line's, in the order of those lines (or only those marked overruled);
        CHUNK at a time."""
        from digest.relevance.training import ImportedDecision, Verdict

        cursor = self._db.execute((_OVERRULED if overruled else _LAST) + " ORDER BY line")
        while rows := cursor.fetchmany(CHUNK):
            yield [
                ImportedDecision(
                    arxiv_id=arxiv_id,
                    title=title,
                    abstract=abstract,
                    verdict=Verdict.APPROVE if approved else Verdict.REJECT,
                    section=section,
                    line_number=line,
                )
                for line, arxiv_id, approved, title, abstract, section in rows
            ]

    def each(self, overruled: bool = False) -> Iterator[ImportedDecision]:
        """`decisions`, one decision at a time."""
        for chunk in self.decisions(overruled):
            yield from chunk

    def repeats(self) -> Iterator[tuple[str, list[int]]]:
        """Each paper on several lines, with those lines, in the order of their first line."""
        cursor = self._db.execute(
            "SELECT arxiv_id, group_concat(line) FROM staged GROUP BY arxiv_id HAVING count(*) > 1 ORDER BY min(line)"
        )
        for arxiv_id, lines in cursor:
            yield arxiv_id, sorted(int(line) for line in str(lines).split(","))
