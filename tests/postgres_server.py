"""A throwaway PostgreSQL cluster on 127.0.0.1 for the portability tests: one per session, a new database per test.

Uses the distribution's server binaries (/usr/lib/postgresql/*/bin); as root the cluster belongs to the `postgres`
user (or `nobody`), because the server refuses to run as root. Without the binaries or psycopg the tests are skipped.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ENABLE_HINT = "PostgreSQL tests need the server and the driver: apt-get install postgresql; pip install -e '.[test]'"


def find_bin_dir() -> Path | None:
    """The newest installed server's bin folder (Debian puts initdb and pg_ctl outside PATH)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name or 0))
    for folder in reversed(candidates):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb and shutil.which("pg_ctl") else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server_user() -> pwd.struct_passwd | None:
    """None when not root (the cluster is then ours); as root, an unprivileged account to own it."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    pytest.skip("PostgreSQL tests run as root need a `postgres` or `nobody` account: apt-get install postgresql")


@dataclass
class PostgresServer:
    bin_dir: Path
    root: Path
    port: int
    user: pwd.struct_passwd | None
    _counter: itertools.count[int]
    icu_locale: str | None = None  # a language collation (ICU needs no OS locales), as real servers are made

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        extra: dict[str, Any] = {}
        if self.user is not None:
            extra = {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}
        return subprocess.run(
            [str(self.bin_dir / args[0]), *args[1:]],
            cwd=self.root,
            env={"PATH": "/usr/bin:/bin", "LC_ALL": "C", "HOME": str(self.root)},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            **extra,
        )

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def start(self) -> None:
        collation = ("--locale-provider=icu", f"--icu-locale={self.icu_locale}") if self.icu_locale else ()
        done = self._run(
            "initdb", "-D", str(self.data_dir), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", *collation
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr.strip()}")
        self.resume()

    def resume(self) -> None:
        """Serves the cluster: first after initdb, then again after `stop` (a maintenance window over)."""
        # A zone far from UTC (+14 h, another date most of the day): times and dates must not depend on it.
        options = (
            f"-p {self.port} -h 127.0.0.1 -k {self.root} -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=50 -c TimeZone=Pacific/Kiritimati"
        )
        log = self.root / "server.log"
        done = self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(log), "-o", options, "-w", "-t", "60", "start")
        if done.returncode != 0:
            server_log = log.read_text(errors="replace") if log.exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {done.stderr.strip()} {server_log.strip()}")

    def stop(self) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _admin(self, statement: str) -> None:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text(statement))
        finally:
            engine.dispose()

    @contextlib.contextmanager
    def fresh_database(self, encoding: str = "UTF8") -> Iterator[str]:
        """A new, empty database for one test (in UTF8 unless told); dropped afterwards (connections left open are
        cut)."""
        name = f"digest_test_{next(self._counter)}"
        self._admin(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING '{encoding}'")
        try:
            yield self.url(name)
        finally:
            self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextlib.contextmanager
def running_postgres(icu_locale: str | None = None) -> Iterator[PostgresServer]:
    """A cluster for the block; `icu_locale` (e.g. "en-US") makes its default collation that language's, not C's."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip(ENABLE_HINT)
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip(ENABLE_HINT)
    user = _server_user()
    # Not pytest's tmp_path: that folder is private to root and the server's account could not reach it.
    root = Path(tempfile.mkdtemp(prefix="digest-pg-"))
    if user is not None:
        os.chown(root, user.pw_uid, user.pw_gid)
    server = PostgresServer(bin_dir, root, _free_port(), user, itertools.count(1), icu_locale)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    with running_postgres() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A SQLAlchemy URL (postgresql+psycopg://...) to a database of its own for this test."""
    with postgres_server.fresh_database() as url:
        yield url


@pytest.fixture(scope="session")
def icu_postgres_server() -> Iterator[PostgresServer]:
    """A cluster whose collation is ICU's en-US, as a server made in a language's locale is: not C's byte order."""
    with running_postgres(icu_locale="en-US") as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql-icu"])
def each_collation(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """each_database's environment, its PostgreSQL made in en-US (ICU): its lower() and order are the language's."""
    if request.param == "sqlite":
        yield {}
        return
    server: PostgresServer = request.getfixturevalue("icu_postgres_server")
    with server.fresh_database() as url:
        yield {"DIGEST_DATABASE_URL": url}


@pytest.fixture(params=["sqlite", "postgresql"])
def each_database(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """The environment for settings on each kind of database in turn: SQLite in the data folder (nothing to set),
    then PostgreSQL (`DIGEST_DATABASE_URL`, a database of this test's own): a test that shows a defect on one runs
    on both."""
    if request.param == "sqlite":
        return {}
    return {"DIGEST_DATABASE_URL": request.getfixturevalue("postgres_url")}


@pytest.fixture
def on_each_database(each_database: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """each_database set in this test's environment: the commands the test runs use that database."""
    for name, value in each_database.items():
        monkeypatch.setenv(name, value)
    return each_database


@contextlib.contextmanager
def silent_server() -> Iterator[tuple[int, list[socket.socket]]]:
    """A port on loopback that accepts connections and then says nothing (a hung server, a firewall that swallows
    what follows the handshake): its number, and the connections it took (closed on leaving)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        held: list[socket.socket] = []
        stop = threading.Event()

        def hold() -> None:
            listener.settimeout(0.2)
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    held.append(listener.accept()[0])

        holder = threading.Thread(target=hold, daemon=True)
        holder.start()
        try:
            yield listener.getsockname()[1], held
        finally:
            stop.set()
            holder.join()
            for connection in held:
                connection.close()
