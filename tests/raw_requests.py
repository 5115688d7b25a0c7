"""Requests written by hand on a socket to the running site, for what an HTTP client will not send (a control
character in the address, a header past the parser's limit)."""

from __future__ import annotations

import asyncio

from tests.web_server import Site


async def refused_each(site: Site, requests: list[str]) -> None:
    """Sends each raw request on its own connection and asserts the site answered it 400."""
    host, port = site.base.removeprefix("http://").split(":")
    for raw in requests:
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(raw.encode("latin-1"))
        await writer.drain()
        assert (await reader.read(100)).startswith(b"HTTP/1.0 400 ")
        writer.close()
        await writer.wait_closed()


async def abandoned(site: Site, path: str, sent: bytes, declared: int) -> None:
    """Posts `sent` to `path` as the first bytes of a form body of `declared` bytes, then closes the connection, as a
    client that lost its network (or gave up) halfway through its form does."""
    host, port = site.base.removeprefix("http://").split(":")
    _, writer = await asyncio.open_connection(host, int(port))
    head = f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    writer.write(head.encode("ascii") + f"Content-Length: {declared}\r\n\r\n".encode("ascii") + sent)
    await writer.drain()
    writer.close()
    await writer.wait_closed()
