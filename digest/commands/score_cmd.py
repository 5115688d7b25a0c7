"""`digest score PATH.jsonl`: the poller's relevance decision for each paper in a JSON-lines file."""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from digest.commands import CommandError, Context
from digest.relevance import RelevanceModel, RulesError, model_for_database


@dataclass(frozen=True)
class BadLine:
    line_number: int
    message: str


def register(subparsers: Any) -> None:
    score = subparsers.add_parser(
        "score",
        help="score papers from a JSON-lines file against the current list",
        description=(
            "Reads one paper per line (arxiv_id, title, abstract, optional categories) and prints one JSON line "
            "per paper: arxiv_id, relevant, score, section, matched. The decision is the poller's, against the "
            "list in the data folder (a new data folder starts with the bundled list)."
        ),
    )
    score.add_argument("path", type=Path, metavar="PATH.jsonl", help="papers to score ('-' for standard input)")
    score.add_argument("--json", action="store_true", help="JSON lines only (no summary on standard error)")
    score.set_defaults(handler=handle_score)


def score_lines(model: RelevanceModel, lines: Iterable[str]) -> Iterator[dict[str, Any] | BadLine]:
    """One result per non-blank line: the judgement as a JSON-ready dict, or what was wrong with the line."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line.strip())
        except json.JSONDecodeError as exc:
            yield BadLine(number, f"not valid JSON ({exc.msg})")
            continue
        if not isinstance(row, dict):
            yield BadLine(number, "not a JSON object")
            continue
        title, abstract, categories = row.get("title"), row.get("abstract", ""), row.get("categories") or []
        if not isinstance(title, str) or not title.strip():
            yield BadLine(number, "no title")
            continue
        if not isinstance(abstract, str) or not isinstance(categories, list):
            yield BadLine(number, "abstract must be a string and categories a list")
            continue
        judgement = model.judge(title, abstract, [str(category) for category in categories])
        yield {
            "arxiv_id": row.get("arxiv_id"),
            "relevant": judgement.relevant,
            "score": judgement.score,
            "section": judgement.section,
            "matched": judgement.matched,
        }


def _open_text(path: Path) -> TextIO:
    if str(path) == "-":
        return sys.stdin
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return path.open(encoding="utf-8", errors="replace")


def handle_score(args: argparse.Namespace, context: Context) -> int:
    try:
        source = _open_text(args.path)
    except OSError as exc:
        raise CommandError(f"cannot read {args.path}: {exc.strerror or exc}") from exc
    try:
        with context.database.reading() as session:
            model = model_for_database(session, context.settings)
    except RulesError as exc:
        raise CommandError(str(exc)) from exc
    scored = relevant = bad = 0
    try:
        for result in score_lines(model, source):
            if isinstance(result, BadLine):
                bad += 1
                print(f"{args.path}:{result.line_number}: skipped: {result.message}", file=sys.stderr)
                continue
            scored += 1
            relevant += bool(result["relevant"])
            sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {args.path}: {exc}") from exc
    finally:
        if source is not sys.stdin:
            source.close()
    if not args.json:
        print(f"scored {scored} papers: {relevant} relevant, {bad} bad lines", file=sys.stderr)
    return 1 if bad else 0
