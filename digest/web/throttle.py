"""The sign-in throttle: how many wrong admin tokens one client address may present before it must wait.

Pure: the caller passes the time in and does the talking (HTTP status, log line). Memory is bounded: stale
addresses are dropped and at most `max_addresses` are tracked, more only while that many are locked out (a lock is
never dropped early).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class ThrottleRule:
    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    max_addresses: int = 10_000


@dataclass
class _Record:
    failures: list[datetime] = field(default_factory=list)
    locked_until: datetime | None = None

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def stale(self, now: datetime, window: timedelta) -> bool:
        return not self.is_locked(now) and all(now - moment >= window for moment in self.failures)


class SignInThrottle:
    """Counts failed sign-ins per address. `max_failures` within `window` lock the address for `window`."""

    def __init__(self, rule: ThrottleRule | None = None) -> None:
        self.rule = rule or ThrottleRule()
        # Insertion order is the order of last failure: the first key is the one to evict when full.
        self._records: dict[str, _Record] = {}

    def __len__(self) -> int:
        return len(self._records)

    def retry_after(self, address: str, now: datetime) -> timedelta | None:
        """How long `address` must still wait, or None when it may try a token."""
        record = self._records.get(address)
        if record is None or record.locked_until is None:
            return None
        if now < record.locked_until:
            return record.locked_until - now
        del self._records[address]  # the lock has passed: a fresh start
        return None

    def record_failure(self, address: str, now: datetime) -> bool:
        """Counts one wrong token; True when this failure locks the address out."""
        record = self._records.pop(address, None) or _Record()
        record.failures = [moment for moment in record.failures if now - moment < self.rule.window]
        record.failures.append(now)
        locked = len(record.failures) >= self.rule.max_failures
        if locked:
            record.failures = []
            record.locked_until = now + self.rule.window
        self._make_room(now)
        self._records[address] = record
        return locked

    def clear(self, address: str) -> None:
        """A successful sign-in forgets the address's earlier failures."""
        self._records.pop(address, None)

    def _make_room(self, now: datetime) -> None:
        if len(self._records) < self.rule.max_addresses:
            return
        for address in [key for key, record in self._records.items() if record.stale(now, self.rule.window)]:
            del self._records[address]
        # Still full of live records: the least recently failing address that is only counting is forgotten first.
        # A lock-out is never forgotten, or a flood of fresh addresses would lift it; locks end after `window`,
        # and each costs `max_failures` wrong tokens, so the locked records stay bounded by the guessing rate.
        counting = (key for key, record in self._records.items() if not record.is_locked(now))
        excess = len(self._records) - self.rule.max_addresses + 1
        for address in [key for key, _ in zip(counting, range(excess), strict=False)]:
            del self._records[address]


@lru_cache(maxsize=8)
def trusted_networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    """The configured proxies as networks (settings has checked that each one parses)."""
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _is_trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def _counted_as(address: str) -> str:
    """The key an address counts under: its canonical form, an IPv4 address written as IPv6 (`::ffff:…`) as IPv4, and
    an IPv6 address as its /64, the block one subscriber is given (else each of its 2^64 addresses would start
    afresh). Anything that is not an IP address (a test client's peer) stays as it is."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def client_address(peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[Network]) -> str:
    """The address a sign-in or a suggestion counts against (`_counted_as`). The connection's peer, unless the peer is
    a trusted reverse proxy: then the nearest X-Forwarded-For hop that is not a trusted proxy itself. Each proxy
    appends the address it saw, so only the hops from the right are vouched for; anything a client wrote further left
    is ignored. `forwarded_for` is every X-Forwarded-For line of the request, in order: a proxy may add a line of its
    own rather than extend the client's, and the lines together are one list (RFC 9110). A hop that is not an IP
    address (a proxy that does not append) falls back to the peer."""
    return _counted_as(_nearest_untrusted(peer or "unknown", forwarded_for, trusted))


def _nearest_untrusted(peer: str, forwarded_for: Sequence[str], trusted: Sequence[Network]) -> str:
    if not trusted or not forwarded_for or not _is_trusted(peer, trusted):
        return peer
    for hop in reversed([part.strip() for part in ",".join(forwarded_for).split(",")]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer
        if not _is_trusted(hop, trusted):
            return hop
    return peer
