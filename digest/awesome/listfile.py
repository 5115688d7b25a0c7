"""The list's Markdown file in the data folder: written whole, and never replaced without keeping a copy of what only
that file held.

Before `list.md` is replaced by a version with fewer entries (a wrong import, a database that lost its rows, an
undo) or without a paper it linked (a database restored from a backup, then an approval), or when it was edited
since the service last wrote it (a hand edit not imported yet), the file it had is kept as `list.md.1` (older ones
move up to `list.md.3`), so approved entries and a maintainer's edits can be recovered.
A hand edit is also kept as `list.md.edited.1` (older hand edits up to `list.md.edited.3`): only a later hand edit
moves those, so routine undos, which rotate `list.md.1`..`.3`, never push a maintainer's edit out.
What the service last wrote is remembered by its SHA-256 in `.list.md.written` beside it. Before the file is replaced
the note names both the file there and the one to come, so a process dying at the replace (kill -9, a power cut)
leaves either file known as the service's: the next write takes neither for a hand edit.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from digest.awesome.parse import ParsedEntry, parse_list
from digest.sizes import counted
from digest.storage.files import Staged, keep_generations, write_atomic_bytes
from digest.titles import linked_arxiv_ids, title_key

log = logging.getLogger(__name__)

GENERATIONS = 3
HAND_EDITS = 3  # copies of hand edits not imported, apart from the rotation above


def entry_count(text: str) -> int:
    """The entries as import reads them (not the example lines in a code block)."""
    return sum(len(section.entries) for section in parse_list(text).sections)


def _written_record(path: Path) -> Path:
    return path.with_name(f".{path.name}.written")


def remember_written(path: Path, *written: bytes, staged: Staged | None = None) -> None:
    """Notes that each of `written` is a file the service wrote to `path` (unnoted, the next write keeps a copy it did
    not need); with `staged`, when that is finished, and a failure to write the note aside is raised."""
    try:
        hashes = "\n".join(hashlib.sha256(data).hexdigest() for data in written)
        write_atomic_bytes(_written_record(path), hashes.encode("ascii"), staged=staged)
    except OSError as exc:
        if staged is not None:
            raise  # a staged write is whole or not at all
        log.warning("list: could not note what was written to %s (%s)", path, exc.strerror or exc)


def _noted(path: Path) -> list[str] | None:
    """The SHA-256 of each file the note says the service wrote to `path`; None when that is unknown."""
    try:
        return _written_record(path).read_text(encoding="ascii").split()
    except (OSError, UnicodeDecodeError):
        return None


def edited_since_written(path: Path, previous: bytes) -> bool:
    """Whether `previous` (what `path` holds) is not what the service last wrote there; False when that is unknown
    (a data folder from before the note was kept)."""
    noted = _noted(path)
    return noted is not None and hashlib.sha256(previous).hexdigest() not in noted


def hand_edit_copy(path: Path) -> Path:
    """Where the newest kept hand edit of `path` is (older ones: `.2`, up to `.HAND_EDITS`)."""
    return path.with_name(f"{path.name}.edited.1")


def papers_gone(previous: str, text: str, arxiv_ids: list[str]) -> list[str]:
    """Of `arxiv_ids` (linked by `previous`, not by `text`), those whose entry went too: an entry still in `text` under
    its title with another link (an ID a maintainer fixed upstream, brought back by publishing) lost no paper."""
    titles = {title_key(entry.title) for entry in _entries(text) if entry.title}
    linked = {entry.arxiv_id: entry.title for entry in _entries(previous) if entry.arxiv_id and entry.title}
    return [found for found in arxiv_ids if found not in linked or title_key(linked[found]) not in titles]


def _entries(text: str) -> list[ParsedEntry]:
    return [entry for section in parse_list(text).sections for entry in section.entries]


def _named_as(path: Path, kept: Path) -> Path:
    """A kept copy named as `path` is, in one line with it: 'data/list.md ... kept as data/list.md.1', not as the
    resolved /srv/digest/data/list.md.1 (the copy is beside the file a symlink names, there, in full)."""
    return path.with_name(kept.name) if kept.parent == path.resolve().parent else kept


def keep_replaced(
    path: Path,
    previous: bytes,
    text: str,
    entries: int | None = None,
    *,
    always: bool = False,
    staged: Staged | None = None,
    taken_out: frozenset[str] = frozenset(),
    importing: str,
    held: tuple[bytes, int] | None = None,
    decided_out: frozenset[str] = frozenset(),
) -> None:
    """The one rule for what `path` held before `text` replaces it: a hand edit is kept twice (in the rotation and
    apart from it), a file with more entries is kept in the rotation, and with `always` (the start-up re-write) any
    other file that differs too. With `staged`, the copies are kept, and said so, when that is finished.
    `importing`: the `digest list import PATH` the lines say edits go through, as the service itself is run.
    `taken_out`: the arXiv IDs a publish's pull took out, as the repository's history says (its commits name who took
    each out): no paper is lost with them, so they are no reason to keep a copy, nor to ask about a backup.
    `held`: a list and how many entries it holds, known (the database's before an import): `previous` the same is not
    parsed again to count them (a big list's parse is most of this).
    `decided_out`: the arXiv IDs whose entry (one each) the decision being written took out (a rejection, an undo):
    a list shorter by exactly those is what a maintainer asked for, so its copy is kept and said at INFO, not warned."""
    if previous == text.encode("utf-8"):
        return
    # At start-up, a file no note says the service wrote (a folder from a release before the note) may be a hand edit.
    unknown = always and _noted(path) is None
    if edited_since_written(path, previous) or unknown:
        _keep_hand_edit(path, previous, staged, unknown, importing)
        return
    previous_text = previous.decode("utf-8", "replace")
    linked_before = linked_arxiv_ids(previous_text)
    counted_before = held[1] if held is not None and held[0] == previous else entry_count(previous_text)
    before = counted_before - len(linked_before & taken_out)
    after = entry_count(text) if entries is None else entries
    lost = sorted(linked_before - linked_arxiv_ids(text) - taken_out)
    if lost:
        lost = papers_gone(previous_text, text, lost)
    level = logging.WARNING
    if after < before:
        message = "list: %s goes from %d to %s; the previous file is kept as %s"
        said: tuple[object, ...] = (path, before, counted(after, "entry", "entries"))
        if decided_out and before - after == len(decided_out) and set(lost) <= decided_out:
            level = logging.INFO  # the shrink a decision made, by a named maintainer: no surprise to warn of
    elif lost:  # as many entries, but not the same papers: a database restored from a backup, then one approval
        message = (
            "list: %s held %s the database does not (%s; a database restored from a backup?); the previous "
            "file is kept as %s"
        )
        said = (path, counted(len(lost), "paper"), ", ".join(lost[:5]) + (", ..." if len(lost) > 5 else ""))
    elif always:
        message = (
            "list: %s did not match the database (a write cut short, or an edit of the file: edits go through "
            "`%s`); written again, the previous file kept as %s"
        )
        said = (path, importing)
    else:
        return
    kept = _named_as(path, keep_generations(path, previous, GENERATIONS, staged=staged))
    _say(staged, message, *said, kept, level=level)


def _keep_hand_edit(path: Path, previous: bytes, staged: Staged | None, unknown: bool, importing: str) -> None:
    """A file edited by hand (or, `unknown`, one no note says the service wrote) is kept twice: in the rotation and
    apart from it."""
    kept = _named_as(path, keep_generations(path, previous, GENERATIONS, staged=staged))
    edits = path.with_name(f"{path.name}.edited")
    apart = _named_as(path, keep_generations(edits, previous, HAND_EDITS, held_by=path, staged=staged))
    _say(
        staged,
        "list: %s "
        + (
            "did not match the database and nothing says the service wrote it (a data folder from an older "
            "release), so it may hold an edit by hand that is not in the database"
            if unknown
            else "was edited since the service last wrote it, and the edit is not in the database"
        )
        + " (edits go through `%s`); written again from the database, the edited file kept as "
        "%s and as %s (only the next hand edits move that one, up to .edited.%d)",
        path,
        importing,
        kept,
        apart,
        HAND_EDITS,
    )


def _say(staged: Staged | None, message: str, *args: object, level: int = logging.WARNING) -> None:
    """Logs a warning (or `level`) now, or when `staged` is finished (the copies it names exist only then)."""
    if staged is None:
        log.log(level, message, *args)
    else:
        staged.add(lambda: log.log(level, message, *args))


def write_list_markdown(
    path: Path,
    text: str,
    entries: int | None = None,
    *,
    keep_any: bool = False,
    staged: Staged | None = None,
    taken_out: frozenset[str] = frozenset(),
    importing: str,
    held: tuple[bytes, int] | None = None,
    decided_out: frozenset[str] = frozenset(),
) -> Path:
    """Writes `text` to `path`; keeps the file it replaces when that one had more entries or was edited by hand, or
    with `keep_any` whenever it differs (see keep_replaced, and there `taken_out`). `entries`: how many `text` holds,
    when the caller knows (the database it was rendered from), so that it is not parsed again. With `staged`, every
    file is written aside now and put in place when that is finished (storage.files.Staged). `importing`: the
    service's own `digest list import PATH`, for the lines saying a copy was kept (see keep_replaced, and there
    `held`, `decided_out`)."""
    data = text.encode("utf-8")
    try:
        previous = path.read_bytes() if path.is_file() else None
    except OSError:
        previous = None  # unreadable: nothing to compare with; the write below says what is wrong
    if previous is not None:
        keep_replaced(
            path,
            previous,
            text,
            entries,
            always=keep_any,
            staged=staged,
            taken_out=taken_out,
            importing=importing,
            held=held,
            decided_out=decided_out,
        )
        # Dying at the replace leaves the one or the other: both are noted first (a hand edit there is kept above).
        if previous != data and not edited_since_written(path, previous):
            remember_written(path, previous, data, staged=staged)
    write_atomic_bytes(path, data, staged=staged)
    remember_written(path, data, staged=staged)
    return path
