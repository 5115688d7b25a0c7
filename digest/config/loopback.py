"""Whether a host is this machine for a password sent in plain text: localhost, a loopback address, or a name whose
every address is loopback (resolved where it is asked, as the send resolves it)."""

from __future__ import annotations

import ipaddress
import socket

from digest.config.values import host_on_this_machine


def host_is_loopback(host: str) -> bool | None:
    """True when every address the host names is loopback; None when the name does not resolve here. 0.0.0.0 is no
    loopback address: it is every address of whichever machine listens."""
    if host_on_this_machine(host):
        return True
    try:
        found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):  # gaierror is an OSError; a label too long for IDNA is a UnicodeError
        return None
    addresses = {str(info[4][0]).partition("%")[0] for info in found}  # an IPv6 scope ("%lo") is no part of it
    return bool(addresses) and all(ipaddress.ip_address(address).is_loopback for address in addresses)
