"""`digest decisions list`: the imported decisions, each the relevance model does not learn from marked with why."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from digest.cli.context import Context, print_json
from digest.text import one_line

if TYPE_CHECKING:
    from digest.relevance.types import NotLearnt
    from digest.storage.state import TrainingDecision


def _why_not_learnt(row: TrainingDecision, why: NotLearnt | None) -> str:
    """The mark after a decision the model does not learn from, in words; "" for one it learns from."""
    from digest.relevance.types import NotLearnt

    if why is None:
        return ""
    if why == NotLearnt.IN_LIST:
        return "  (not learnt: the list holds this paper, and a reject of it is not learnt)"
    decided = "rejected" if row.approved else "approved"
    return f"  (not learnt: {decided} in review, and that decision stands)"


def handle_list(args: argparse.Namespace, context: Context) -> int:
    context.reading_only = True
    from digest.relevance.gathering import unlearnt_imports
    from digest.relevance.training import Verdict
    from digest.relevance.training_store import list_decisions

    with context.database.reading() as session:
        rows = list_decisions(session)
        unlearnt = unlearnt_imports(session) if rows else {}
    if args.json:
        print_json(
            [
                {
                    "arxiv_id": row.arxiv_id,
                    "decision": str(Verdict.APPROVE if row.approved else Verdict.REJECT),
                    "section": row.section,
                    "title": row.title,
                    "source": row.source,
                    "imported_at": row.imported_at.isoformat(),
                    "learnt": row.arxiv_id not in unlearnt,
                    "not_learnt_because": unlearnt.get(row.arxiv_id),
                }
                for row in rows
            ]
        )
        return 0
    if not rows:
        print("no imported decisions (digest decisions import FILE.jsonl adds them)")
        return 0
    id_width = max(len(row.arxiv_id) for row in rows)
    sections = [one_line(row.section or "-") for row in rows]
    section_width = max(map(len, sections))
    for row, section in zip(rows, sections, strict=True):
        verdict = Verdict.APPROVE if row.approved else Verdict.REJECT
        mark = _why_not_learnt(row, unlearnt.get(row.arxiv_id))
        print(f"{row.arxiv_id:<{id_width}}  {verdict:<7}  {section:<{section_width}}  {row.title}{mark}")
    return 0
