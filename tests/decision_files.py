"""The files `digest decisions import` reads, written by the tests: one decision a line on a paper's own text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def decision_line(paper: dict[str, Any], decision: str, **fields: Any) -> str:
    row = {"arxiv_id": paper["arxiv_id"], "title": paper["title"], "abstract": paper["abstract"], "decision": decision}
    return json.dumps({**row, **fields})


def write_lines(path: Path, *lines: str) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path
