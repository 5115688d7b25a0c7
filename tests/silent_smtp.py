"""An SMTP server on 127.0.0.1 that takes the connection and then says nothing: at once (no greeting), or after
greeting and reading the client's first command (it stalls after EHLO). A thread of its own; the connections it took
are held open until the block ends. Not greeting, it is as silent to any protocol: tests/test_poll_unreached.py takes it
for an arXiv that never answers. (A port whose connects get no answer at all: tests/hanging_listener.py.)"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class SilentServer:
    """`accepted`: set once a client has connected; `heard`: set once it has sent its first command (when greeted)."""

    port: int
    accepted: threading.Event = field(default_factory=threading.Event)
    heard: threading.Event = field(default_factory=threading.Event)


@contextmanager
def silent_smtp_server(port: int = 0, *, greets: bool = False) -> Iterator[SilentServer]:
    """Listens on 127.0.0.1:`port` (a free one when 0) for the block; `greets`: says "220" and reads the first command
    before falling silent."""
    listener = socket.create_server(("127.0.0.1", port))
    server = SilentServer(listener.getsockname()[1])
    held: list[socket.socket] = []

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:  # the listener closed: the block ended
                return
            held.append(connection)
            server.accepted.set()
            if greets:
                connection.sendall(b"220 mail.test ESMTP\r\n")
                if connection.recv(1024):
                    server.heard.set()

    thread = threading.Thread(target=serve, name="silent-smtp", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(5)
        for connection in held:
            connection.close()
