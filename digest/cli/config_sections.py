"""What `digest config check` says of settings that name the list's sections: [discord.section_emojis].

The list is read as the service last wrote it (`<data>/list.md`), or for a new data folder as it will start
(`seed_list`); a section is named as maintainers name it everywhere (digest/awesome/sectionnames.py).
"""

from __future__ import annotations

from digest.awesome.matching import slugify
from digest.awesome.parse import ListFormatError, parse_bytes
from digest.awesome.sectionnames import match_section
from digest.config import Settings


def section_emoji_warnings(settings: Settings) -> list[str]:
    """Section emoji whose section the list lacks: offered on every Discord message, each approves nothing."""
    if not settings.discord.enabled or not settings.discord.section_emojis:
        return []
    source = settings.list_markdown_path if settings.list_markdown_path.is_file() else settings.seed_list
    try:
        parsed = parse_bytes(source.read_bytes(), str(source))
    except (OSError, ListFormatError):
        return []  # a problem of its own (the seed list), or nothing to compare with yet
    # The sections a decision can go into, as the review finds them (awesome/store.py resolve_section): all but prose.
    taken: set[str] = set()
    sections = [(section.name, slugify(section.name, taken)) for section in parsed.sections if section.kind != "text"]
    names = [name for name, _ in sections]
    missing = [wanted for wanted in settings.discord.section_emojis if match_section(wanted, sections) is None]
    if not missing:
        return []
    return [
        f"discord.section_emojis names sections the list does not have: {', '.join(missing)} (its sections: "
        f"{', '.join(names)}); their reactions approve nothing: name the list's sections in [discord.section_emojis]"
    ]
