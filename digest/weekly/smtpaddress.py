"""Where the weekly email's SMTP connection goes and how it greets: the server's name looked up once, within [smtp]
timeout_seconds, and connected to at what it was resolved to (TLS still checks the certificate against the name); and
this machine's name for EHLO, chosen as smtplib chooses it but looked up once a process, within the same timeout
(smtplib looks it up for every connection, unbounded)."""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Callable, Sequence

from digest.config.lookups import AddressInfo, resolved, within
from digest.weekly.connectionwatch import ConnectionWatch

_OWN_NAME: list[str] = []  # this machine's EHLO name, once found: the process's


def own_name(seconds: float, stopped: Callable[[], bool] | None = None) -> str:
    """This machine's name for EHLO, as smtplib would give it: its fully qualified name, or else its address as a
    domain literal (RFC 5321); LookupTimeoutError when the resolver has no answer within `seconds`."""
    if not _OWN_NAME:
        unanswered = (
            f"cannot resolve this machine's own name ({socket.gethostname()}) within {seconds:g} s, which the SMTP"
            " greeting (EHLO) gives: check this machine's DNS (or its name in /etc/hosts)"
        )
        _OWN_NAME.append(within(seconds, _named_as_smtplib_does, unanswered, stopped))
    return _OWN_NAME[0]


def _named_as_smtplib_does() -> str:
    fqdn = socket.getfqdn()
    if "." in fqdn:
        return fqdn
    try:
        address = socket.gethostbyname(socket.gethostname())
    except socket.gaierror:
        address = "127.0.0.1"
    return f"[{address}]"


def _reached(addresses: Sequence[AddressInfo], timeout: float, watch: ConnectionWatch | None) -> socket.socket:
    """A connection to the first of the addresses that takes one, each given `timeout` (as socket.create_connection
    tries a name's addresses). Each socket is the `watch`'s before it connects: a stop ends a connect that no answer
    comes to (a host that drops packets, a full queue of connections) then, not after `timeout`."""
    failure: OSError = OSError("the name has no address")
    for family, kind, proto, _canonical, address in addresses:
        connection = socket.socket(family, kind, proto)
        try:
            if watch is not None:
                watch.watch(connection)  # shut, a connect under way ends at once (Linux: "connection reset")
            connection.settimeout(timeout)
            connection.connect(address)
        except OSError as exc:
            connection.close()
            failure = exc
            if watch is not None and watch.cut:  # stopped: no other address is tried
                break
            continue
        return connection
    raise failure


class _Resolved(smtplib.SMTP):
    """Connects to `addresses` (resolved already) whatever name smtplib is given: no lookup of its own."""

    addresses: Sequence[AddressInfo] = ()
    watch: ConnectionWatch | None = None

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        # Shut at a stop: the connect, the greeting and every reply after it are waited for no longer.
        return _reached(self.addresses, timeout, self.watch)


class _Plain(_Resolved):
    def __init__(
        self, addresses: Sequence[AddressInfo], host: str, port: int, name: str, timeout: float, watch: ConnectionWatch
    ) -> None:
        self.addresses, self.watch = addresses, watch
        super().__init__(host, port, local_hostname=name, timeout=timeout)


class _Tls(smtplib.SMTP_SSL, _Resolved):
    """TLS at once over the resolved connection (SMTP_SSL wraps what _Resolved opened, checked against the name)."""

    def __init__(
        self,
        addresses: Sequence[AddressInfo],
        host: str,
        port: int,
        name: str,
        timeout: float,
        context: ssl.SSLContext,
        watch: ConnectionWatch,
    ) -> None:
        self.addresses, self.watch = addresses, watch
        super().__init__(host, port, local_hostname=name, timeout=timeout, context=context)


def opened(
    host: str, port: int, seconds: float, context: ssl.SSLContext | None, watch: ConnectionWatch
) -> smtplib.SMTP:
    """A connection to the server, greeted (TLS at once with `context`, else plain text): its name and this machine's
    looked up within `seconds` each (LookupTimeoutError), and no longer than the stop `watch` reads
    (LookupStoppedError); the connection is the watch's to shut at the stop."""
    addresses = resolved(host, port, seconds, watch.stopped)
    name = own_name(seconds, watch.stopped)
    if context is not None:
        return _Tls(addresses, host, port, name, seconds, context, watch)
    return _Plain(addresses, host, port, name, seconds, watch)
