"""What `digest config check` says of settings that name the list's sections: [discord.section_emojis], and the
section hints of the keyword rules ([sections] in feeds/rules.toml).

The list is read as the service last wrote it (`<data>/list.md`), or for a new data folder as it will start
(`seed_list`); a section is named as maintainers name it everywhere (digest/awesome/sectionnames.py), and a hint
as the relevance model reads it (relevance/sections.py).
"""

from __future__ import annotations

from digest.awesome.matching import slugify
from digest.awesome.parse import ListFormatError, parse_bytes
from digest.awesome.sectionnames import match_section, unnamed_sections
from digest.config import Settings
from digest.config.section_emojis import no_reactions_warning, without_reaction_warning
from digest.sectionlabels import section_labels


def _list_sections(settings: Settings) -> tuple[list[tuple[str, str]], list[str]] | None:
    """The sections a decision can go into, as the review finds them (awesome/store.py resolve_section): all but
    prose, each with its slug, and the label each goes by (sectionlabels.section_labels, as the service's start and
    the review name them: "Probing (2025)" for a name the list repeats); None when the list cannot be read (a
    problem of its own, or nothing to compare yet)."""
    try:  # is_file() too: a data folder this user cannot enter is a problem of its own
        source = settings.list_markdown_path if settings.list_markdown_path.is_file() else settings.seed_list
        parsed = parse_bytes(source.read_bytes(), str(source))
    except (OSError, ListFormatError):
        return None
    taken: set[str] = set()  # slugs given in the list's order, prose too, as the import gives them
    every = [(section.name, slugify(section.name, taken), section.level) for section in parsed.sections]
    labels = section_labels(every)
    kept = [index for index, section in enumerate(parsed.sections) if section.kind != "text"]
    return [every[index][:2] for index in kept], [labels[index] for index in kept]


def section_emoji_warnings(settings: Settings) -> list[str]:
    """Section emoji whose section the list lacks: offered on every Discord message, each approves nothing; and the
    list's sections no section emoji names, that no reaction can file a paper into; an empty table, none at all."""
    if not settings.discord.enabled:
        return []
    if not settings.discord.section_emojis:
        return [no_reactions_warning()]
    read = _list_sections(settings)
    if read is None:
        return []
    sections, labels = read
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


def section_hint_warnings(settings: Settings) -> list[str]:
    """Section hints of the rules whose section the list lacks (the bundled list's, in a rules file copied for a
    list of one's own): the model reads them for no section, so they suggest nothing."""
    from digest.relevance.rules import RulesError, load_rules
    from digest.relevance.section_keys import section_key

    try:
        hints = load_rules(settings.feeds_dir).sections
    except RulesError:
        return []  # a problem of its own, said by the check of the rules
    read = _list_sections(settings)
    if not hints or read is None:
        return []
    sections, labels = read
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
