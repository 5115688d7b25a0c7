"""The layers hold: import-linter's contracts in pyproject.toml (layers one way; the pure core imports no
sqlalchemy, aiohttp, discord or smtplib) pass over the package, like ruff and mypy in test_code_quality."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_import_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout, result.stdout


def test_no_import_circle_remains() -> None:
    """No module reaches itself through the project's imports, counting late and type-checking imports too."""
    import grimp

    graph = grimp.build_graph("digest", cache_dir=None)
    circles = [
        f"{module} -> {imported}"
        for module in graph.modules
        for imported in graph.find_modules_directly_imported_by(module)
        if imported.startswith("digest")
        and not imported.startswith(module + ".")  # a package's face importing its own submodule is not a circle
        and graph.chain_exists(imported=module, importer=imported)
    ]
    assert circles == []


# Modules already over the house limit of 300 lines when it was first checked, at their size then: they may shrink,
# never grow (a module that crosses the limit is split, as storage/db.py was into db.py and failures.py).
OVER_THE_LIMIT = {
    "digest/arxiv/parse.py": 354,
    "digest/awesome/parse.py": 305,
    "digest/awesome/store.py": 330,
    "digest/review/reviewer.py": 318,
    "digest/service/process.py": 376,
    "digest/weekly/store.py": 340,
}


def test_no_module_grows_past_300_lines() -> None:
    """storage/db.py went from 287 to 310 lines in one session's fixes, with nothing to say so."""
    grown = []
    for path in sorted((REPO / "digest").rglob("*.py")):
        name = path.relative_to(REPO).as_posix()
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > OVER_THE_LIMIT.get(name, 300):
            grown.append(f"{name}: {lines} lines")
    assert not grown, grown
