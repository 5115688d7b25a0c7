"""The SMTP connection shut from the stopping side: a stop while the send waits on a server that says nothing (no
answer to the connect, no greeting, nothing after EHLO, no answer to the message) ends the wait then, not after [smtp]
timeout_seconds, which is longer than the running service's stop grace (8 s and its 1 s wind-down)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from types import TracebackType

from digest.arxiv.turns import STOP_GRACE_SECONDS

# How long a message in flight is given after the stop for the server's answer (who got it is then known): half the
# service's stop grace, so the send still ends and records itself within the grace, whatever the grace is set to;
# before and after the messages nothing is in flight, and the connection is shut at the stop.
IN_FLIGHT_SECONDS = STOP_GRACE_SECONDS / 2
# How often the stop is read: a stop shuts the connection within this.
STOP_READ_EVERY = 0.05


class ConnectionWatch:
    """Shuts the sockets it is given once `stopped` is true and `in_flight` (the seconds a message in flight is given)
    has passed since: a blocked read then ends at once (smtplib raises), and `cut` says the stop ended it."""

    def __init__(self, stopped: Callable[[], bool] | None) -> None:
        self.stopped = stopped
        self._sockets: list[socket.socket] = []  # duplicates: shutdown reaches the connection under a TLS wrapper too
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self.in_flight = 0.0
        self.cut = False

    def __enter__(self) -> ConnectionWatch:
        if self.stopped is not None:
            self._thread = threading.Thread(target=self._run, name="digest-smtp-stop", daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            for connection in self._sockets:
                connection.close()
            self._sockets.clear()

    def watch(self, connection: socket.socket) -> None:
        """`connection` is shut at the stop (at once if the stop already shut the others)."""
        with self._lock:
            self._sockets.append(connection.dup())
            if self.cut:
                self._shut(self._sockets[-1])

    def _run(self) -> None:
        assert self.stopped is not None
        since: float | None = None
        while not self._done.wait(STOP_READ_EVERY):
            if since is None and self.stopped():
                since = time.monotonic()
            if since is not None and time.monotonic() - since >= self.in_flight:
                with self._lock:
                    self.cut = True
                    for connection in self._sockets:
                        self._shut(connection)
                return

    @staticmethod
    def _shut(connection: socket.socket) -> None:
        with suppress(OSError):  # closed already, or never connected
            connection.shutdown(socket.SHUT_RDWR)
