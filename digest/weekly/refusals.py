"""The recipients an SMTP server refused, said in one line for the log and the edition's record. Pure: a reply that
many readers got (a connection closed mid-list leaves hundreds owed) names a few of them and counts the others, so
the log does not carry the readers' addresses."""

from __future__ import annotations

import re
from collections.abc import Mapping

from digest.sizes import NAMED, few_named

# The reply a recipient the send left unsent is recorded with (never refused by the server, owed the edition still):
# a 4xx, so it is retried; its reason opens with UNSENT, so it is said "not yet sent", not "refused".
UNSENT = b"4.3.0 not sent"
CLOSED = (451, UNSENT + b": the server closed the connection")  # a recipient never asked about
STOPPED = (451, UNSENT + b": the send was stopped")  # a batch a stop left unsent


def left_unsent(reply: tuple[int, bytes]) -> bool:
    """Whether the recipient was left unsent by the send (stopped, or the connection lost), not refused."""
    return reply[1].startswith(UNSENT)


def summarised(replies: dict[str, str], echoed: Mapping[str, str] | None = None) -> str:
    """'address: reply; ...' in address order, a reply given to more than NAMED recipients as 'a, b, c and 197 more:
    reply'. A reply naming its own recipient ('550 5.1.1 <a@x>: no such user', as most servers word it) is the same
    reply for each: its address is said '…' (also as `echoed` spells it, the form sent to the server)."""
    by_reply: dict[str, list[str]] = {}
    for address, reply in sorted(replies.items()):
        by_reply.setdefault(_unnamed(reply, address, (echoed or {}).get(address, address)), []).append(address)
    many = {reply: addresses for reply, addresses in by_reply.items() if len(addresses) > NAMED}
    grouped = {address for addresses in many.values() for address in addresses}
    parts = [f"{address}: {reply}" for address, reply in sorted(replies.items()) if address not in grouped]
    parts += [f"{few_named(found)}: {reply}" for reply, found in many.items()]
    return "; ".join(parts)


def _unnamed(reply: str, *addresses: str) -> str:
    """The reply with its recipient's address (in any letter case) said '…'."""
    for address in {address for address in addresses if address}:
        reply = re.sub(re.escape(address), "…", reply, flags=re.IGNORECASE)
    return reply


# An address as a server's reply or a refusal's line carries it (bare, or in <…>).
_ADDRESS = re.compile(r"[^\s<>()\[\]:;,'\"]+@[^\s<>()\[\]:;,'\"]+")


def without_addresses(line: str) -> str:
    """The line with every address said '…': what an edition done with keeps of its refusals (how many is counted on
    its record), no reader's address."""
    return _ADDRESS.sub("…", line)
