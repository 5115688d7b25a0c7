"""The list's Markdown file in the data folder: written whole, and never shrunk without keeping the previous one.

Before `list.md` is replaced by a version with fewer entries (a wrong import, a database that lost its rows), the
file it had is kept as `list.md.1` (older ones move up to `list.md.3`), so approved entries can always be recovered.
"""

from __future__ import annotations

import logging
from pathlib import Path

from digest.awesome.parse import parse_list
from digest.storage.files import keep_generations, write_atomic

log = logging.getLogger(__name__)

GENERATIONS = 3


def entry_count(text: str) -> int:
    """The entries as import reads them (not the example lines in a code block)."""
    return sum(len(section.entries) for section in parse_list(text).sections)


def write_list_markdown(path: Path, text: str, entries: int | None = None) -> Path:
    """Writes `text` to `path`; keeps the file it replaces when that one had more entries. `entries`: how many
    `text` holds, when the caller knows (the database it was rendered from), so that it is not parsed again."""
    try:
        previous = path.read_bytes() if path.is_file() else None
    except OSError:
        previous = None  # unreadable: nothing to compare with; the write below says what is wrong
    if previous is not None:
        before = entry_count(previous.decode("utf-8", "replace"))
        after = entry_count(text) if entries is None else entries
        if after < before:
            kept = keep_generations(path, previous, GENERATIONS)
            log.warning(
                "list: %s goes from %d to %d entries; the previous file is kept as %s", path, before, after, kept
            )
    write_atomic(path, text)
    return path
