"""A database password given as a query parameter (`?password=`) is hidden as `***`, as the one before the '@' is and
every hint writes it, not as SQLAlchemy's %2A%2A%2A. Through `digest config show`, spawned; no server is needed."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.cli_runs import digest_command


def test_a_password_in_the_query_is_shown_as_three_asterisks(data_dir: Path, tmp_path: Path) -> None:
    url = "postgresql+psycopg://digest@127.0.0.1:1/digest?sslmode=disable&password=hunter22&sslpassword=k3y-pass"
    environment = {**os.environ, "DIGEST_DATABASE_URL": url}
    done = subprocess.run(
        [*digest_command(tmp_path), "config", "show", "--json"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)["settings"]["database_url"]
    assert shown == "postgresql+psycopg://digest@127.0.0.1:1/digest?password=***&sslmode=disable&sslpassword=***"
