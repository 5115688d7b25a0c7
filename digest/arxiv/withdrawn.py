"""Papers in the list that arXiv announces withdrawn: the poll says so, since the list goes on linking them (and the
public feed on showing them) until a maintainer takes them out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from digest.arxiv.candidates import ListKeys, known_candidates
from digest.arxiv.notices import record_told, untold
from digest.config.invocation import password_note, same_invocation
from digest.storage.models import APPROVED
from digest.vocab import Notice

if TYPE_CHECKING:
    from digest.arxiv.parse import ArxivPaper
    from digest.config.settings import Settings


def withdrawn_in_list(
    session: Session, papers: Sequence[ArxivPaper], keys: ListKeys, now: datetime, settings: Settings
) -> list[str]:
    """One line for each paper of `papers` that the list holds and whose version announced is withdrawn; once for each
    version (notices.py), kept as told (a later version not withdrawn is restored.py's). The command
    it names is the poll's own invocation (`settings`), so that run as printed, from cron's mail or the service's log,
    it acts on the database the poll stored into."""
    held = {paper.arxiv_id: paper for paper in papers if paper.withdrawn and paper.arxiv_id in keys.arxiv_ids}
    gone = untold(session, Notice.WITHDRAWN, list(held.values()))
    record_told(session, Notice.WITHDRAWN, gone, now)
    found = known_candidates(session, [paper.arxiv_id for paper in gone]) if gone else {}
    lines = []
    for arxiv_id in (paper.arxiv_id for paper in gone):
        candidate = found.get(arxiv_id)
        if candidate is not None and candidate.status == APPROVED:
            how = f"`{same_invocation(settings, 'reject', str(candidate.id))}` takes it out"
        else:
            how = f"take it out of list.md and run `{same_invocation(settings, 'list', 'import')}`"
        lines.append(f"{arxiv_id} is in the list, but arXiv says it was withdrawn: {how}{password_note(settings)}")
    return lines


def withdrawn_clause(lines: Sequence[str]) -> str:
    """What the poll's line for a feed adds of them."""
    return "".join(f"; {line}" for line in lines)
