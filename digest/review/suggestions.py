"""A candidate's suggested sections as the list has them now: the model named them when it judged the paper, and the
list may have renamed, taken out or repeated a heading since. Loads no templates (`digest candidates` reads it)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy.orm import Session

from digest.awesome.labelled import labelled_sections
from digest.awesome.sectionnames import SectionMatcher
from digest.review.rules import SuggestedSection
from digest.storage.models import Section
from digest.titles import title_key


def suggestions_now(session: Session, names: Iterable[str | None]) -> dict[str, SuggestedSection]:
    """Each suggested section of `names` as the list has it now, by name: the section an approval into it lands in
    (resolved as `digest approve --section` resolves a name), or that it means none, or several that share its name.
    The list's sections are read once for all of them."""
    return suggestions_among(labelled_sections(session), names)


def suggestions_among(
    labelled: Sequence[tuple[Section, str]], names: Iterable[str | None]
) -> dict[str, SuggestedSection]:
    """`suggestions_now` over the list's sections read already (`labelled_sections`): a page that shows them too
    reads them once."""
    labels = [label for _, label in labelled]
    matcher = SectionMatcher([(section.name, section.slug) for section, _ in labelled], labels)
    keys = [title_key(section.name) for section, _ in labelled]
    found: dict[str, SuggestedSection] = {}
    for name in names:
        if not name or name in found:
            continue
        index = matcher.match(name)
        sharing = [label for label, key in zip(labels, keys, strict=True) if key == title_key(name)]
        label = None if index is None else labels[index]
        found[name] = SuggestedSection(name, label, tuple(sharing) if label is None and len(sharing) > 1 else ())
    return found
