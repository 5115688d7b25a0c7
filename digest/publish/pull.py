"""Pull-request mode's rules, pure: the branch to push to, where the
service's pull request stands, and its title and description. No git, no HTTP, no database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from digest.awesome.entry import escape_text
from digest.publish.references import inert_references
from digest.publish.rules import Change, one_line, paper_entries
from digest.titles import arxiv_abs_url
from digest.vocab import decided_by

BRANCH_PREFIX = "awesome-digest/updates"
_BRANCH_NUMBER = re.compile(r"-(\d+)$")
# '@' would mention a user and '#' link an issue ("closes #1" would even close it on merge): a zero-width joiner
# after each keeps the text readable and inert.
_REFERENCE = re.compile(r"([@#])")
_SAFE_ID = re.compile(r"[A-Za-z0-9.\-/]+")


class PullStanding(StrEnum):
    NONE = "none"  # no pull request on the branch (yet)
    OPEN = "open"
    MERGED = "merged"
    CLOSED = "closed"  # closed without merging


@dataclass(frozen=True)
class Pull:
    standing: PullStanding
    number: int | None


def next_branch(previous: str | None) -> str:
    """A fresh branch for a new pull request: updates-1, then updates-2 after that one was merged or closed, so the
    service never has to force-push a branch that maintainers may still look at."""
    if previous is None:
        return f"{BRANCH_PREFIX}-1"
    found = _BRANCH_NUMBER.search(previous)
    if found is None:
        return f"{previous}-2"
    return f"{previous[: found.start()]}-{int(found.group(1)) + 1}"


def _head_ref(pull: Mapping[str, Any]) -> object:
    head = pull.get("head")
    return head.get("ref") if isinstance(head, Mapping) else None


def pull_of(pulls: Sequence[Mapping[str, Any]], branch: str) -> Pull:
    """Where the newest pull request from `branch` stands, from the forge's list (any state). The list is filtered
    here too: a forge that ignores the `head` query (older Gitea) answers with every pull request."""
    numbered = [p for p in pulls if isinstance(p.get("number"), int) and _head_ref(p) == branch]
    if not numbered:
        return Pull(PullStanding.NONE, None)
    newest = max(numbered, key=lambda p: int(p["number"]))
    if newest.get("state") == "open":
        return Pull(PullStanding.OPEN, int(newest["number"]))
    merged = bool(newest.get("merged_at")) or bool(newest.get("merged"))
    return Pull(PullStanding.MERGED if merged else PullStanding.CLOSED, int(newest["number"]))


def differing_ids(before: str, after: str) -> set[str]:
    """Papers with more or fewer entries in a section of one text than of the other (however each entry links its
    paper): what a pull request adds, moves or removes, a paper the list already holds in another section too."""
    listed_before, listed_after = paper_entries(before), paper_entries(after)
    differing = {listed for listed in listed_before | listed_after if listed_before[listed] != listed_after[listed]}
    return {arxiv_id for arxiv_id, _section in differing}


def inert_markdown(text: str, limit: int = 160) -> str:
    """Text from arXiv or a reviewer made inert in a pull request's description: one line without control or format
    characters, Markdown syntax escaped, no @mention, no #reference (each "#" and "@", not only those before a
    word: a "#" escaped or not), no GH-12 and no link to an issue."""
    return inert_references(_REFERENCE.sub("\\1\u200d", escape_text(one_line(text, limit))))


def _count(changes: Sequence[Change], verb: str) -> int:
    return sum(1 for c in changes if c.verb == verb)


def pull_title(found: Sequence[Change], put_back: int = 0) -> str:
    """'Add 2 papers, remove 1 from the list': no paper's own title, so nothing hostile reaches it. Papers `put_back`
    (after a force-push of the target) are added by the pull request as much as the approved ones."""
    parts: list[str] = []
    for verb in ("Add", "Move", "Remove"):
        count = _count(found, verb) + (put_back if verb == "Add" else 0)
        if count:
            noun = "paper" if count == 1 else "papers"
            parts.append(f"{verb.lower() if parts else verb} {count} {noun}")
    return (", ".join(parts) + " (awesome-digest)") if parts else "Update the list (awesome-digest)"


def pull_body(found: Sequence[Change], path: str, put_back: Sequence[tuple[str, str, str]] = ()) -> str:
    """The description: each paper with its arXiv link, its section and who approved it; then each paper `put_back`
    ((arXiv ID, title, section): published before, dropped by a force-push of the target); all of it inert."""
    lines = [f"Papers approved in awesome-digest, for `{inert_markdown(path, 200)}`:", ""]
    for change in found:
        where = f" in *{inert_markdown(change.section, 80)}*" if change.section else ""
        verb = {"Add": "add", "Move": "move", "Remove": "remove"}.get(change.verb, "change")
        approved = "approved" if change.verb != "Remove" else "removed"
        title = inert_markdown(change.title)
        linked = f"[{title}]({arxiv_abs_url(change.arxiv_id)})" if _SAFE_ID.fullmatch(change.arxiv_id) else title
        lines.append(
            f"- {verb} {linked}{where} ({approved} by {inert_markdown(decided_by(change.actor, change.channel), 100)})"
        )
    for arxiv_id, title, section in put_back:
        shown = inert_markdown(title)
        linked = f"[{shown}]({arxiv_abs_url(arxiv_id)})" if _SAFE_ID.fullmatch(arxiv_id) else shown
        lines.append(
            f"- put back {linked} in *{inert_markdown(section, 80)}* (published before; the target's history, "
            "rewritten, had dropped it)"
        )
    if not found and not put_back:
        lines.append("- the list's Markdown regenerated")
    lines += ["", "This pull request is updated as more papers are approved; merge it or close it at any time."]
    return "\n".join(lines) + "\n"
