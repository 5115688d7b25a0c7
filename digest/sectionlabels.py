"""What each of the list's sections is called where decisions name it: its heading, told apart from another heading of
that name by the heading above it ("Probing (2024)"). A leaf: the list's store, review and the relevance model's
sections all name a section so, and a decision's recorded section is this label.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from digest.titles import title_key

# A label is what a decision records of its section (a decision's and a candidate's section, String(200)): PostgreSQL
# refused an approval into a repeated heading of 150 characters under one of 60, which SQLite recorded.
LABEL_MAX = 200


def section_labels(sections: Sequence[tuple[str, str, int]]) -> list[str]:
    """What to call each section (name, slug, heading level) so that no two are called alike: its name, and for a name
    the list gives more than one section, the name with the heading it stands under ("Probing (2024)"), else with
    its slug ("Probing (probing-2)") where that too calls two alike, case aside."""
    repeated = Counter(title_key(name) for name, _, _ in sections)
    labels: list[str] = []
    for index, (name, slug, level) in enumerate(sections):
        if repeated[title_key(name)] < 2:
            labels.append(name)
            continue
        parent = next((above for above, _, up in reversed(sections[:index]) if up < level), None)
        labels.append(told_apart(name, parent or slug))
    # A label is named without case ('papers (awesome x)'): two alike but for case would each mean both, and neither.
    taken = Counter(label.casefold() for label in labels)
    return [
        label if taken[label.casefold()] < 2 else told_apart(name, slug)
        for label, (name, slug, _) in zip(labels, sections, strict=True)
    ]


def told_apart(name: str, told_by: str) -> str:
    """'name (told_by)' in at most LABEL_MAX characters: past them the name is cut ('…'), and a long `told_by` keeps
    its end (where a slug's number is)."""
    label = f"{name} ({told_by})"
    if len(label) <= LABEL_MAX:
        return label
    half = LABEL_MAX // 2
    told_by = told_by if len(told_by) <= half else "…" + told_by[-(half - 1) :]
    suffix = f" ({told_by})"
    room = LABEL_MAX - len(suffix)
    return (name if len(name) <= room else name[: room - 1].rstrip() + "…") + suffix
