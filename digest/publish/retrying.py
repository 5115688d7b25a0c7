"""What a publish that failed for a passing reason (the repository's branch locked, a fault on its server, a slow or
stalled link, a push beaten every time) says happens next: the service tries again with its back-off; a publish a
maintainer ran by hand is tried again by nothing, so its line names the command to run again."""

from __future__ import annotations


def tried_again(by_hand: str) -> str:
    """The end of such a line: `by_hand`, the command that ran the publish by hand ("" for the service's own)."""
    if by_hand:
        return f"run `{by_hand}` again later (a running service tries again by itself, with its back-off)"
    return "trying again later"
