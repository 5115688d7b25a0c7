"""The legend of a candidate's message: what each reaction does, in its embed's footer. The section emojis it offers
are the list's sections now (suggested.offered_emojis); the text of those is recorded with the message, so that a
heading renamed or taken out since edits the pending messages offering it otherwise (suggested.ShownLegends)."""

from __future__ import annotations

from collections.abc import Mapping

from digest.review.rules import SuggestedSection
from digest.storage.models import Candidate
from digest.text import is_blank, readable_section
from digest.vocab import APPROVE_EMOJI, REJECT_EMOJI


def legend(
    candidate: Candidate, section_emojis: Mapping[str, str], *, suggestion: SuggestedSection | None = None
) -> str:
    """What each reaction does; ✅ only when the suggested section is one the list has, named as the list names it now
    (`suggestion`: where ✅ lands; without it, the candidate's suggested section as it is named)."""
    into = candidate.suggested_section if suggestion is None else suggestion.label
    # A list heading of characters that draw nothing names no section a reader can see: it is the suggested one.
    shown = "the suggested section" if is_blank(into or "") else into
    approve = [f"{APPROVE_EMOJI} approve into {shown}"]
    offered = [section_legend(section_emojis)] if section_emojis else []
    return " · ".join([*(approve if into else []), f"{REJECT_EMOJI} reject", *offered])


def section_legend(section_emojis: Mapping[str, str]) -> str:
    """The legend's section emojis, each with the section its reaction approves into: as recorded with a message."""
    return " · ".join(f"{emoji} {shown_section(section)}" for section, emoji in section_emojis.items())


def shown_section(name: str) -> str:
    """A section's name as a message shows it (digest.text.readable_section)."""
    return readable_section(name)
