"""The hosts settings name: one to listen on (`[web] host`, `digest run --host`) and a server's (`[smtp] host`), each
refused blank: a blank one was every interface, or email off, unsaid."""

from __future__ import annotations

import ipaddress
import re

from digest.config.problems import problem

# A host name (RFC 1123): labels of letters, digits and inner hyphens, 63 at most each, dot-separated.
_HOST_NAME = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?"
)


def listening_host_problem(host: str) -> str | None:
    """Why `host` is no address to listen on (an IP address or a host name), or None. '999.1.1.1' or 'foo bar' got as
    far as bind(), which said only "Name or service not known" and exited as a failure, not as a wrong setting."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        named = len(host) <= 253 and _HOST_NAME.fullmatch(host) is not None
        if named and not host.rstrip(".").rpartition(".")[2].isdigit():  # digits alone: a mistyped IPv4 address
            return None
        shown = repr(host) if len(host) <= 40 else repr(host[:40]) + "…"
        return f"{shown} is no address to listen on: give an IP address (as 127.0.0.1, 0.0.0.0 or ::1) or a host name"
    return None


def listening_host(host: str) -> str:
    """A host to listen on. A blank one listened on every interface, IPv6's too, where the user who left it blank
    meant the default: refused, as `digest run --host ""` is."""
    if not host:
        raise problem('is empty: leave it out for 127.0.0.1 (this machine only), or write "0.0.0.0" to serve others')
    problem_line = listening_host_problem(host)
    if problem_line is not None:
        raise problem(problem_line)
    return host


def named_host(host: str) -> str:
    """A server's host (the mail server's). A blank one was email off, unsaid, as though the key were left out."""
    if not host:
        raise problem("is empty: leave it out to keep email off, or write the mail server, as smtp.example.org")
    return host
