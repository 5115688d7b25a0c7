"""A PostgreSQL URL whose password holds a raw '@': SQLAlchemy ends the password at the first '@' and reads the rest as
the host (or, past a ':', as the port), so every hint and log line would name a wrong host built of the password's
tail. `digest config check` and `digest run` refuse it in one line saying to write '@' as %40, and show none of the
password. Spawned as a maintainer runs them; no database server is needed (the URL is refused before any connection)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.cli_runs import digest_command

# Each URL, and the password in it as its maintainer meant it (the part after the user's ':', up to the last '@').
RAW_AT = [
    ("postgresql+psycopg://digest:hunt@er2-pw@127.0.0.1/digest", "hunt@er2-pw"),
    ("postgresql+psycopg://digest:s3cr@et9x:9999@127.0.0.1:9/digest", "s3cr@et9x:9999"),
    ("postgresql://digest:tail7:5432@xq9z@db.example/digest", "tail7:5432@xq9z"),
]


@pytest.mark.parametrize(("url", "password"), RAW_AT)
@pytest.mark.parametrize("command", [("config", "check"), ("run", "--port", "9")])
def test_a_raw_at_sign_in_the_password_is_refused_in_one_line_showing_none_of_it(
    data_dir: Path, tmp_path: Path, url: str, password: str, command: tuple[str, ...]
) -> None:
    """`postgresql://u:s3cr@et9x:9999@host/db` was refused as "its port is not a number" (SQLAlchemy's port:
    'et9x:9999@host'), which sent its maintainer looking at the port; every such URL is the one '@' refusal, naming no
    part of it."""
    environment = {**os.environ, "DIGEST_DATABASE_URL": url}
    done = subprocess.run(
        [*digest_command(tmp_path), *command], env=environment, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode != 0, done
    said = done.stdout + done.stderr
    refusals = [line for line in said.splitlines() if "DIGEST_DATABASE_URL" in line]
    assert len(refusals) == 1, said
    assert "holds '@' in its user or password" in refusals[0] and "write each '@' in them as %40" in refusals[0], said
    assert "Traceback" not in said
    for part in {password, *password.replace(":", "@").split("@")}:  # each piece a wrong parse would show
        assert part not in said, (part, said)
