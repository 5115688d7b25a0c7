"""Developer tool, only until the first release: rewrites migration 0001 from the current models.

python -m digest.migrations.regen_initial
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from alembic import command

from digest.db import alembic_config, create_database_engine

VERSIONS = Path(__file__).resolve().parent / "versions"


def main() -> int:
    target = VERSIONS / "0001_initial_schema.py"
    target.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        engine = create_database_engine(f"sqlite:///{Path(folder) / 'regen.sqlite3'}")
        config = alembic_config(engine)
        command.revision(config, message="initial schema", autogenerate=True, rev_id="0001")
        engine.dispose()
    produced = next(VERSIONS.glob("0001_*.py"))
    text = produced.read_text(encoding="utf-8")
    produced.unlink()
    target.write_text(re.sub(r"Create Date: .*", "Create Date: (regenerated)", text), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
