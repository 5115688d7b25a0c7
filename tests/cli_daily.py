"""The set-up of the everyday command line tests: a papers file for `digest score` (real papers as JSON lines),
the arXiv IDs it scored, and a data folder with one real paper pending."""

from __future__ import annotations

import json
from pathlib import Path

from digest.service.wiring import open_service_database
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers


def papers_file(path: Path, lines: list[bytes], prefix: bytes = b"") -> Path:
    path.write_bytes(prefix + b"\n".join(lines) + b"\n")
    return path


def paper_lines(count: int) -> list[bytes]:
    return [
        json.dumps({key: record[key] for key in ("arxiv_id", "title", "abstract")}).encode("utf-8")
        for record in real_papers()[:count]
    ]


def one_candidate(data_dir: Path) -> int:
    """A new data folder with the bundled list and the first real paper pending as a candidate; its id."""
    database = open_service_database(make_settings(data_dir))
    try:
        return insert_candidate(database, real_papers()[0])
    finally:
        database.dispose()


def scored_ids(out: str) -> list[str]:
    return [json.loads(line)["arxiv_id"] for line in out.splitlines()]
