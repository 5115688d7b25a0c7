"""What a list of one's own in `seed_list` leaves the bundled list's: the data folder's list (a seed list is read only
into a new data folder, so one named after the folder started from another, at a first `digest run`, was left out
unsaid), the title pages, feeds and emails carry, and the keyword rules the polls keep papers by."""

from __future__ import annotations

from pathlib import Path

from digest import resources
from digest.awesome.parse import ListFormatError, ParsedList, parse_bytes
from digest.awesome.parsed_entry import ParsedEntry
from digest.config import Settings
from digest.config.invocation import password_note, same_invocation


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
        if _is_bundled(settings) or not held.is_file():
            return None
        wanted = _keys(parse_bytes(seed.read_bytes(), str(seed)))
        have = set(_keys(parse_bytes(held.read_bytes(), str(held))))
    except (OSError, ListFormatError):
        return None
    missing = sum(1 for key in wanted if key not in have)
    if missing * 2 <= len(wanted):
        return None
    entries = "entry" if len(wanted) == 1 else "entries"
    again = same_invocation(settings, "list", "import", "--force", seed)  # run as printed: the same database
    return (
        f"seed_list {seed} is read only into a new data folder, and {settings.data_dir} holds another list, without "
        f"{missing} of its {len(wanted)} {entries}: `{again}` replaces the list with it (or give a new, empty data_dir)"
        f"{password_note(settings)}"
    )


def bundled_title_kept(settings: Settings) -> str | None:
    """One line when `seed_list` is a list of one's own and `list_title` is left at the bundled list's title, which
    every page, feed and email (and its List-Id) would then carry."""
    bundled_title = Settings.model_fields["list_title"].default
    if settings.list_title != bundled_title or _is_bundled(settings):
        return None
    return (
        f"list_title is the bundled list's, {bundled_title!r}, while seed_list is {settings.seed_list}: pages, feeds"
        " and emails carry it; set list_title to your list's title"
    )


def bundled_rules_kept(settings: Settings) -> str | None:
    """One line when the list is one's own (its `seed_list` or `list_title` not the bundled list's) and `feeds_dir` is
    left at the bundled folder: the polls would then keep papers by the bundled topic's keyword rules (and read its
    arXiv feeds, unless [arxiv] sources names others), whatever the list is about."""
    bundled_title = Settings.model_fields["list_title"].default
    if _is_bundled(settings) and settings.list_title == bundled_title:
        return None
    try:
        bundled = resources.feeds_dir().resolve()
        if settings.feeds_dir.resolve() != bundled:
            return None
    except OSError:
        return None  # a problem of its own, said by the check of the files
    read = "" if settings.arxiv.sources else ", and its sources.toml the arXiv feeds they read"
    where = settings.config_path.parent / "feeds" if settings.config_path else Path("feeds")
    return (
        f"feeds_dir is the bundled {bundled}, written for {bundled_title!r}: its rules.toml picks the papers the polls"
        f" keep for your list by that topic's keywords{read}; copy it (`cp -r {bundled} {where}`), write your topic's"
        f" terms and sections in its rules.toml (README: 'Rules for a list of your own') and set feeds_dir ="
        f' "{where}" in the settings file'
    )


def _is_bundled(settings: Settings) -> bool:
    try:
        return settings.seed_list.resolve() == resources.seed_list_path().resolve()
    except OSError:
        return True  # a problem of its own, said by the check of the files
