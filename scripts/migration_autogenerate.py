"""Developer tool (not in the wheel): writes a new migration from the difference between the models and the newest
migration.

python scripts/migration_autogenerate.py "add a column"
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

from digest.storage.db import alembic_config, create_database_engine, migrate


def main(argv: list[str]) -> int:
    message = argv[0] if argv else "schema change"
    with tempfile.TemporaryDirectory() as folder:
        engine = create_database_engine(f"sqlite:///{Path(folder) / 'autogen.sqlite3'}")
        migrate(engine)
        command.revision(alembic_config(engine), message=message, autogenerate=True)
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
