"""A git remote over https-like HTTP on 127.0.0.1: the real `git http-backend` (CGI) behind a small server that
lets in only requests carrying the token, as GitHub does, and records the Authorization headers it saw."""

from __future__ import annotations

import base64
import contextlib
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BufferedIOBase
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

BACKEND = Path("/usr/lib/git-core/git-http-backend")


def backend_path() -> Path | None:
    if BACKEND.is_file():
        return BACKEND
    found = shutil.which("git")
    if found is None:
        return None
    done = subprocess.run(["git", "--exec-path"], capture_output=True, text=True, check=False)
    candidate = Path(done.stdout.strip()) / "git-http-backend"
    return candidate if candidate.is_file() else None


class _LoopbackServer:
    """An HTTP server on a free port of 127.0.0.1, serving in a thread while its `with` block runs."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, repository: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/{repository}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)


class GitHttpServer(_LoopbackServer):
    """With `token` None, a server that lets everyone in (as one taking whatever a redirect brings it would)."""

    def __init__(self, root: Path, token: str | None) -> None:
        self.root = root
        self.expected = (
            None if token is None else "Basic " + base64.b64encode(f"x-access-token:{token}".encode()).decode("ascii")
        )
        self.authorizations: list[str | None] = []
        self.paths: list[str] = []
        backend = backend_path()
        assert backend is not None, "git-http-backend is not installed"
        self.backend = backend
        super().__init__(self._handler())

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    data = b""
                    while True:
                        size = int(self.rfile.readline().strip().split(b";")[0], 16)
                        if size == 0:
                            self.rfile.readline()
                            return data
                        data += self.rfile.read(size)
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _serve(self) -> None:
                authorization = self.headers.get("Authorization")
                server.authorizations.append(authorization)
                server.paths.append(self.path)
                body = self._body()
                if server.expected is not None and authorization != server.expected:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="git"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self._run_backend(body)

            def _run_backend(self, body: bytes) -> None:
                address = urlsplit(self.path)
                environment = {
                    "GIT_PROJECT_ROOT": str(server.root),
                    "GIT_HTTP_EXPORT_ALL": "1",
                    "PATH_INFO": address.path,
                    "QUERY_STRING": address.query,
                    "REQUEST_METHOD": self.command,
                    "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                    "CONTENT_LENGTH": str(len(body)),
                    "REMOTE_USER": "x-access-token",
                    "REMOTE_ADDR": "127.0.0.1",
                    "GIT_CONFIG_NOSYSTEM": "1",
                    "HOME": "/nonexistent",
                    "PATH": "/usr/bin:/bin:/usr/local/bin",
                }
                if self.headers.get("Content-Encoding"):
                    environment["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
                if self.headers.get("Git-Protocol"):
                    environment["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
                done = subprocess.run(
                    [str(server.backend)], input=body, capture_output=True, env=environment, timeout=60, check=False
                )
                head, _, payload = done.stdout.partition(b"\r\n\r\n")
                status = 200
                headers = []
                for line in head.decode("latin-1").split("\r\n"):
                    name, _, value = line.partition(":")
                    if name.lower() == "status":
                        status = int(value.strip().split()[0])
                    elif name:
                        headers.append((name, value.strip()))
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                server.send(self.path, payload, self.wfile)

        return Handler

    def send(self, path: str, payload: bytes, out: BufferedIOBase) -> None:
        out.write(payload)


class SlowGitHttpServer(GitHttpServer):
    """A slow link: the pack of a fetch (git-upload-pack's answer) comes in `pieces` over `seconds`, steadily; with
    `stall`, its first piece comes and then nothing more until the server is shut down (a hung forge)."""

    def __init__(self, root: Path, seconds: float, pieces: int = 40, stall: bool = False) -> None:
        super().__init__(root, None)
        self.seconds, self.pieces, self.stall = seconds, pieces, stall
        self.packs_begun = threading.Event()
        self._shut = threading.Event()

    def send(self, path: str, payload: bytes, out: BufferedIOBase) -> None:
        if b"PACK" not in payload:  # the refs a fetch or ls-remote asks for first come at once
            out.write(payload)
            return
        size = -(-len(payload) // self.pieces)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # git gave up
            for at in range(0, len(payload), size):
                out.write(payload[at : at + size])
                out.flush()
                self.packs_begun.set()
                if self._shut.wait(self.seconds * 100 if self.stall else self.seconds / self.pieces):
                    return

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._shut.set()
        super().__exit__(kind, value, traceback)


class Redirector(_LoopbackServer):
    """An HTTP server on 127.0.0.1 that answers every request with a permanent redirect to `target` (a host name
    other than 127.0.0.1, such as localhost: another host to the client), the path kept."""

    def __init__(self, target: str) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self.send_response(301)
                self.send_header("Location", target.rstrip("/") + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_GET

        super().__init__(Handler)
