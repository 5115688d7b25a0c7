"""The schema upgrade in a child process, for the service: `python -m digest.storage.upgrade`, the database URL on
stdin and one JSON line out (the revisions applied, or why the upgrade failed, in one line). Alembic, and the Mako
and Pygments it imports (about 9 MB), then never stay in the service's memory; the upgrade itself is the same
(one transaction, the same locks), and a failed one still stops the start."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import traceback
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from digest.storage.db import DatabaseError, create_database_engine, upgrade_schema, upgrade_with
from digest.storage.failures import cannot_open

log = logging.getLogger(__name__)


def migrate_in_child_process(enabled: bool = True) -> None:
    """From now on `migrate` (every database this process opens) upgrades the schema in a child process (or, not
    enabled, in place again); a command that exits after one job upgrades in place."""
    upgrade_with(upgrade_in_child if enabled else upgrade_schema)


def upgrade_in_child(engine: Engine) -> list[str]:
    """Runs `upgrade_schema` on the engine's database in a child process; the revisions it applied. Its failure is
    raised as a DatabaseError of one line (the child's traceback, if it had one, is logged at debug level)."""
    # On stdin, not in the arguments: a password in the URL must not show in the process list.
    url = engine.url.render_as_string(hide_password=False)
    command = [sys.executable, "-m", "digest.storage.upgrade"]
    try:
        done = subprocess.run(command, input=url, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise DatabaseError(f"cannot start the schema upgrade ({sys.executable}): {exc}") from None
    if done.stderr.strip():
        log.debug("database: the schema upgrade's child process said:\n%s", done.stderr.rstrip())
    answer = _answer(done.stdout)
    if answer is None:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        how = f"killed by signal {-done.returncode}" if done.returncode < 0 else f"exit status {done.returncode}"
        raise DatabaseError(f"the schema upgrade stopped before its end ({how}: {last[:300]}); nothing was changed")
    if "error" in answer:
        raise DatabaseError(str(answer["error"]))
    return [str(revision) for revision in answer.get("applied") or []]


def _answer(output: str) -> dict[str, Any] | None:
    """The child's JSON line (its last line out), or None when it wrote none."""
    lines = output.strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if lines else None
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None


def main() -> int:
    """The child: upgrades the database whose URL is on stdin, and writes what it applied or why it failed."""
    url = sys.stdin.read()
    try:
        engine = create_database_engine(url)
        try:
            answer: dict[str, Any] = {"applied": upgrade_schema(engine)}
        finally:
            engine.dispose()
    except DatabaseError as exc:
        answer = {"error": str(exc)}
    except OperationalError as exc:
        answer = {"error": cannot_open(url, exc)}
    except Exception as exc:  # anything else (a step's own failure) still stops the start, in one line
        traceback.print_exc()
        answer = {"error": f"the schema upgrade failed: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}"}
    print(json.dumps(answer))
    return 1 if "error" in answer else 0


if __name__ == "__main__":
    raise SystemExit(main())
