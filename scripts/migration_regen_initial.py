"""Developer tool (not in the wheel), only until the first release: rewrites migration 0001 from the current models.

It refuses once a later migration exists (0001 has shipped); schema changes are new migrations from `autogenerate`.

python scripts/migration_regen_initial.py
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from alembic import command

from digest.storage.db import MIGRATIONS_DIR, alembic_config, create_database_engine

VERSIONS = MIGRATIONS_DIR / "versions"


def main() -> int:
    target = VERSIONS / "0001_initial_schema.py"
    later = sorted(path.name for path in VERSIONS.glob("*.py") if path.name != target.name)
    if later:
        # Deployments have run 0001; a schema change is a new migration (python scripts/migration_autogenerate.py).
        print(f"refusing: migrations after 0001 exist ({', '.join(later)}); 0001 is released and stays as it is")
        return 1
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
