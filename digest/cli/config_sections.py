"""What `digest config check` says of settings that name the list's sections: [discord.section_emojis], and the
section hints of the keyword rules ([sections] in feeds/rules.toml); and where it read the sections.

The sections are read where the service reads them: the database (the start's warning, Discord's reactions, the
review and the model all read it), or for a data folder without a database yet the list as it will start
(`<data>/list.md`, else `seed_list`). A section is named as maintainers name it everywhere
(digest/awesome/sectionnames.py), and a hint as the relevance model reads it (relevance/sections.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from digest.awesome.matching import slugify
from digest.awesome.parse import ListFormatError, parse_bytes
from digest.awesome.sectionnames import match_section, unnamed_sections
from digest.cli.config_features import Feature
from digest.config import Settings
from digest.config.section_emojis import no_reactions_warning, without_reaction_warning
from digest.sectionlabels import section_labels

FROM_DATABASE = "the database"


@dataclass(frozen=True)
class ListSections:
    """The sections a decision can go into, as the review finds them (awesome/store.py resolve_section): all but
    prose, each (name, slug), and the label each goes by (sectionlabels.section_labels, as the service's start and the
    review name them: "Probing (2025)" for a name the list repeats); and where they were read."""

    sections: list[tuple[str, str]]
    labels: list[str]
    source: str  # "the database", or the list's file and why it was read


def list_sections(settings: Settings, standing: str | None) -> ListSections | None:
    """The list's sections where the service reads them: the database when `standing` (probe.Standing's value) says it
    has a schema and it holds a list, else the list's file; None when neither can be read (a problem of its own, or
    nothing to compare yet)."""
    from digest.storage.probe import Standing, stored_sections

    if standing in (Standing.CURRENT, Standing.BEHIND):
        stored = stored_sections(settings.database_url)
        if stored:
            return _kept(stored, FROM_DATABASE)
    try:  # is_file() too: a data folder this user cannot enter is a problem of its own
        own = settings.list_markdown_path.is_file()
        path = settings.list_markdown_path if own else settings.seed_list
        why = " (no database yet)" if standing == Standing.NEW else ""
        return _file_sections(path, f"{path}{why}" if own else f"the seed list {path} (a new database starts with it)")
    except (OSError, ListFormatError):
        return None


def _file_sections(path: Path, source: str) -> ListSections:
    """The sections of the list file at `path`; raises OSError or ListFormatError."""
    parsed = parse_bytes(path.read_bytes(), str(path))
    taken: set[str] = set()  # slugs given in the list's order, prose too, as the import gives them
    every = [(section.name, slugify(section.name, taken), section.level, section.kind) for section in parsed.sections]
    return _kept(every, source)


def _kept(every: list[tuple[str, str, int, str]], source: str) -> ListSections:
    labels = section_labels([(name, slug, level) for name, slug, level, _ in every])
    kept = [index for index, (*_, kind) in enumerate(every) if kind != "text"]
    return ListSections([every[index][:2] for index in kept], [labels[index] for index in kept], source)


def sections_feature(read: ListSections | None) -> list[Feature]:
    """The report's line saying how many sections there are, and where they were read: "sections: 12, from the
    database"."""
    return [Feature("sections", True, f"{len(read.labels)}, from {read.source}")] if read else []


def unimported_edit_warnings(settings: Settings, read: ListSections | None) -> list[str]:
    """The list's file naming other sections than the database the service goes by (read): an edit by hand not
    imported yet, which the section emoji and hints are not checked against."""
    from digest.config.invocation import noted, same_invocation

    path = settings.list_markdown_path
    if read is None or read.source != FROM_DATABASE or not path.is_file():
        return []
    try:
        in_file = _file_sections(path, str(path))
    except (OSError, ListFormatError):
        return []  # a file the import would refuse: said by `digest list import` and `digest list lint`
    new = [label for label in in_file.labels if label not in read.labels]
    gone = [label for label in read.labels if label not in in_file.labels]
    if not new and not gone:
        return []
    told = "; ".join(
        filter(None, [f"it has {', '.join(new)}" if new else "", f"not {', '.join(gone)}" if gone else ""])
    )
    bring_in = same_invocation(settings, "list", "import", path)
    line = f"{path} names other sections than the database the service goes by ({told}): an edit not imported yet?"
    return [noted(f"{line} Section emoji and hints are checked against the database's; `{bring_in}` brings it in")]


def section_emoji_warnings(settings: Settings, read: ListSections | None) -> list[str]:
    """Section emoji whose section the list lacks: offered on every Discord message, each approves nothing; and the
    list's sections no section emoji names, that no reaction can file a paper into; an empty table, none at all."""
    if not settings.discord.enabled:
        return []
    if not settings.discord.section_emojis:
        return [no_reactions_warning()]
    if read is None:
        return []
    sections, labels = read.sections, read.labels
    wanted = settings.discord.section_emojis
    missing = [name for name in wanted if match_section(name, sections, labels) is None]
    unreached = unnamed_sections(wanted, sections, labels)
    warnings = [without_reaction_warning(unreached)] if unreached else []
    if not missing:
        return warnings
    return [
        f"discord.section_emojis names sections the list does not have: {', '.join(missing)} (its sections: "
        f"{', '.join(labels)}); their reactions approve nothing: name the list's sections in [discord.section_emojis]",
        *warnings,
    ]


def section_hint_warnings(settings: Settings, read: ListSections | None) -> list[str]:
    """Section hints of the rules whose section the list lacks (the bundled list's, in a rules file copied for a
    list of one's own): the model reads them for no section, so they suggest nothing."""
    from digest.relevance.rules import RulesError, load_rules
    from digest.relevance.section_keys import section_key

    try:
        hints = load_rules(settings.feeds_dir).sections
    except RulesError:
        return []  # a problem of its own, said by the check of the rules
    if not hints or read is None:
        return []
    sections, labels = read.sections, read.labels
    keys = [section_key(name) for name, _ in sections]
    missing = [
        name
        for name in hints
        if not any(key == section_key(name) or key.endswith(" " + section_key(name)) for key in keys)
    ]
    if not missing:
        return []
    return [
        f"{settings.feeds_dir / 'rules.toml'}: [sections] names sections the list does not have: {', '.join(missing)} "
        f"(its sections: {', '.join(labels)}); their hints suggest nothing: name the list's "
        "sections in [sections]"
    ]
