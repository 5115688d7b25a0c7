"""Whether a host is this machine for a password sent in plain text: localhost, a loopback address, or a name whose
every address is loopback; and the address the check accepted, which the send connects to (one resolution: a name
whose answer changes after the check cannot take the password to another machine), within the SMTP timeout."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

from digest.config.lookups import LookupTimeoutError, resolved
from digest.config.values import host_on_this_machine


@dataclass(frozen=True)
class LoopbackCheck:
    """One resolution of a host. `address`: the first of its addresses when every one is loopback (where a password in
    plain text may go), else None; `resolves`: the name has an address here."""

    resolves: bool
    address: str | None


def loopback_check(host: str, seconds: float, stopped: Callable[[], bool] | None = None) -> LoopbackCheck:
    """The host resolved once, and whether every address it names is loopback. 0.0.0.0 is no loopback address: it is
    every address of whichever machine listens. localhost is this machine whatever a resolver says (RFC 6761): its
    first loopback address, or 127.0.0.1. A lookup with no answer in `seconds` raises LookupTimeoutError; a stop,
    LookupStoppedError."""
    if host_on_this_machine(host) and not _is_address(host):
        try:
            named = _resolved(host, seconds, stopped) or []
        except LookupTimeoutError:  # a resolver's silence changes no more than its answer: localhost is this machine
            named = []
        return LoopbackCheck(resolves=True, address=next(filter(_loopback, named), "127.0.0.1"))
    addresses = [host] if _is_address(host) else _resolved(host, seconds, stopped)
    if not addresses:
        return LoopbackCheck(resolves=False, address=None)
    return LoopbackCheck(resolves=True, address=addresses[0] if all(map(_loopback, addresses)) else None)


def _resolved(host: str, seconds: float, stopped: Callable[[], bool] | None) -> list[str] | None:
    """The host's addresses, in the resolver's order; None when the name does not resolve here."""
    try:
        found = resolved(host, None, seconds, stopped)
    except (OSError, UnicodeError):  # gaierror is an OSError; a label too long for IDNA is a UnicodeError
        return None
    return [str(info[4][0]).partition("%")[0] for info in found]  # an IPv6 scope ("%lo") is no part of it


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _loopback(address: str) -> bool:
    return ipaddress.ip_address(address).is_loopback
