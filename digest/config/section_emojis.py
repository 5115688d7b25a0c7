"""[discord.section_emojis]: the reaction that approves a candidate into each section, and which of them a reaction
cannot tell apart (pure)."""

from __future__ import annotations

from digest.vocab import APPROVE_EMOJI, REJECT_EMOJI, normalise_emoji

DEFAULT_SECTION_EMOJIS: dict[str, str] = {
    "Surveys": "📚",
    "Blog": "📝",  # a written post; no other section's, nor ✅ or ❌
    "Input-level Attribution": "🎯",
    "Sparse Autoencoder": "🧩",
    "Probing": "🔍",
    "Beyond or Logit Lens": "🔭",
    "Causal Tracing": "🧪",
    "Neuron Analysis": "🧠",
    "Steering": "🕹️",
    "Representation": "🗺️",
    "Attention": "👀",
    "Tool": "🛠️",
}


def section_emoji_problems(emojis: dict[str, str]) -> list[str]:
    """A reaction names one section: an emoji given to two always approved into the first, and ✅ or ❌ offered as a
    section's approved into the suggested section or rejected instead. One line each, naming the section."""
    problems = []
    taken: dict[str, str] = {
        normalise_emoji(APPROVE_EMOJI): "the reaction that approves into the suggested section",
        normalise_emoji(REJECT_EMOJI): "the reaction that rejects",
    }
    first: dict[str, tuple[str, str]] = {}  # the emoji told apart: (its first section, as written there)
    for section, emoji in emojis.items():
        key = normalise_emoji(emoji.strip())
        if not key:
            problems.append(f'discord.section_emojis: "{section}" has no emoji')
        elif key in taken:
            problems.append(f'discord.section_emojis: "{section}" is {emoji}, {taken[key]}: give it another emoji')
        elif key in first:
            problems.append(
                f'discord.section_emojis: {first[key][1]} is given to both "{first[key][0]}" and "{section}", so a '
                "reaction with it approves into the first only: give each section its own emoji"
            )
        else:
            first[key] = (section, emoji)
    return problems


def without_reaction_warning(sections: list[str]) -> str:
    """One line naming the list's sections no [discord.section_emojis] entry means, so that no reaction in Discord can
    file a paper into them (only ✅ into a suggested one, or the review page), and how to give each its own."""
    example = f'"{sections[0]}" = "<an emoji no other section has>"'
    return (
        f"discord.section_emojis gives no reaction to the list's sections {', '.join(sections)}: no Discord reaction "
        f"files a paper into them; add one line each under [discord.section_emojis], e.g. {example}"
    )


def no_reactions_warning() -> str:
    """One line for an empty [discord.section_emojis] table, read as section reactions switched off: no reaction files
    a paper into any section, and how to have the default back."""
    return (
        f"discord.section_emojis is an empty table: no Discord reaction files a paper into any section (only "
        f"{APPROVE_EMOJI} into the suggested one); remove the table for the default emojis, or add one line per section"
    )
