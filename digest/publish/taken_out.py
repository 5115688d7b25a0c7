"""A paper a maintainer took out of the list by hand upstream since the last sync, which a pending change here would put
back (an approval made meanwhile, a move into another section): the hand deletion stands, every other change of the
publish is kept, and the publish says so in one clause naming the paper and the commit and author that took it out.
An approval made on purpose afterwards puts it back (review/taken_out.py: its answer says whose deletion it undoes).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from digest.awesome import store as liststore
from digest.awesome.parse import ListFormatError
from digest.publish.git import GitClone
from digest.publish.references import inert_references
from digest.publish.rules import Decided, listed_papers, one_line
from digest.review.taken_out import Finder, TakenOut
from digest.vocab import Action, decided_by

log = logging.getLogger("digest.publish")


def hand_deletions(git: GitClone, head: str | None) -> Finder:
    """Who took a paper out of the list file, as its history up to `head` says: the newest commit changing how often
    the file names the paper's arXiv ID."""

    def found(arxiv_id: str) -> TakenOut | None:
        if head is None:
            return None
        said = git.log("-1", "--abbrev=12", "--format=%h%x00%an%x00%at", f"-S{arxiv_id}", head).strip().split("\0")
        if len(said) != 3 or not said[2].isdigit():
            return None
        return TakenOut(datetime.fromtimestamp(int(said[2]), UTC), one_line(said[1], 80) or None, f"commit {said[0]}")

    return found


def kept_out(
    session: Session,
    texts: tuple[str, str, str],
    decided: list[Decided],
    templates_dir: Path,
    now: datetime,
    found: Finder,
    digest: str,
) -> tuple[str, list[str]]:
    """(`final` without the papers `base` listed, `theirs` lists nowhere and `final` lists again by a pending approval
    here, what the publish says of each: one clause). `texts`: (base, theirs, final)."""
    base, theirs, final = texts
    before, upstream, merged = listed_papers(base), listed_papers(theirs), listed_papers(final)
    back = [
        item
        for item in decided
        if item.action == Action.APPROVE and before[item.arxiv_id] and not upstream[item.arxiv_id]
        if merged[item.arxiv_id]
    ]
    if not back:
        return final, []
    savepoint = session.begin_nested()
    try:
        liststore.import_markdown(session, final.encode("utf-8"), source="publish keep-out", now=now)
        for item in back:
            for paper_id in liststore.paper_ids(session, item.arxiv_id):
                for label in liststore.sections_holding(session, paper_id=paper_id):
                    liststore.remove_paper_entry(session, paper_id=paper_id, section_name=label, now=now)
        final = liststore.render_markdown(session, templates_dir)
    except ListFormatError:
        return final, []
    finally:
        savepoint.rollback()
    said = [_stays_out(item, found(item.arxiv_id), digest) for item in back]
    for clause in said:
        log.warning("publish: %s", clause)
    return final, said


def kept_lines(said: list[str], digest: str) -> str:
    """The clauses of `kept_out`, each a line of the commit message's body, references in them made dead. The command
    each names is written `digest ...`: the service's own invocation (`digest`: its settings file, data folder, and a
    database URL's user and host) would go into the list's repository, public as often as not."""
    bare = [clause.replace(f"`{digest} approve ", "`digest approve ") for clause in said]
    return "".join(f"\n{inert_references(clause)}\n" for clause in bare)


def _stays_out(item: Decided, taken: TakenOut | None, digest: str) -> str:
    """'2505.16146 stays out of the list: Carol took it out by hand in commit 1a2b3c4d5e6f on ..., and its approval
    into Probing by bob via cli was not put back (`digest approve 2505.16146` puts it back)', the command run as
    `digest` (the service's own invocation)."""
    who = taken.by if taken is not None and taken.by else "a maintainer"
    how = f" in {taken.how} on {taken.at:%Y-%m-%d %H:%M} UTC" if taken is not None else ""
    into = f" into {one_line(item.section, 80)}" if item.section else ""
    return (
        f"{item.arxiv_id} stays out of the list: {who} took it out by hand{how}, and its approval{into} "
        f"by {one_line(decided_by(item.actor, item.channel), 80)} was not put back "
        f"(`{digest} approve {item.arxiv_id}` puts it back)"
    )
