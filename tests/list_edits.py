"""The set-up of the tests of hand edits to the list: the bundled seed's text, the list as written and imported
again (or exported, edited and imported by the command), a real paper approved into a section, a data folder seeded
with a list of the test's own (`own_list`), lists edited as maintainers do, and the lines an edit changed."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from digest.awesome import store as liststore
from digest.cli import main
from digest.config import Settings
from digest.resources import seed_list_path
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)  # in ISO week 2026-W48
ANN = Actor("ann", "1001", "cli")


def seed_text(settings: Settings) -> str:
    return settings.seed_list.read_text(encoding="utf-8")


def markdown(database: Database, settings: Settings) -> str:
    with database.reading() as session:
        return liststore.render_markdown(session, settings.templates_dir)


def reimport(database: Database, text: str) -> liststore.ImportReport:
    with database.transaction() as session:
        return liststore.import_markdown(session, text.encode("utf-8"), source="edited.md", now=NOW)


def approve(database: Database, settings: Settings, record: dict[str, Any], section: str) -> None:
    candidate_id = insert_candidate(database, record)
    Reviewer(database, settings, clock=lambda: NOW).decide(candidate_id, "approve", ANN, section=section)


def paper_dated(index: int, published: str) -> dict[str, Any]:
    record = dict(real_papers()[index])
    record["published"] = published
    return record


@contextmanager
def seeded_lists(tmp_path: Path, config: str = "") -> Iterator[Any]:
    """A maker of a new data folder seeded with a list of the test's own (`seed_list`, then `config`), and its
    database; the databases it opened are closed at the end."""
    opened: list[Database] = []

    def make(text: str | bytes) -> tuple[Settings, Database]:
        seed = tmp_path / "seed.md"
        seed.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        settings = make_settings(tmp_path / "data", f'seed_list = "{seed}"\n{config}')
        database = open_service_database(settings)
        opened.append(database)
        return settings, database

    try:
        yield make
    finally:
        for database in opened:
            database.dispose()


@pytest.fixture
def own_list(tmp_path: Path) -> Iterator[Any]:
    """A new data folder seeded with a list of the test's own (`seed_list`), and its database."""
    with seeded_lists(tmp_path) as make:
        yield make


# A list dating its entries day first, as most of the world writes dates; its third entry is newer than the second.
DAY_FIRST = (
    "## Papers\n"
    "+ [Alpha paper](https://arxiv.org/abs/2403.00001) (12 March 2024)\n"
    "+ [Beta paper](https://arxiv.org/abs/2401.00002) (5 Jan 2024)\n"
    "+ [Gamma paper](https://arxiv.org/abs/2402.00003) (20 Feb. 2024)\n"
)


def repeated_probing(seed: str, name: str, parent: str) -> str:
    """The list with its Probing section renamed `name` and a second section of that name, with the same entries,
    under a block of its own headed `parent` (before Tool): a heading repeated in each year's block."""
    lines = seed.split("\n")
    start = next(n for n, line in enumerate(lines) if line.startswith("### ") and line.endswith(" Probing"))
    end = next(n for n in range(start + 1, len(lines)) if lines[n].startswith("### "))
    entries = lines[start + 1 : end]
    lines[start] = f"### {name}"
    tool = next(n for n, line in enumerate(lines) if line.startswith("## ") and "Tool" in line)
    return "\n".join([*lines[:tool], f"## {parent}", "", f"### {name}", *entries, *lines[tool:]])


# A list in year blocks, each with its own "Probing" (a heading repeated in each year's block).
YEAR_BLOCKS = (
    "# Awesome X\n\n## 2025\n\n### Probing\n\n"
    "+ [Alpha paper](https://arxiv.org/abs/2501.00001) (Jan. 5, 2025)\n\n"
    "### Steering\n\n+ [Beta paper](https://arxiv.org/abs/2502.00002) (Feb. 4, 2025)\n\n"
    "## 2024\n\n### Probing\n\n+ [Gamma paper](https://arxiv.org/abs/2401.00003) (Jan. 4, 2024)\n"
)


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """(removed lines, inserted lines) between two texts."""
    removed: list[str] = []
    inserted: list[str] = []
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag != "equal":
            removed += old[i1:i2]
            inserted += new[j1:j2]
    return removed, inserted


def imported(data_dir: Path, tmp_path: Path, edit: Callable[[str], str]) -> None:
    """The maintainers' path: the list exported, edited by hand, imported again."""
    exported = tmp_path / "list-edited.md"
    assert main(["--data-dir", str(data_dir), "list", "export", "-o", str(exported)]) == 0
    exported.write_text(edit(exported.read_text(encoding="utf-8")), encoding="utf-8")
    assert main(["--data-dir", str(data_dir), "list", "import", str(exported)]) == 0


def steering_heading(heading: str | None) -> Callable[[str], str]:
    """The list with its Steering heading renamed `heading` (None: taken out, its papers under the heading above)."""

    def edit(markdown: str) -> str:
        lines = markdown.split("\n")
        at = next(n for n, line in enumerate(lines) if line.startswith("### ") and "Steering" in line)
        lines[at : at + 1] = [] if heading is None else [f"### {heading}"]
        return "\n".join(lines)

    return edit


def activation_headings(markdown: str) -> str:
    """The list a maintainer edited in month two: "Steering" renamed "Activation Steering" and "Causal Tracing"
    "Activation Patching" (words of neither)."""
    lines = steering_heading("Activation Steering")(markdown).split("\n")
    at = next(n for n, line in enumerate(lines) if line.startswith("### ") and "Causal Tracing" in line)
    lines[at] = "### Activation Patching"
    return "\n".join(lines)


def moved(arxiv_id: str, heading: str) -> Callable[[str], str]:
    """The list with the paper's entry moved by hand to the top of the section `heading` names; no heading renamed."""

    def edit(markdown: str) -> str:
        lines = markdown.split("\n")
        first = next(n for n, line in enumerate(lines) if line.startswith("+ ") and arxiv_id in line)
        end = next(n for n in range(first + 1, len(lines)) if not lines[n].startswith("  "))
        entry, lines[first:end] = lines[first:end], []
        at = next(n for n, line in enumerate(lines) if line.startswith("### ") and heading in line)
        at = next(n for n in range(at, len(lines)) if lines[n].startswith("+ "))
        lines[at:at] = entry
        return "\n".join(lines)

    return edit


def seed_without_entries(count: int) -> str:
    """The bundled list with its first `count` entries (the list's '+' items and their lines) taken out."""
    lines = seed_list_path().read_text(encoding="utf-8").splitlines(keepends=True)
    for _ in range(count):
        first = next(i for i, line in enumerate(lines) if line.startswith("+ "))
        end = first + 1
        while end < len(lines) and lines[end].startswith("  "):
            end += 1
        lines[first:end] = []
    return "".join(lines)


def seeded(data: Path) -> Path:
    """A data folder seeded with the bundled list; the list exported beside it, returned."""
    listing = data.parent / "before.md"
    assert main(["--data-dir", str(data), "list", "export", "-o", str(listing)]) == 0
    return listing
