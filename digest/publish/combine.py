"""An upstream edit and the pending decisions brought together: the line merge, and where the lines meet, the
decisions made again on the upstream file (publish/replay.py); else why they cannot be, and what to do."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial

from sqlalchemy.orm import Session

from digest.config import Settings
from digest.config.invocation import same_invocation
from digest.publish.git import GitClone
from digest.publish.history import PublishBlockedError
from digest.publish.replay import conflict_line, replayed
from digest.publish.rules import Decided, doubles_entries, sections_left
from digest.sizes import counted

log = logging.getLogger("digest.publish")


def combined(
    git: GitClone,
    session: Session,
    texts: tuple[str, str, str],
    decided: list[Decided],
    settings: Settings,
    now: datetime,
) -> str:
    """The list with the upstream edit (`texts`: ours, the base, theirs) and the pending decisions both in; raises
    PublishBlockedError when they cannot be brought together. The commands its line prints run on `settings` (the
    service's settings file and data folder: where a maintainer would run them)."""
    ours, base, theirs = texts
    if ours == base:
        return theirs
    text, conflicts = git.merge(ours, base, theirs)
    doubled = not conflicts and doubles_entries(text, ours, theirs)  # a paper listed upstream and approved here
    if not conflicts and not doubled:
        return text
    # The lines met; the decisions may not. Made again on the upstream file, they give what the database holds
    # (a maintainer brought that file in by hand), or, when they alone made the database differ from the base,
    # the upstream file with them: nothing of either side is lost (an approval leaves a paper listed as is).
    templates, left, command = settings.templates_dir, sections_left(base, ours), partial(same_invocation, settings)
    on_theirs, stuck = replayed(session, theirs, decided, templates, now, settings.publish.path, left, command)
    made = on_theirs is not None and on_theirs != ours  # else nothing to check it against
    on_base = replayed(session, base, decided, templates, now, left=left)[0] if made else None
    if on_theirs is not None and ours in (on_theirs, on_base):
        log.info(
            "publish: the upstream edits and %s met; made again on them", counted(len(decided), "pending decision")
        )
        return on_theirs
    if doubled and not stuck:  # the list here holds edits of its own: the merge, as before, rather than a stop
        return text
    source = f"{git.redact(git.url)}:{settings.publish.path}"
    raise PublishBlockedError(conflict_line(source, conflicts, stuck, command("list", "import")))
