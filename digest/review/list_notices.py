"""The standing notices of list papers arXiv withdrew, restored or retitled, as /review shows them above the candidates,
and their dismissal there (who and when kept; a later version told makes a new notice: arxiv.notices.record_told)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, exists, select
from sqlalchemy.orm import Session, aliased

from digest.awesome.holding import sections_holding_each
from digest.storage.poll_state import ListNotice
from digest.vocab import Notice

SHOWN = 50  # notices shown at most: a list withdrawn wholesale is a matter for the log, not the top of the page
_WHAT = {Notice.WITHDRAWN: "withdrawn on arXiv", Notice.RETITLED: "retitled on arXiv"}
_PAIRED = (Notice.WITHDRAWN, Notice.RESTORED)  # of a paper's withdrawal and restore, the later version's stands
# One poll tells of a paper's withdrawal (or restore) and its new title at once: they are listed in the order the
# poll's line says them, not as the rows lie (PostgreSQL moves a row it updates to the end: the new title came first).
_TOLD_ORDER = case({Notice.WITHDRAWN: 0, Notice.RESTORED: 1, Notice.RETITLED: 2}, value=ListNotice.notice, else_=3)


@dataclass(frozen=True)
class StandingNotice:
    arxiv_id: str
    notice: Notice
    title: str | None  # the version's title on arXiv (feed text)
    sections: list[str]  # where the list holds it now
    changed_on: datetime | None
    comment: str | None  # arXiv's words withdrawing it (feed text)
    version: int  # the version told of (0: a feed that named none)

    @property
    def what(self) -> str:
        if self.notice == Notice.RESTORED:
            return f"no longer withdrawn: arXiv restored it in v{self.version}"
        return _WHAT[self.notice]


def standing_notices(session: Session) -> list[StandingNotice]:
    """The notices no maintainer dismissed, newest told first; a withdrawn notice ended by a later restore is not one,
    nor a restore a later withdrawal undid."""
    other = aliased(ListNotice)
    later = exists().where(
        other.arxiv_id == ListNotice.arxiv_id,
        other.notice.in_(_PAIRED),
        other.notice != ListNotice.notice,
        other.version > ListNotice.version,
    )
    query = (
        select(ListNotice)
        .where(ListNotice.dismissed_at.is_(None), ~(ListNotice.notice.in_(_PAIRED) & later))
        .order_by(ListNotice.told_at.desc(), ListNotice.arxiv_id, _TOLD_ORDER)
        .limit(SHOWN)
    )
    rows = list(session.scalars(query))
    held = sections_holding_each(session, [(row.arxiv_id, None) for row in rows]) if rows else {}
    return [
        StandingNotice(
            arxiv_id=row.arxiv_id,
            notice=Notice(row.notice),
            title=row.title,
            sections=held.get(row.arxiv_id, []),
            changed_on=row.changed_at,
            comment=row.comment,
            version=row.version,
        )
        for row in rows
    ]


def dismiss_notice(session: Session, arxiv_id: str, notice: str, who: str, now: datetime) -> bool:
    """Dismisses the standing notice, in the caller's transaction; False when there is none (dismissed already, the
    paper gone from the list, or no such notice)."""
    if notice not in set(Notice):
        return False
    row = session.get(ListNotice, (arxiv_id, notice))
    if row is None or row.dismissed_at is not None:
        return False
    row.dismissed_by, row.dismissed_at = who, now
    return True
