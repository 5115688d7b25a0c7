"""The lines `digest score` reads: each a paper to score, or the one-line reason it is not one. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from digest.text import one_line

if TYPE_CHECKING:
    from digest.relevance.scoring import PaperText


class BadLine(NamedTuple):  # not a dataclass: `dataclasses` is more than `digest --help` should import
    line_number: int
    message: str


def text_of(raw: str | bytes, number: int) -> str | None:
    """The line as text, without the byte order mark a first line may start with; None when it is not UTF-8 (a
    replacement character would score other words than the file's, unsaid)."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return raw.removeprefix("\ufeff") if number == 1 else raw


def read_lines(lines: Iterable[str | bytes | None]) -> Iterator[tuple[Any, PaperText] | BadLine]:
    from digest.cli.lines import MAX_LINE_SHOWN, JsonArrayError, opens_json_array
    from digest.relevance.scoring import PaperText
    from digest.relevance.training import json_line

    first = True
    for number, raw in enumerate(lines, start=1):
        if raw is None:
            yield BadLine(number, f"longer than {MAX_LINE_SHOWN}, which no paper is (is it a JSON-lines file?)")
            continue
        line = text_of(raw, number)
        if line is None:
            yield BadLine(number, "not UTF-8 text (save the file as UTF-8)")
            continue
        if not line.strip():
            continue
        if first and opens_json_array(line):
            raise JsonArrayError
        first = False
        try:
            row = json_line(line.strip())
        except ValueError as exc:
            yield BadLine(number, str(exc))
            continue
        if not isinstance(row, dict):
            yield BadLine(number, "not a JSON object")
            continue
        title, abstract, categories = row.get("title"), row.get("abstract", ""), row.get("categories") or []
        if not isinstance(title, str) or not title.strip():
            yield BadLine(number, "no title")
            continue
        if not isinstance(abstract, str):
            yield BadLine(number, "abstract must be a string (it may be empty)")
            continue
        # A category that is no string (null, a nested list) read as its text ("None") was an off-topic category
        # that lowered the paper's score, unsaid.
        if not isinstance(categories, list) or not all(isinstance(category, str) for category in categories):
            yield BadLine(number, 'categories must be a list of strings, such as ["cs.CV", "cs.LG"]')
            continue
        unknown = arxiv_id_problem(row.get("arxiv_id"))
        if unknown:
            yield BadLine(number, unknown)
            continue
        yield row.get("arxiv_id"), PaperText(title, abstract, tuple(categories))


def arxiv_id_problem(arxiv_id: Any) -> str | None:
    """Why an arxiv_id given names no paper arXiv can have issued ('2501.1'), or None (one left out or empty is none):
    scored unsaid, it was told apart from no paper the model learnt from."""
    from digest.arxiv_references import parse_arxiv_reference, unissued_reason

    if arxiv_id is None or (isinstance(arxiv_id, str) and not arxiv_id.strip()):
        return None
    if isinstance(arxiv_id, str) and parse_arxiv_reference(arxiv_id) is not None:
        return None
    unissued = unissued_reason(arxiv_id) if isinstance(arxiv_id, str) else None
    problem = unissued or f"{one_line(str(arxiv_id))[:40]} is not an arXiv ID such as 2501.01234 or hep-th/9901001"
    return f"arxiv_id {problem} (correct it, or leave it out to score the text alone)"
