"""What came of one week's edition (`SendOutcome`), and why an edition is not sent now: one another process holds,
one sent, skipped, given up or refused already, one backing off (what weekly/sending.py answers without a claim)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from digest.clock import as_utc
from digest.config import Settings
from digest.config.invocation import noted, same_invocation
from digest.sizes import NAMED, counted, few_named
from digest.storage.db import Database
from digest.weekly import ledger
from digest.weekly.attempts import Owed
from digest.weekly.issue import Edition, IsoWeek
from digest.weekly.ledger import (
    FAILED,
    GIVEN_UP,
    QUIET,
    REFUSED,
    SENDING,
    SENT,
    claim_line,
    refused_line,
    week_state,
)
from digest.weekly.refusals import UNSENT
from digest.weekly.rendering import markdown_name


@dataclass(frozen=True)
class SendOutcome:
    week: str
    edition: Edition
    # sent | partly-sent | unrecorded (sent, the database could not say so) | already-sent | busy | waiting | failed
    # | given-up | refused-forgotten (refused for good, whom it owed dropped since: sent to nobody more) | quiet-skipped
    # | off | stopped (before any mail went out: owed as before, no attempt counted) | not-sent-yet (--again of an
    # edition not sent to every recipient: plain --send sends it)
    status: str
    message: str
    retry_at: datetime | None = None
    logged: bool = False  # said in a log line of its own (a send's): the job's line names its status only

    def said(self, job_week: str) -> str:
        """What came of the edition in the weekly job's one line (`job_week`, the week it named already): its status
        when its own line said more, else what the outcome says."""
        label = f"{self.edition}' edition" if self.week == job_week else f"{self.week} {self.edition}' edition"
        if self.logged:
            return f"{label} {_SHORT.get(self.status, self.status)}"
        return f"{label}: {self.message}"


# A status as the weekly job's line says it, when the edition's own line gave its details.
_SHORT = {
    "partly-sent": "partly sent",
    "unrecorded": "sent, not recorded",
    "already-sent": "already sent",
    "failed": "not sent",
    "stopped": "not sent (stopped)",
    "given-up": "not sent (given up)",
    "refused-forgotten": "not sent (refused for good)",
}


def whom(owed: Sequence[str]) -> str:
    """Who is still owed the edition (refused for now or for good), as the outcome and the log say it: up to three
    addresses named and the others counted ('r01@x, r02@x, r03@x and 37 more'); a maintainer may have to act on them,
    and the service's log carries no readers' list."""
    return few_named(owed) if owed else "nobody more"


def reached(accepted: Sequence[str] | int) -> str:
    """Who has the edition now: a few recipients (a test list) by name, a readers' list by its count ('40 recipients'):
    nobody acts on them, so the log names none of a readers' list. A count (what an edition's record keeps) is said
    as one."""
    if not accepted:
        return "nobody more"
    if isinstance(accepted, int):
        return counted(accepted, "recipient")
    return ", ".join(accepted) if len(accepted) <= NAMED else counted(len(accepted), "recipient")


# How the statuses a send by hand that reached nobody leaves as they were (ledger.KEPT_UNSENT) are said.
_KEPT = {QUIET: "skipped as a quiet week", GIVEN_UP: "given up", REFUSED: "refused"}


def kept_line(settings: Settings, week: str, edition: Edition, status: str | None) -> str:
    """What becomes of an edition sent by hand from a status the job does not retry, when nothing was sent (the
    command to try again in the service's own invocation)."""
    kept = _KEPT.get(status or "", status)
    command = same_invocation(settings, "weekly", "--week", week, "--edition", edition, "--send")
    return noted(f"the edition stays {kept} as before, not retried (`{command}` tries again)")


def sent_again_line(settings: Settings, week: str, edition: Edition) -> str:
    """How to send an edition sent already once more, said after "already sent on ...": the command (the service's
    own invocation, run as printed on this database) that forgets its send in both records and sends it."""
    command = same_invocation(settings, "weekly", "--week", week, "--edition", edition, "--send", "--again")
    return noted(f"`{command}` sends it again")


def forgotten(week: str, edition: Edition, owing: Owed) -> SendOutcome:
    """An edition given up or refused for good whose owed readers were dropped (ledger.GIVEN_UP_KEPT_FOR after):
    nobody to send it to."""
    days, done_with = ledger.GIVEN_UP_KEPT_FOR.days, owing.done_with
    on = "given up on" if done_with == "given up" else "still owed"
    line = (
        f"not sent: the addresses of the {counted(owing.forgotten, 'reader')} it was {on} were dropped {days} days"
        f" after it was {done_with}; the others have it"
    )
    return SendOutcome(week, edition, "given-up" if done_with == "given up" else "refused-forgotten", line)


def not_claimed(settings: Settings, database: Database, name: str, edition: Edition, now: datetime) -> SendOutcome:
    """Why the edition could not be claimed, as its record says (`now`: whether a send by hand still reaches whom a
    given-up edition owes; `settings`: the commands it names run as printed on this database)."""
    with database.reading() as session:
        state = week_state(session, name, edition)
    if state is not None and state.status == SENT:
        return SendOutcome(name, edition, "already-sent", f"already sent on {state.sent_at:%Y-%m-%d %H:%M} UTC")
    if state is not None and state.status == QUIET:
        command = same_invocation(settings, "weekly", "--week", name, "--send")
        return SendOutcome(name, edition, "quiet-skipped", noted(f"skipped as a quiet week (`{command}` sends it)"))
    if state is not None and state.status == GIVEN_UP:
        # Given up for the readers the server refused for now, an edition the others have is not "not sent".
        said = "not sent"
        if state.given_up and state.reached:
            said = f"sent to {reached(state.reached)}; not to {counted(state.given_up, 'recipient')}"
        by_hand = _by_hand_until(settings, state, now)
        return SendOutcome(name, edition, "given-up", noted(f"{said}: {state.last_error}{by_hand}"))
    if state is not None and state.status == REFUSED and _owed_past_keeping(state, now):
        # Those it still owed are no longer kept (or are dropped at the next poll): a send by hand reaches nobody.
        line = f"sent to {reached(state.reached)}, refused for good for the others, not retried"
        return SendOutcome(
            name,
            edition,
            "refused-forgotten",
            noted(f"{state.last_error}; {line}{_by_hand_until(settings, state, now)}"),
        )
    if state is not None and state.status == REFUSED:
        return SendOutcome(
            name, edition, "failed", noted(f"{state.last_error}; {refused_line(settings, name, edition)}")
        )
    if state is not None and state.status == FAILED:
        when = f"{state.next_attempt_at:%Y-%m-%d %H:%M} UTC" if state.next_attempt_at else "later"
        message = f"last attempt failed; next attempt at {when}"
        if state.deferred:
            # Named as the log names a list's readers; refused only if the server said so (not a send cut short).
            cut = UNSENT.decode() in (state.last_error or "")
            why = "the send was cut short" if cut else "refused for now"
            # Sent to nobody yet when the others were refused for good: not "sent".
            sent = "sent, but not yet" if state.reached else "not yet sent"
            message = f"{sent} to {whom(state.deferred)} ({why}); next attempt for them at {when}"
        return SendOutcome(name, edition, "waiting", message, state.next_attempt_at)
    if state is not None and state.status == SENDING and state.attempted_at is not None:
        # Returned with when it lapses: the service's job then tries again at that time, not a week later.
        return SendOutcome(name, edition, "busy", claim_line(state), state.attempted_at + ledger.STALE_CLAIM)
    return SendOutcome(name, edition, "busy", "another process is sending this week's email right now")


def _owed_past_keeping(state: ledger.WeekState, now: datetime) -> bool:
    """Whether the edition, done with after it reached some, owed others whose window is over at `now`."""
    until = state.kept_until
    if not state.reached or until is None or not (state.given_up or state.deferred):
        return False
    return not state.deferred or until <= as_utc(now)


def _by_hand_until(settings: Settings, state: ledger.WeekState, now: datetime) -> str:
    """Until when a send by hand still reaches those an edition given up (or refused for good) owed, or that it no
    longer can (their window over at `now`, their addresses are dropped by the next poll, job or send by hand, if
    not yet)."""
    until, days = state.kept_until, ledger.GIVEN_UP_KEPT_FOR.days
    if not (state.given_up or state.deferred) or not state.reached or until is None:
        return ""
    done_with = "given up" if state.status == GIVEN_UP else "refused for good"
    if not state.deferred:
        return f"; their addresses were dropped {days} days after it was {done_with}, on {until:%Y-%m-%d %H:%M} UTC"
    if until <= as_utc(now):
        return (
            f"; a send by hand no longer reaches them: their addresses were kept {days} days after it was {done_with},"
            f" until {until:%Y-%m-%d %H:%M} UTC, and are dropped at the next poll"
        )
    command = same_invocation(settings, "weekly", "--week", state.week, "--edition", state.edition, "--send")
    return f"; `{command}` sends it to them by hand until {until:%Y-%m-%d %H:%M} UTC"


def not_emailed(settings: Settings, week: IsoWeek, edition: Edition) -> str:
    """Why the edition is not emailed, in one line."""
    if not settings.smtp.host:
        return "email is off: set [smtp] host and recipients"
    if edition == "maintainers":
        where = settings.weekly_dir / markdown_name(week, edition)
        return f"no maintainer recipients (set [smtp] maintainer_recipients): only written to {where}"
    return "no readers' recipients (set [smtp] recipients): the readers' edition is only written as Markdown"
