"""Whether the data folder's list is the configured seed list's: a seed list is read only into a new data folder, so
one named after the folder started from another (the bundled list, at a first `digest run`) was left out unsaid."""

from __future__ import annotations

from digest import resources
from digest.awesome.parse import ListFormatError, ParsedList, parse_bytes
from digest.awesome.parsed_entry import ParsedEntry
from digest.config import Settings


def _entry_key(entry: ParsedEntry) -> str:
    """An entry as the same paper in two lists: its arXiv ID, else its link, else its text."""
    return entry.paper_arxiv_id or entry.url or entry.raw.strip()


def _keys(parsed: ParsedList) -> list[str]:
    return [_entry_key(entry) for section in parsed.sections for entry in section.entries]


def seed_list_left_out(settings: Settings) -> str | None:
    """One line when `seed_list` is a list of one's own and the data folder's list (`list.md`, written from the
    database) lacks most of its entries: another list was imported first. A few entries taken out by hand since are
    no other list. None for a new data folder, or when a file cannot be read (a problem said elsewhere)."""
    seed, held = settings.seed_list, settings.list_markdown_path
    try:
        if seed.resolve() == resources.seed_list_path().resolve() or not held.is_file():
            return None
        wanted = _keys(parse_bytes(seed.read_bytes(), str(seed)))
        have = set(_keys(parse_bytes(held.read_bytes(), str(held))))
    except (OSError, ListFormatError):
        return None
    missing = sum(1 for key in wanted if key not in have)
    if missing * 2 <= len(wanted):
        return None
    return (
        f"seed_list {seed} is read only into a new data folder, and {settings.data_dir} holds another list, without "
        f"{missing} of its {len(wanted)} entries: `digest list import --force {seed}` replaces the list with it "
        "(or give a new, empty data_dir)"
    )
