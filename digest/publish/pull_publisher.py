"""One publish in pull-request mode: the list, hand edits brought back as in commit mode, pushed to a branch of the
service's own, and one pull request opened or updated through the forge's API.

The target branch stays the maintainers' (never pushed to); the merge base for their edits is the target's file as
last synced, or once they merged the service's pull request, the file as pushed there. After a merge or a close the
next approval opens a new pull request from a fresh branch (updates-2, updates-3, ...), so nothing is force-pushed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from digest.clock import utc_now
from digest.config import Settings, repository_slug
from digest.publish.forge import Forge, ForgeError
from digest.publish.git import GitError
from digest.publish.history import PublishBlockedError, base_before_rewrite, put_back_papers, synced_commit
from digest.publish.publisher import Publisher
from digest.publish.pull import (
    Pull,
    PullStanding,
    differing_ids,
    next_branch,
    pull_body,
    pull_of,
    pull_title,
)
from digest.publish.results import PUBLISHED, UNCHANGED, Merged, PublishResult
from digest.publish.rules import Change, Decided, changes, unified_diff
from digest.publish.store import decided_for, state_row
from digest.sizes import counted
from digest.storage.db import Database
from digest.storage.state import PublishState
from digest.vocab import OUTCOME_LINE

log = logging.getLogger("digest.publish")


def publisher_for(database: Database, settings: Settings, clock: Callable[[], datetime] = utc_now) -> Publisher:
    """The publisher for the configured mode."""
    if settings.publish.mode == "pull-request":
        return PullRequestPublisher(database, settings, clock)
    return Publisher(database, settings, clock)


def _put_back(merged: Merged, found: list[Change]) -> list[tuple[str, str, str]]:
    """Papers a force-push of the target dropped that the list here puts back, beside the decided ones: the pull
    request adds them, so its title and description name them (as commit mode's message does)."""
    named = {change.arxiv_id for change in found}
    return [paper for paper in put_back_papers(merged.theirs, merged.final) if paper[0] not in named]


class PullRequestPublisher(Publisher):
    def __init__(self, database: Database, settings: Settings, clock: Callable[[], datetime] = utc_now) -> None:
        super().__init__(database, settings, clock)
        slug = repository_slug(settings.publish.repository or "")
        if slug is None:  # settings refuse such a URL in this mode; a hand-made Settings may still hold one
            raise ValueError("publish.repository must end in owner/name in pull-request mode")
        owner, name = slug
        token = settings.publish.token.get_secret_value() if settings.publish.token else None
        self.forge = Forge(settings.publish.api_url, owner, name, token)

    def _attempt(self, dry_run: bool) -> PublishResult:
        target = self.settings.publish.branch
        head = self.git.fetch()
        if head is None:
            raise GitError(f"the branch {target} is not in {self.source}; a pull request needs a branch to target")
        synced = synced_commit(self.database)
        upstream = self._upstream(head, synced)
        # A force-push of the target is merged as in commit mode: from the commit both histories share (or, accepted,
        # as an edit of the last synced file when they share none).
        rewritten = base_before_rewrite(self.git, synced, head, self.source, accepting=self.accepting_removals)
        _number, branch, pushed_text = self._pull_state()
        pull = pull_of(self.forge.pulls(branch, "all"), branch) if branch else Pull(PullStanding.NONE, None)
        # Once maintainers merged the pushed file, their edits are what differs from it.
        pushed_base = pushed_text if pull.standing is PullStanding.MERGED else None
        with self._session(dry_run) as session:
            merged = self._merge(session, head, upstream, dry_run=dry_run, base=rewritten or pushed_base)
            found = self._found(session, merged)
        if merged.imported:
            self.write_list_file(merged.taken_out)
        is_open = pull.standing is PullStanding.OPEN and branch is not None
        left_behind = pull.number if is_open and self._left_behind(synced, head) else None
        is_open = is_open and left_behind is None  # a branch of the old history: a new pull request from the new one
        proposed = pushed_text if is_open and pushed_text is not None else merged.theirs
        diff = unified_diff(merged.theirs, merged.final, self.settings.publish.path)
        if merged.final == proposed:
            if not dry_run and left_behind is not None:  # its papers are on the target's new history already
                self._close_left_behind(left_behind, branch, None)
            if not dry_run:
                self._synced_pull(merged, head, None if is_open else (None, branch, None))
            return PublishResult(UNCHANGED, f"{self.settings.publish.path} is up to date", head)
        back = _put_back(merged, found) if (rewritten or pushed_base) is not None else []
        title, body = pull_title(found, len(back)), pull_body(found, self.settings.publish.path, back)
        # A pull request closed unmerged is not opened again until a decision; one on a rewritten history is moved at
        # once (the sync takes the new history as the last synced one, after which it would not be known as left).
        if dry_run or (self.pulling_only and left_behind is None):
            return self._not_pushed(replace(merged, message=title), diff, dry_run)
        where = branch if is_open and branch else next_branch(branch)
        commit = self._push(where, head, merged, pushed_text if where == branch else None)
        number = self._open_or_update(where, title, body)
        if left_behind is not None:
            self._close_left_behind(left_behind, branch, number)
        self._synced_pull(merged, head, (number, where, merged.final), commit)
        pushed = "publish: pushed %s to %s; pull request #%d: %s"
        log.info(pushed, commit[:12], where, number, title, extra={OUTCOME_LINE: True})
        return PublishResult(PUBLISHED, f"published {commit[:12]} in pull request #{number}: {title}", commit, diff)

    def _left_behind(self, synced: str | None, head: str) -> bool:
        """Whether the target's history was rewritten since the last sync (a force-push): the open pull request's
        branch holds the old history, and merging the target into it would bring back, on merging the pull request,
        every commit the rewrite took away."""
        return synced is not None and self.git.knows(synced) and not self.git.is_ancestor(synced, head)

    def _close_left_behind(self, number: int, branch: str | None, new: int | None) -> None:
        """The pull request of the old history closed (its branch left as it is: nothing is force-pushed), its papers
        being in the `new` one, or on the target already (None); a forge refusing says so, for a maintainer to do."""
        target = self.settings.publish.branch
        where = f"in #{new}" if new is not None else f"on {target} already"
        try:
            self.forge.close(number)
        except ForgeError as exc:
            log.warning(
                "publish: the history of %s was rewritten; close pull request #%d (from %s, on the old history) by "
                "hand, its papers are %s: %s",
                *(target, number, branch, where, exc),
            )
            return
        log.warning(
            "publish: the history of %s was rewritten; pull request #%d (from %s, on the old history) closed, its "
            "papers are %s",
            *(target, number, branch, where),
        )

    def _combine(self, session: Session, ours: str, base: str, theirs: str, decided: list[Decided]) -> str:
        """As in commit mode, with the open pull request's papers made again on the target's file beside the pending
        ones: they are not on the target yet, so they too are what the list here holds beyond its file."""
        return super()._combine(session, ours, base, theirs, decided_for(session, differing_ids(base, ours)) or decided)

    def _pull_state(self) -> tuple[int | None, str | None, str | None]:
        with self.database.reading() as session:
            state = session.get(PublishState, 1)
            return (state.pull_number, state.pull_branch, state.pull_text) if state else (None, None, None)

    def _found(self, session: Session, merged: Merged) -> list[Change]:
        """Every paper the pull request adds or removes against the target branch, with who decided it."""
        decided = decided_for(session, differing_ids(merged.theirs, merged.final))
        return changes(decided, merged.theirs, merged.final)

    def _push(self, branch: str, head: str, merged: Merged, pushed: str | None) -> str:
        """A commit on the branch's tip (a fresh branch starts at the target's), merging the target in when it moved;
        always a fast-forward. A tip that holds the file already is kept (the forge failed after the push). Commits a
        maintainer added to the branch since the service's last push (a suggestion applied in review) are kept: the
        update is merged with them, with that push as the base."""
        tip = self.git.fetch(branch)
        final = merged.final
        on_tip = self.git.read(tip) if tip is not None else None
        if on_tip is not None and pushed is not None and on_tip != pushed.encode("utf-8"):
            final = self._with_branch_edits(branch, final, pushed, self._decode(on_tip))
        if tip is not None and on_tip == final.encode("utf-8"):
            return tip  # pushed before the pull request could be opened (the forge failed): open it now
        if tip is None:
            commit = self.git.commit(head, final.encode("utf-8"), merged.message)
        else:
            also = None if self.git.is_ancestor(head, tip) else head
            commit = self.git.commit(tip, final.encode("utf-8"), merged.message, merge_parent=also)
        self.git.push(commit, branch)
        return commit

    def _with_branch_edits(self, branch: str, final: str, pushed: str, on_branch: str) -> str:
        text, conflicts = self.git.merge(final, pushed, on_branch)
        if conflicts:
            raise PublishBlockedError(
                f"a commit on the pull request's branch {branch} touches the same lines as "
                f"{counted(conflicts, 'pending change')}; merge or close the pull request, then publish again"
            )
        log.info("publish: kept the edits made on %s since the last push", branch)
        return text

    def _open_or_update(self, branch: str, title: str, body: str) -> int:
        opened = pull_of(self.forge.pulls(branch, "open"), branch)
        if opened.standing is PullStanding.OPEN and opened.number is not None:
            return self.forge.update(opened.number, title, body)
        return self.forge.create(branch, self.settings.publish.branch, title, body)

    def _synced_pull(
        self,
        merged: Merged,
        head: str,
        pull: tuple[int | None, str | None, str | None] | None,
        commit: str | None = None,
    ) -> None:
        """The target's file is the next merge base; `pull` (number, branch, pushed file) replaces the stored one."""
        with self.database.transaction() as session:
            state = state_row(session, self.settings.templates_dir)
            state.base_text, state.synced_commit = merged.theirs, head
            state.last_decision_id = max(state.last_decision_id, merged.upto)
            state.failures, state.last_error, state.attempted_at = 0, None, self.clock()
            if pull is not None:
                state.pull_number, state.pull_branch, state.pull_text = pull
            if commit is not None:
                state.published_commit, state.published_at = commit, self.clock()
