"""The recipients an SMTP server refused, said in one line for the log and the edition's record. Pure: a reply that
many readers got (a connection closed mid-list leaves hundreds owed) names a few of them and counts the others, so
the log does not carry the readers' addresses."""

from __future__ import annotations

NAMED = 3  # recipients named for one reply; more are counted


def summarised(replies: dict[str, str]) -> str:
    """'address: reply; ...' in address order, a reply given to more than NAMED recipients as 'a, b, c and 197 more:
    reply'."""
    by_reply: dict[str, list[str]] = {}
    for address, reply in sorted(replies.items()):
        by_reply.setdefault(reply, []).append(address)
    many = {reply: addresses for reply, addresses in by_reply.items() if len(addresses) > NAMED}
    parts = [f"{address}: {reply}" for address, reply in sorted(replies.items()) if reply not in many]
    parts += [f"{', '.join(found[:NAMED])} and {len(found) - NAMED} more: {reply}" for reply, found in many.items()]
    return "; ".join(parts)
