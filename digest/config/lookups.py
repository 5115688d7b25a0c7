"""Name lookups with a deadline. The system resolver (getaddrinfo, getfqdn) takes no timeout, and a slow or dead one
holds its caller some 10 s a nameserver; each lookup here runs in a thread of its own that is waited for no longer
than the deadline, nor past a stop."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import TypeVar

Found = TypeVar("Found")
AddressInfo = tuple[
    socket.AddressFamily, socket.SocketKind, int, str, tuple[str, int] | tuple[str, int, int, int] | tuple[int, bytes]
]

# How often a wait for a lookup reads the stop: a stop ends the wait within this.
STOP_READ_EVERY = 0.05


class LookupTimeoutError(Exception):
    """A lookup had no answer within its deadline; one line saying what was looked up and what to check."""


class LookupStoppedError(Exception):
    """A stop came while a lookup was waited for."""


def within(
    seconds: float, lookup: Callable[[], Found], unanswered: str, stopped: Callable[[], bool] | None = None
) -> Found:
    """What `lookup` finds (or raises), waited for at most `seconds`; then LookupTimeoutError(`unanswered`). A daemon
    thread: one left waiting on the resolver holds neither the caller nor the process's exit."""
    answer: list[Found] = []
    failure: list[BaseException] = []
    done = threading.Event()

    def run() -> None:
        try:
            answer.append(lookup())
        except BaseException as exc:  # handed to the caller, raised in its thread
            failure.append(exc)
        finally:
            done.set()

    threading.Thread(target=run, name="digest-lookup", daemon=True).start()
    deadline = time.monotonic() + seconds
    while not done.wait(max(0.0, min(STOP_READ_EVERY, deadline - time.monotonic()))):
        if stopped is not None and stopped():
            raise LookupStoppedError("stopped while resolving a name")
        if time.monotonic() >= deadline:
            raise LookupTimeoutError(unanswered)
    if failure:
        raise failure[0]
    return answer[0]


def host_unanswered(host: str, seconds: float) -> str:
    """The line for a mail server's name with no answer in time."""
    return (
        f"cannot resolve {host} within {seconds:g} s: this machine's DNS resolver did not answer (a name that does not"
        " exist is answered at once): check its nameservers (/etc/resolv.conf)"
    )


def resolved(
    host: str, port: int | None, seconds: float, stopped: Callable[[], bool] | None = None
) -> list[AddressInfo]:
    """getaddrinfo's answer for a TCP connection to the host, looked up within `seconds`; gaierror (an OSError) when
    the name has no address."""
    found = within(
        seconds,
        lambda: socket.getaddrinfo(host, port, type=socket.SOCK_STREAM),
        host_unanswered(host, seconds),
        stopped,
    )
    return list(found)
