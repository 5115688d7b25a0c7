"""The notice in the review channel of how many candidates wait on the review page (the channel shows the best few):
its wording, and how to tell the bot's earlier notices among the channel's messages. Pure."""

from __future__ import annotations

import re

# What each notice starts with, whatever its count and the address of the review page then.
_NOTICE = re.compile(r"\d+ more candidates? waits? on the review page: ")


def waiting_notice(waiting: int, base_url: str) -> str:
    noun = "candidate waits" if waiting == 1 else "candidates wait"
    return f"{waiting} more {noun} on the review page: {review_page(base_url)}"


def is_waiting_notice(text: str) -> bool:
    """Whether a message's text is a `waiting_notice` (the bot's own messages are read: no one else's is taken down)."""
    return _NOTICE.match(text) is not None


def review_page(base_url: str) -> str:
    """Where the candidates the channel does not show wait for a maintainer."""
    return f"{base_url.rstrip('/')}/review"
