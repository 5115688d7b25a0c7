"""Where the bundled files live: templates, feed rules, the seed list and its abstracts.

In a source checkout they are the top-level `templates/` and `feeds/`; in an installed wheel they are
copied into the package (see pyproject's force-include), so both layouts are looked up here.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
_SOURCE_ROOT = PACKAGE_DIR.parent


def _first_existing(*candidates: Path) -> Path:
    for candidate in candidates:
        if candidate.exists():
            return candidate
    return candidates[0]


def templates_dir() -> Path:
    return _first_existing(_SOURCE_ROOT / "templates", PACKAGE_DIR / "_templates")


def feeds_dir() -> Path:
    return _first_existing(_SOURCE_ROOT / "feeds", PACKAGE_DIR / "_feeds")


def seed_list_path() -> Path:
    return PACKAGE_DIR / "data" / "awesome-lmms-mech-interp.md"


def curated_papers_path() -> Path:
    return PACKAGE_DIR / "data" / "curated_papers.jsonl"
