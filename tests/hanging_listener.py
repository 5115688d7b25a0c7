"""A port of 127.0.0.1 whose connects hang: a listener whose queue of connections is full and that accepts none, so
Linux drops every further connect's SYN and the connect waits, as for a host that drops packets (no network, a
firewall); and whether a connect waits so."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def unanswered_connects(port: int = 0) -> Iterator[int]:
    """127.0.0.1:`port` (a free one when 0) listens with a queue of one connection (backlog 0), filled at once and never
    accepted, for the block; yields the port."""
    listener = socket.create_server(("127.0.0.1", port), backlog=0)
    port = listener.getsockname()[1]
    filler = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        yield port
    finally:
        filler.close()
        listener.close()


def connecting(port: int, timeout: float) -> bool:
    """Whether, within `timeout`, some socket of this machine waits for its connect to 127.0.0.1:`port` to be answered
    (SYN-SENT in /proc/net/tcp)."""
    remote = f"0100007F:{port:04X}"
    ends = time.monotonic() + timeout
    while time.monotonic() < ends:
        with open("/proc/net/tcp", encoding="ascii") as table:
            if any(row.split()[2:4] == [remote, "02"] for row in list(table)[1:]):
                return True
        time.sleep(0.05)
    return False
