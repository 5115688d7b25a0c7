"""One publish of the list to its git repository (commit mode): fetch, bring hand edits back, render, commit, push.

The last synced file is the merge base: the maintainers' edits upstream and the decisions in the database meet in a
three-way merge (`git merge-file`), imported with the `list import` rules and rendered byte for byte, so a commit
touches only the lines that changed. A push refused because someone pushed first is redone; nothing is ever forced.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from digest import health
from digest.awesome import store as liststore
from digest.clock import utc_now
from digest.config import Settings
from digest.config.invocation import noted, noted_within, same_invocation
from digest.publish.combine import combined
from digest.publish.git import GitClone, GitError, PushRefusedError, PushRejectedError, clone_folder
from digest.publish.history import (
    PublishBlockedError,
    base_before_rewrite,
    check_branch_is_new,
    check_file_is_kept,
    check_is_a_file,
    check_upstream,
    decoded,
    pushed_before,
    put_back_lines,
    synced_commit,
)
from digest.publish.results import BLOCKED as BLOCKED
from digest.publish.results import BUSY as BUSY
from digest.publish.results import FAILED as FAILED
from digest.publish.results import PUBLISHED as PUBLISHED
from digest.publish.results import UNCHANGED as UNCHANGED
from digest.publish.results import Merged as Merged
from digest.publish.results import PublishResult as PublishResult
from digest.publish.retrying import tried_again
from digest.publish.rules import (
    Decided,
    changes,
    commit_message,
    unified_diff,
    with_trailer,
)
from digest.publish.scratch import scratch_clone, scratch_failure
from digest.publish.store import first_base, pending_decisions, record_failure, state_row
from digest.publish.taken_out import hand_deletions, kept_lines, kept_out
from digest.publish.upstream import UpstreamHeldError, import_upstream
from digest.review.taken_out import Finder
from digest.sizes import counted
from digest.storage.db import Database
from digest.storage.failures import failure_line
from digest.storage.files import held_for_writing
from digest.storage.state import PublishState
from digest.vocab import OUTCOME_LINE

log = logging.getLogger("digest.publish")

PUSH_ATTEMPTS = 4
FAILURE_LINE_LIMIT = 2000  # room for what to do at the end: a command naming the settings file and data folder


class Publisher:
    def __init__(self, database: Database, settings: Settings, clock: Callable[[], datetime] = utc_now) -> None:
        self.database = database
        self.settings = settings
        self.clock = clock
        self.git = GitClone(clone_folder(settings.data_dir), settings.publish, same_invocation(settings))
        self.source = f"{self.git.redact(self.git.url)}:{settings.publish.path}"
        self.accepting_removals = False  # `digest publish --accept-upstream`: a mass removal upstream is taken
        self.pulling_only = False  # the service's sync with nothing pending: hand edits come here, nothing is pushed

    def remember_base(self) -> None:
        """Before the first sync, the list as it stands is the merge base: decisions from now on are kept."""
        with self.database.transaction() as session:
            state_row(session, self.settings.templates_dir)

    def publish(
        self, *, dry_run: bool = False, wait: bool = True, accept_upstream: bool = False, pull_only: bool = False
    ) -> PublishResult:
        """Publishes what is pending; every failure is a result with one line, recorded and reported to /healthz.
        One at a time per data folder (`digest publish` waits for the service's): both work in the one clone. The
        service does not wait (`wait` False): a thread blocked on the lock would hold up its stop; it gets BUSY.
        `accept_upstream`: an edit upstream removing most of the list, or a history made anew, is meant (else held)."""
        self.accepting_removals, self.pulling_only = accept_upstream, pull_only
        if dry_run:
            return self._dry_run()
        waiting = "publish: waiting for the publish running in another process (the service or `digest publish`)"
        try:
            with held_for_writing(self.git.folder, on_wait=lambda: log.info(waiting), wait=wait):
                self.remember_base()  # a dry run reads the state a real run starts from (_peek_state), writing none
                return self._publish(dry_run=False)
        except BlockingIOError:
            return PublishResult(BUSY, "another process (`digest publish`) is publishing; trying again soon")
        except OSError as exc:  # a full disk or a folder it may not write: the decisions wait in the database
            where = exc.filename or self.git.folder
            line = f"cannot write {where}: {exc.strerror or exc}; free space there (or fix its permissions) to resume"
            return self._failed(FAILED, line, (), False)

    def _dry_run(self) -> PublishResult:
        """What a publish would commit and push, found in a clone of its own (publish/scratch.py): the data folder and
        the service's clone there are left as they were, and no publish in another process is waited for."""
        shared = self.git
        try:
            with scratch_clone(self.settings.publish, shared.digest, by_hand=shared.by_hand) as self.git:
                return self._publish(dry_run=True)
        except OSError as exc:  # a full temporary folder: one line, as a real run's full data folder
            return self._failed(FAILED, scratch_failure(exc), (), True)
        finally:
            self.git = shared

    def _publish(self, dry_run: bool) -> PublishResult:
        for attempt in range(1, PUSH_ATTEMPTS + 1):
            try:
                result = self._attempt(dry_run)
            except PushRejectedError as exc:
                log.info("publish: %s; fetching again (attempt %d of %d)", exc, attempt, PUSH_ATTEMPTS)
                continue
            except UpstreamHeldError as exc:
                return self._failed(BLOCKED, f"held: {exc}", (), dry_run, held=True)
            except PublishBlockedError as exc:
                for finding in exc.findings:
                    log.warning("publish: %s", noted(finding))
                return self._failed(BLOCKED, f"stopped: {exc}", tuple(exc.findings), dry_run)
            except PushRefusedError as exc:
                return self._failed(FAILED, str(exc), (), dry_run, held=True)
            except GitError as exc:
                return self._failed(FAILED, str(exc), (), dry_run)
            if not dry_run:
                health.report("publish", True, f"{result.message}")
            return result
        line = f"the push was rejected {PUSH_ATTEMPTS} times in a row; {tried_again(self.git.by_hand)}"
        return self._failed(FAILED, line, (), dry_run)

    def _failed(
        self, outcome: str, line: str, findings: tuple[str, ...], dry_run: bool, *, held: bool = False
    ) -> PublishResult:
        # git's words in it were cut already: its own kept whole; a command it names hiding a password says so once
        line = noted_within(self.git.redact(line, limit=len(line)), FAILURE_LINE_LIMIT)
        if not dry_run:
            try:
                failures = record_failure(self.database, self.settings.templates_dir, line, self.clock())
                in_a_row = f"{counted(failures, 'failed attempt')} in a row"
            except SQLAlchemyError as exc:  # the same full disk: the failure is still logged and on /healthz
                reason = failure_line(exc, self.settings.database_url)  # one line: the disk, not SQLAlchemy's words
                in_a_row = f"this failure could not be recorded in the database: {reason}"
            log.error("%s", noted(f"publish: {line} ({in_a_row}; pending decisions are kept)"))
            health.report("publish", False, line)
        return PublishResult(outcome, line, findings=findings, held=held)

    def _attempt(self, dry_run: bool) -> PublishResult:
        head = self.git.fetch()
        synced = synced_commit(self.database)
        if head is None:
            check_branch_is_new(self.git, synced, accepting=self.accepting_removals)
        upstream = self._upstream(head, synced)
        rewritten = base_before_rewrite(self.git, synced, head, self.source, accepting=self.accepting_removals)
        with self._session(dry_run) as session:
            merged = self._merge(session, head, upstream, dry_run=dry_run, base=rewritten)
        if merged.imported:
            self.write_list_file(merged.taken_out)
        diff = unified_diff(merged.theirs, merged.final, self.settings.publish.path)
        if merged.final == merged.theirs:
            if not dry_run:
                self._synced(merged, head, published=pushed_before(self.git, head, synced, merged))
            return PublishResult(UNCHANGED, f"{self.settings.publish.path} is up to date{merged.brought}", head)
        if dry_run or self.pulling_only:  # the list here differs and waits for the next decision's publish
            return self._not_pushed(merged, diff, dry_run)
        commit = self.git.commit(head, merged.final.encode("utf-8"), with_trailer(merged.message, merged.upto))
        self.git.push(commit)
        self._synced(merged, commit, published=commit)
        subject, branch = merged.message.splitlines()[0], self.settings.publish.branch
        log.info("publish: pushed %s to %s: %s", commit[:12], branch, subject, extra={OUTCOME_LINE: True})
        line = f"published {commit[:12]}: {subject}{merged.brought}"
        return PublishResult(PUBLISHED, line, commit, diff)

    def _not_pushed(self, merged: Merged, diff: str, dry_run: bool) -> PublishResult:
        if dry_run:
            return PublishResult(PUBLISHED, merged.message.splitlines()[0] + merged.brought, None, diff)
        return PublishResult(UNCHANGED, f"{self.settings.publish.path} pulled; nothing pending to push", merged.head)

    def _upstream(self, head: str | None, synced: str | None) -> bytes | None:
        """The list file at `head`; a file gone since the last sync stops publishing (renamed or deleted there)."""
        upstream = self.git.read(head)
        if head is not None and upstream is None:
            check_file_is_kept(self.git, synced, head)
        elif head is not None and upstream is not None:
            check_is_a_file(self.git, head, upstream)
        return upstream

    def write_list_file(self, taken_out: frozenset[str] = frozenset()) -> None:
        """list.md as the database holds it, once the upstream edits are committed: rendered under the file's lock
        from what is committed: a decision in another process cannot land the older text last. `taken_out`: Merged's."""
        try:
            with self.database.reading() as session:
                liststore.write_markdown(session, self.settings, taken_out)
        except OSError as exc:
            log.error("publish: %s could not be written (%s)", self.settings.list_markdown_path, exc.strerror or exc)

    @contextmanager
    def _session(self, dry_run: bool) -> Iterator[Session]:
        """One transaction, exclusive as a decision's is (the merge imports the list); a dry run's is rolled back
        (replaying the decisions writes, in a savepoint)."""
        with self.database.transaction(exclusive=True) as session:
            try:
                yield session
            finally:
                if dry_run:
                    session.rollback()

    def _merge(
        self, session: Session, head: str | None, upstream: bytes | None, *, dry_run: bool, base: str | None = None
    ) -> Merged:
        """Upstream edits and the pending decisions in one text; applied to the database unless `dry_run`.
        `base` overrides the last synced file as the merge base (a merged pull request's file, or a force-push's)."""
        state = state_row(session, self.settings.templates_dir) if not dry_run else None
        base_text, after_id = (state.base_text, state.last_decision_id) if state else self._peek_state(session)
        base_text = base if base is not None else base_text
        upto, decided = pending_decisions(session, after_id)
        ours = liststore.render_markdown(session, self.settings.templates_dir)
        merge_base = base_text if base_text is not None else ours
        theirs = self._decode(upstream) if upstream is not None else None
        imported, brought, kept = False, list[str](), list[str]()
        if theirs is None or theirs == merge_base:
            final = ours
        else:
            check_upstream(self.source, self.settings.publish.path, merge_base, theirs, first=base_text is None)
            final = self._combine(session, ours, merge_base, theirs, decided)
            if base_text is not None:  # an entry taken out by hand there that a pending change would put back
                taken = (merge_base, theirs, final)
                final, kept = kept_out(session, taken, decided, *self._finding(head), self.git.digest)
                brought += [f"; {clause}" for clause in kept]
            if final != ours and dry_run:  # imported to hold as the real run would, then rolled back
                self._import(session, final, head, said=brought)
            elif final != ours:
                final, imported = self._import(session, final, head), True
        if state is not None and theirs is not None and theirs != merge_base:
            state.base_text, state.synced_commit = theirs, head  # the database now holds the upstream edits
        message = commit_message(changes(decided, theirs or "", final), first=theirs is None)
        message += kept_lines(kept, self.git.digest)
        message += put_back_lines(theirs or "", final, message) if base is not None else ""
        return Merged(head, theirs or "", final, upto, message, imported, len(decided), "".join(brought), ours)

    def _peek_state(self, session: Session) -> tuple[str | None, int]:
        """The state a real run would use, not written: a dry run before the first sync shows what that sync does."""
        state = session.get(PublishState, 1)
        if state is None:
            return first_base(session, self.settings.templates_dir)
        return state.base_text, state.last_decision_id

    def _decode(self, data: bytes) -> str:
        return decoded(data, self.source)

    def _combine(self, session: Session, ours: str, base: str, theirs: str, decided: list[Decided]) -> str:
        return combined(self.git, session, (ours, base, theirs), decided, self.settings, self.clock())

    def _import(self, session: Session, text: str, head: str | None, *, said: list[str] | None = None) -> str:
        source, found, publish = f"{self.source}@{(head or '')[:12]}", self._finding(head)[2], self.git.publish
        now, templates, accepting = self.clock(), self.settings.templates_dir, self.accepting_removals
        return import_upstream(
            session, text, source, now, templates, accepting_removals=accepting, said=said, found=found, publish=publish
        )

    def _finding(self, head: str | None) -> tuple[Path, datetime, Finder]:
        return self.settings.templates_dir, self.clock(), hand_deletions(self.git, head)

    def _synced(self, merged: Merged, commit: str | None, *, published: str | None) -> None:
        """The sync recorded at `commit`; `published` names the service's commit of the decisions, if one was."""
        with self.database.transaction() as session:
            state = state_row(session, self.settings.templates_dir)
            state.base_text, state.synced_commit = merged.final, commit
            state.last_decision_id = max(state.last_decision_id, merged.upto)
            state.failures, state.last_error, state.attempted_at = 0, None, self.clock()
            if published:
                state.published_commit, state.published_at = published, self.clock()
