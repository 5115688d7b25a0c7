"""Which of the list's sections a name means, as a maintainer types it. Pure.

The list's own heading is the surest name ("🔭 Beyond or Logit Lens:"), but maintainers, the review page, Discord and
earlier verdicts brought in with `digest decisions import` name sections the way people do: "(Beyond) Logit Lens",
"logit lens", "Sparse Autoencoders". A name means a section when, in order:
1. it is the section's name or slug without case, accents, emoji or punctuation (emoji saved as Mac Roman mojibake,
   as a heading copied from the list may hold them, count as emoji);
2. it has the same words, leaving out "or", "and", "the" and plurals ("(Beyond) Logit Lens", "Representations");
3. its words are all among the section's words ("logit lens", "attribution"). Not the other way round: "Sparse
   Autoencoders and friends" may be a section the maintainer has in mind, not "Sparse Autoencoder".
The first of these steps that finds sections decides, and only when it finds exactly one: a name that fits two
sections equally ("analysis" beside "Neuron Analysis" and "Circuit Analysis") means none, and the caller says so.
Before them, a section's slug or its label (`section_labels`) means that section alone: a heading the list repeats
(a "Probing" in each year's block) is offered and chosen as "Probing (2025)" and "Probing (2024)".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING

from digest.awesome.headings import repair_mojibake
from digest.awesome.matching import slugify
from digest.sectionlabels import LABEL_MAX, section_labels, told_apart
from digest.titles import title_key

if TYPE_CHECKING:  # `digest candidates` matches names without loading the list's parser
    from digest.awesome.parse import ParsedSection

_CONNECTIVES = frozenset({"or", "and", "the", "of", "a", "an"})


def _word(word: str) -> str:
    """A word without a plural's "s" ("autoencoders", "representations"; "analysis" and "class" keep theirs)."""
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "is", "us")):
        return word[:-1]
    return word


def section_words(name: str) -> frozenset[str]:
    return frozenset(_word(word) for word in title_key(name).split() if word not in _CONNECTIVES)


def several_named(name: str, labels: Sequence[str]) -> str:
    """Why `name` means no one section when several have it (a "Probing" in each year's block), and the labels that
    tell them apart, to name one of: said alike wherever a section is named (`digest approve --section`, a file of
    earlier verdicts)."""
    return f"the list has {len(labels)} sections named {name!r}: name one of {', '.join(labels)}"


def several_fit(name: str, labels: Sequence[str]) -> str:
    """Why `name` means no one section when it fits several equally, and those sections, to name one of."""
    return f"{name!r} fits {len(labels)} sections of the list: {', '.join(labels)}; name one of them"


def _label_forms(wanted: str) -> set[str]:
    """`wanted` as a label compares (casefolded), and written whole where the label is cut: "name (heading)" past
    LABEL_MAX characters means the section whose label is that cut short."""
    forms = {wanted.casefold()}
    if len(wanted) > LABEL_MAX and wanted.endswith(")"):
        opening = wanted.find(" (")
        while opening > 0:
            forms.add(told_apart(wanted[:opening], wanted[opening + 2 : -1]).casefold())
            opening = wanted.find(" (", opening + 1)
    return forms


def repeated_headings(sections: Sequence[ParsedSection]) -> list[tuple[ParsedSection, ParsedSection, str, str]]:
    """Each paper section whose name an earlier paper section has: (that one, it, their labels), the names approvals
    and decisions tell them apart by."""
    taken: set[str] = set()
    labels = section_labels([(section.name, slugify(section.name, taken), section.level) for section in sections])
    first: dict[str, tuple[ParsedSection, str]] = {}
    repeated = []
    for section, label in zip(sections, labels, strict=True):
        if section.kind == "text":
            continue
        earlier = first.setdefault(title_key(section.name), (section, label))
        if earlier[0] is not section:
            repeated.append((earlier[0], section, earlier[1], label))
    return repeated


def match_section(wanted: str, sections: Sequence[tuple[str, str]], labels: Sequence[str] | None = None) -> int | None:
    """The index of the one section (name, slug) that `wanted` means, or None when it means none or several.
    `labels` (section_labels, one a section) are names that mean one section each."""
    return SectionMatcher(sections, labels).match(wanted)


def unnamed_sections(
    names: Iterable[str], sections: Sequence[tuple[str, str]], labels: Sequence[str] | None = None
) -> list[str]:
    """The sections (name, slug) none of `names` means, as match_section reads a name, by their labels when given:
    those of the list that a [discord.section_emojis] of these names offers no reaction for."""
    matcher = SectionMatcher(sections, labels)
    named = {matcher.match(name) for name in names}
    shown = labels or [name for name, _ in sections]
    return [label for index, label in enumerate(shown) if index not in named]


class SectionMatcher:
    """match_section for many names against the same sections: what it reads of each section is worked out once (a
    page of 200 cards with three suggestions each asks 600 times)."""

    def __init__(self, sections: Sequence[tuple[str, str]], labels: Sequence[str] | None = None) -> None:
        self._sections = sections
        self._labels = labels
        self._names = [title_key(name) for name, _ in sections]

    @cached_property
    def _keys(self) -> list[tuple[str, str]]:  # read only when no slug or label is named exactly
        return [(key, title_key(slug)) for key, (_, slug) in zip(self._names, self._sections, strict=True)]

    @cached_property
    def _words(self) -> list[frozenset[str]]:
        return [section_words(name) for name, _ in self._sections]

    def match(self, wanted: str) -> int | None:
        """The index of the one section that `wanted` means, or None."""
        found = self.fitting(wanted)
        return found[0] if len(found) == 1 else None

    def fitting(self, wanted: str) -> list[int]:
        """The indexes of the sections `wanted` fits at the first step that finds any: one when it means that
        section, several when it fits them equally ("activation" beside "Activation Patching" and "Activation
        Steering"), none when it names no section."""
        sections, labels = self._sections, self._labels
        # A slug is one section's, but a name the list repeats means none of them, even where it reads as the first's
        # slug.
        named = title_key(wanted)
        repeated = sum(name == named for name in self._names) > 1
        forms = _label_forms(wanted.strip())
        exact = [
            index
            for index, (_, slug) in enumerate(sections)
            if (labels[index] if labels else slug).casefold() in forms
            or (not repeated and wanted.strip().casefold() == slug.casefold())
        ]
        if len(exact) == 1:
            return exact
        wanted = repair_mojibake(wanted)
        key, words = title_key(wanted), section_words(wanted)
        if not key or not words:
            return []
        steps = (
            [key in pair for pair in self._keys],
            [words == theirs for theirs in self._words],
            [words <= theirs for theirs in self._words],
        )
        for fits in steps:
            found = [index for index, fit in enumerate(fits) if fit]
            if found:
                return found
        return []
