"""Links written by reference ('[Title][sae]', '[Title][]' or '[Title]' over a '[sae]: https://...' line elsewhere in
the list), read as the inline links GitHub shows them as, so an entry linked so is the list's paper. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from digest.awesome.blocks import shown_text

# A link reference definition on a line of its own: '[sae]: https://...', its target bare or in <...>, and a hover
# title after it.
_DEFINITION = re.compile(
    r"^ {0,3}\[(?P<label>(?:[^\[\]\\]|\\.)+)\]:[ \t]*(?:<(?P<angled>[^<>\n]*)>|(?P<bare>\S+))"
    r"""(?:[ \t]+(?:"[^"\n]*"|'[^'\n]*'|\([^()\n]*\)))?[ \t]*$"""
)
# A link by reference: full '[text][label]', collapsed '[text][]', or shortcut '[text]' (not an inline link's
# '[text](', a definition's '[label]:' or an image's '![alt]').
_REFERENCE = re.compile(r"(?<![\\!\]])\[(?P<text>(?:[^\[\]\\]|\\.)+)\](?:\[(?P<label>(?:[^\[\]\\]|\\.)*)\]|(?![(:\[]))")


def _label_key(label: str) -> str:
    """Labels match without case and with any run of white space as one space, as in CommonMark."""
    return " ".join(label.split()).casefold()


def definitions(lines: Sequence[str], hidden: Sequence[bool]) -> dict[str, str]:
    """The targets of the list's link reference definitions by their labels' keys (the first of a label wins)."""
    found: dict[str, str] = {}
    for line, is_hidden in zip(lines, hidden, strict=True):
        if is_hidden or "]:" not in line:
            continue
        defined = _DEFINITION.match(line.rstrip("\r\n"))
        if defined:
            found.setdefault(_label_key(defined["label"]), defined["angled"] or defined["bare"] or "")
    return found


def with_inline_links(lines: list[str], hidden: Sequence[bool], targets: Mapping[str, str] | None = None) -> list[str]:
    """The lines with each link by reference to a definition written as the inline link it stands for ('[Title](url)'),
    to be read (never written: the list keeps its own text); the lines themselves when the list defines no reference.
    `targets`: the whole list's definitions, where `lines` are a piece of it (a section's rows); else their own."""
    targets = definitions(lines, hidden) if targets is None else targets
    if not targets:
        return lines

    def inline(link: re.Match[str]) -> str:
        target = targets.get(_label_key(link["label"] or link["text"]))
        if target is None:
            return link[0]
        written = f"<{target}>" if any(ch in target for ch in " ()") else target
        return f"[{link['text']}]({written})"

    return [
        line if is_hidden or "[" not in line else _REFERENCE.sub(inline, line)
        for line, is_hidden in zip(lines, hidden, strict=True)
    ]


def undefined_references(lines: Sequence[str], hidden: Sequence[bool]) -> list[tuple[int, str, str]]:
    """(line number, the link as written, its label) of each link by reference, full or collapsed ('[Title][sae]',
    '[Title][]'), to a label no definition of the list gives ('[sae]: https://...'): GitHub shows it as text. A shortcut
    '[text]' alone is plain text as often as not ('[2025-06] News'), and is not one."""
    targets = definitions(lines, hidden)
    found: list[tuple[int, str, str]] = []
    for number, (line, is_hidden) in enumerate(zip(lines, hidden, strict=True), start=1):
        if is_hidden or "][" not in line:
            continue
        for link in _REFERENCE.finditer(shown_text(line)):
            label = link["label"] or link["text"]
            if link["label"] is not None and _label_key(label) not in targets:
                found.append((number, link[0], label))
    return found
