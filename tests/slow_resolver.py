"""A resolver that does not answer, at the seam the system's is reached by (socket.getaddrinfo, socket.getfqdn): a
lookup of a name waits as glibc's does on a dead nameserver, then fails (or, for this machine's name, gives the bare
host name, as getfqdn does when its lookup fails). An address is answered at once: it needs no nameserver."""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

# glibc's default: five seconds for each of the attempts and nameservers in resolv.conf; here two nameservers.
DEAD_RESOLVER_SECONDS = 20.0


class SlowResolver:
    """Counts the lookups of names; `asked` is set at the first; `released` ends every wait (at the test's end)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.asked = threading.Event()
        self.released = threading.Event()
        self.names: list[str] = []


def _is_address(host: object) -> bool:
    try:
        ipaddress.ip_address(str(host))
    except ValueError:
        return False
    return True


@contextmanager
def slow_resolver(
    monkeypatch: pytest.MonkeyPatch, seconds: float = DEAD_RESOLVER_SECONDS, *, own_name: bool = True
) -> Iterator[SlowResolver]:
    """While the block runs, every lookup of a name (and, with `own_name`, of this machine's own) waits `seconds`."""
    resolver = SlowResolver(seconds)
    real_getaddrinfo, real_getfqdn = socket.getaddrinfo, socket.getfqdn

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is None or _is_address(host):
            return real_getaddrinfo(host, *args, **kwargs)
        resolver.names.append(str(host))
        resolver.asked.set()
        resolver.released.wait(resolver.seconds)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    def getfqdn(name: str = "") -> str:
        if name and _is_address(name):
            return real_getfqdn(name)
        resolver.names.append(name or "(this machine)")
        resolver.asked.set()
        resolver.released.wait(resolver.seconds)
        return name or socket.gethostname()

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    if own_name:
        monkeypatch.setattr(socket, "getfqdn", getfqdn)
    try:
        yield resolver
    finally:
        resolver.released.set()
