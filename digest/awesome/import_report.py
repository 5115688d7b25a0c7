"""What an import of the list's Markdown reports: the entries added, moved, removed and edited, and a heading renamed
with all its entries said once, as a rename, not as a move of each entry, and the links within the list it leaves
reaching no heading and the other lint errors the file brings (those the list had already left unsaid). Pure."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from digest.awesome.lint import ERROR, Finding


@dataclass
class ImportReport:
    entries_total: int
    sections_total: int  # the sections holding entries, as the list page counts them (not text-only headings)
    added: list[dict[str, Any]] = field(default_factory=list)
    moved: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    edited: list[dict[str, Any]] = field(default_factory=list)  # kept in place, their lines changed
    changed: bool = False
    papers_total: int = 0
    arxiv_ids_total: int = 0
    renamed: list[dict[str, Any]] = field(default_factory=list)  # headings renamed, all their entries kept: `renames`
    broken_links: list[dict[str, Any]] = field(default_factory=list)  # `links_broken`, as {"line", "link", "message"}
    lint_errors: list[dict[str, Any]] = field(default_factory=list)  # `errors_brought`, as {"line", "code", "message"}


# `digest list import` removes more entries than this only with --force: importing the wrong file once removed 71.
REMOVAL_LIMIT = 5


def removes_too_many(report: ImportReport) -> bool:
    """Whether the import removes more entries (moves not counted) than an edit by hand plausibly does."""
    return len(report.removed) > REMOVAL_LIMIT


def renames(
    moved: list[dict[str, Any]], left: list[dict[str, Any]], held: Collection[str], listed: Collection[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(the moves that are not part of a rename, the renamed headings as {"from", "to", "entries"}). A heading the
    list no longer has, every entry of which moved under one heading that held none before, was renamed. `left`: each
    entry that left its heading, moved ones too (all of a heading the list no longer has); `held`: the headings that
    held entries before the import; `listed`: the list's headings now."""
    leaving = Counter(item["section"] for item in left)
    pairs = Counter((item["from"], item["to"]) for item in moved)
    renamed = [
        {"from": old, "to": new, "entries": count}
        for (old, new), count in pairs.items()
        if old not in listed and new not in held and count == leaving[old]
    ]
    whole = {(item["from"], item["to"]) for item in renamed}
    return [item for item in moved if (item["from"], item["to"]) not in whole], renamed


def _broken_link(finding: Finding) -> str:
    """The link a broken-anchor finding names ("link #-steering reaches no heading; ...")."""
    return finding.message.removeprefix("link ").partition(" reaches no heading")[0]


def links_broken(before: list[Finding], after: list[Finding]) -> list[dict[str, Any]]:
    """The links within the list that lint (`after`, the imported file's findings) finds reaching no heading and did
    not find so in the list held before the import (`before`): a heading renamed by hand, its table of contents link
    left as it was. As {"line" (the imported file's), "link", "message" (lint's, with the fix)}."""
    known = {_broken_link(finding) for finding in before if finding.code == "broken-anchor"}
    return [
        {"line": finding.line, "link": _broken_link(finding), "message": finding.message}
        for finding in after
        if finding.code == "broken-anchor" and _broken_link(finding) not in known
    ]


_LINE = re.compile(r"\bline \d+\b")


def _known_as(finding: Finding) -> tuple[str, str]:
    """A finding told apart from others wherever its lines moved ('already in Blog (line 70)': the line left out)."""
    return finding.code, _LINE.sub("line", finding.message)


def errors_brought(before: list[Finding], after: list[Finding]) -> list[dict[str, Any]]:
    """The lint errors of the imported file (`after`) that the list held before the import (`before`) did not have,
    each as often as it had it: an entry's badge edited to link another paper. Links reaching no heading are
    `links_broken`'s. As {"line" (the imported file's), "code", "message"}."""
    known = Counter(_known_as(finding) for finding in before if finding.severity == ERROR)
    brought = []
    for finding in after:
        if finding.severity != ERROR or finding.code == "broken-anchor":
            continue
        if known[_known_as(finding)] > 0:
            known[_known_as(finding)] -= 1
            continue
        brought.append({"line": finding.line, "code": finding.code, "message": finding.message})
    return brought
