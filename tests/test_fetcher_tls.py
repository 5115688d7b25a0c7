"""TLS failures that another try seconds later would not change: given up at once, in one line naming the host."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from digest.arxiv.fetcher import Fetcher, FetchError
from tests.arxiv_server import ArxivServer, FakeClock
from tests.fetching import ARXIV, CL
from tests.poll_faults import poll_sources


@pytest.mark.asyncio
async def test_an_https_address_on_a_plain_http_port_gives_up_at_once_saying_so() -> None:
    """`https://` typed for a mirror that speaks plain HTTP: the TLS handshake read an HTTP answer (ssl
    WRONG_VERSION_NUMBER) and the fetch was tried again after 5, 10, 20 and 40 s as if the network had blinked. It now
    fails at once, in one line naming the host and saying it does not speak TLS there."""
    clock = FakeClock()
    async with ArxivServer() as server, Fetcher(ARXIV, clock=clock) as fetcher:
        url = server.serve_file("/rss/cs.CL", CL).replace("http://", "https://")
        with pytest.raises(FetchError) as failed:
            await fetcher.fetch(url)
    message = str(failed.value)
    assert message.startswith(url) and "127.0.0.1" in message and "does not speak TLS" in message, message
    assert "\n" not in message and "attempts" not in message and clock.sleeps == [], (message, clock.sleeps)


@pytest.mark.asyncio
@pytest.mark.parametrize("fault", ["self-signed certificate", "does not speak TLS"])
async def test_a_tls_fault_on_one_feed_is_not_asked_again_for_the_others_on_that_host(
    tmp_path: Path, fault: str
) -> None:
    """A mirror whose certificate is not trusted (or an https:// address on its plain-HTTP port): each of its feeds
    in the pass made its own connection and failed the same way. The first now says why; the others on that host and
    port say they were not tried, and a feed elsewhere is read as ever."""
    from tests.smtp_server import self_signed_certificate, server_tls_context

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    context = server_tls_context(*self_signed_certificate(tmp_path)) if "certificate" in fault else None
    mirror = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=context)
    port = mirror.sockets[0].getsockname()[1]
    try:
        async with ArxivServer() as arxiv:
            elsewhere = arxiv.serve_file("/rss/cs.CL", CL).replace("127.0.0.1", "localhost")
            broken = [f"https://127.0.0.1:{port}/rss/{category}" for category in ("cs.CV", "cs.LG", "cs.AI")]
            summary, states = await poll_sources(tmp_path / "data", [*broken, elsewhere])
    finally:
        mirror.close()
        await mirror.wait_closed()
    assert summary.outcome == "partial"
    assert fault in (states[broken[0]].last_message or "")
    for later in broken[1:]:
        said = states[later].last_message or ""
        assert said.startswith(f"{later}: not tried, 127.0.0.1:{port}") and fault in said, said
    assert states[elsewhere].last_outcome == "fetched"


@contextlib.contextmanager
def tls_server(context: ssl.SSLContext) -> Iterator[int]:
    """A TLS-only port served by the ssl module in a thread, as a server that ends a failed handshake with its alert
    and hangs up; its port."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            try:
                with context.wrap_socket(connection, server_side=True) as tls:
                    tls.recv(10)
            except OSError:  # ssl.SSLError too: the handshake the test means to fail
                pass
            finally:
                connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() the thread waits in
        listener.close()
        thread.join(timeout=5)


@pytest.mark.asyncio
@pytest.mark.parametrize("fault", ["protocol version", "handshake failure", "http on a TLS port"])
async def test_a_tls_handshake_that_cannot_succeed_gives_up_at_once_in_one_line(tmp_path: Path, fault: str) -> None:
    """A mirror that only speaks an old TLS version (alert: protocol version), shares no cipher (alert: handshake
    failure), or an http:// address typed for a TLS-only port that hangs up: each was tried again after 5, 10, 20 and
    40 s as if the network had blinked. Each now fails at once in one line naming the host and port."""
    from tests.smtp_server import self_signed_certificate, server_tls_context

    context = server_tls_context(*self_signed_certificate(tmp_path))
    if fault == "protocol version":
        with warnings.catch_warnings():  # the old version is what this server means to speak
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1_1
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    elif fault == "handshake failure":
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        context.set_ciphers("AES128-SHA")  # RSA key exchange, with an EC key: no cipher the two can share
    scheme = "http" if fault.startswith("http") else "https"
    clock = FakeClock()
    with tls_server(context) as port:
        url = f"{scheme}://127.0.0.1:{port}/rss/cs.CL"
        async with Fetcher(ARXIV, clock=clock) as fetcher:
            with pytest.raises(FetchError) as failed:
                await fetcher.fetch(url)
    message = str(failed.value)
    assert message.startswith(url) and f"127.0.0.1:{port}" in message, message
    assert "\n" not in message and "attempts" not in message and clock.sleeps == [], (message, clock.sleeps)
    expected = {"protocol version": "protocol version", "handshake failure": "handshake failure"}
    assert expected.get(fault, "speaks TLS") in message, message
    assert failed.value.host_left_alone() is not None  # the pass's other feeds on that port are not asked either


@pytest.mark.asyncio
async def test_a_certificate_error_gives_up_at_once_naming_the_host(tmp_path: Path) -> None:
    """A mirror (or a proxy in the way) whose certificate is not trusted: the fetch was tried again after 5, 10, 20
    and 40 s, as if the network had blinked, and then failed "after 5 attempts"; a certificate does not mend in
    seconds. It now fails at once, in one line naming the host and what is wrong with its certificate."""
    from tests.smtp_server import self_signed_certificate, server_tls_context

    connections: list[int] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    context = server_tls_context(*self_signed_certificate(tmp_path))
    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    clock = FakeClock()
    try:
        async with Fetcher(ARXIV, clock=clock) as fetcher:
            with pytest.raises(FetchError) as failed:
                await fetcher.fetch(f"https://127.0.0.1:{port}/rss/cs.CL")
    finally:
        server.close()
        await server.wait_closed()
    message = str(failed.value)
    assert "127.0.0.1" in message and "self-signed certificate" in message and "\n" not in message, message
    assert "attempts" not in message and clock.sleeps == [], (message, clock.sleeps)
    assert connections == []
