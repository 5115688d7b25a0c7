"""The web server's address, bound before the service writes anything: a port another process holds stops the start
before the database is upgraded or the list's Markdown rewritten. Bound, not yet listening: until the site serves, a
request is refused at once, as before, rather than left waiting out a long start (a schema upgrade)."""

from __future__ import annotations

import socket


def bind_web_address(host: str, port: int) -> list[socket.socket]:
    """A socket bound to each address `host` names (every interface when it is empty), as asyncio's create_server
    binds them; OSError "cannot listen on host:port: why" when one is taken, and none is kept. Port 0: a free one."""
    try:
        found = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise OSError(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror}") from None
    bound: list[socket.socket] = []
    try:
        for family, kind, protocol, _name, address in dict.fromkeys(found):
            try:
                sock = socket.socket(family, kind, protocol)
            except OSError:  # a family this machine has not (IPv6 switched off): served on the others
                continue
            bound.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart must not wait out TIME_WAIT
            if family == socket.AF_INET6:  # "::" serves IPv6 alone; 0.0.0.0, bound beside it, serves IPv4
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
    except OSError as exc:
        close_all(bound)
        raise OSError(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror}") from None
    if not bound:
        raise OSError(f"cannot listen on {host}:{port}: no address of it can be served on this machine")
    return bound


def close_all(sockets: list[socket.socket]) -> None:
    for sock in sockets:
        sock.close()
