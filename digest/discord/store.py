"""What the Discord bot reads and writes in the database (called from worker threads, never from the loop)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from digest.arxiv import poll_runs
from digest.awesome import store as liststore
from digest.clock import utc_now
from digest.discord.gone import GONE
from digest.discord.reactions import ReactionChoice, ReactionId, SeenReaction, decision_key, reaction_key
from digest.discord.replay import Key, LoggedDecision
from digest.review.queries import latest_decision, pending_query
from digest.review.rules import SuggestedSection, undone_by_removal
from digest.review.suggestions import suggestions_now
from digest.storage.bot_state import DiscordReaction
from digest.storage.db import Database
from digest.storage.models import PENDING, Candidate, Decision
from digest.storage.poll_state import PollRun

# A candidate whose message Discord refuses (AutoMod, a limit): not posted again while the bot runs; it waits on the
# review page. The next start tries it once more (retry_refused): the server's rules or the config may have changed.
REFUSED = "refused"
# decisions.command of a decision recorded before schema 0015 (command "") that the first catching up after the upgrade
# found no reaction for and kept: an /add's, or a reaction taken back while away; no reaction's from then on.
SETTLED_UNSURE = "add?"

# A candidate whose message is being sent: a process killed before recording it leaves it so, and the next posting
# looks in the channel for its message before sending another (posting.Poster._sent_before).
SENDING = "sending"


def _to_post() -> Select[tuple[Candidate]]:
    """Pending first-tier candidates (`pending_query` leaves the second tier out) not, or no longer, in the channel."""
    return pending_query().where(Candidate.discord_state.in_(("unposted", "repost", SENDING, GONE)))


def mark_sending(database: Database, candidate_id: int) -> str:
    """Records that the candidate's message is being sent; the nonce Discord dedupes the send's own retries by."""
    now = utc_now()
    with database.transaction() as session:
        candidate = session.get(Candidate, candidate_id)
        if candidate is not None:
            candidate.discord_state, candidate.discord_posted_at = SENDING, now
    return f"{candidate_id}.{int(now.timestamp())}"[-25:]


def candidates_to_post(database: Database, cap_setting: int) -> tuple[list[Candidate], list[int]]:
    """Pending relevant candidates not (or no longer) in the channel, best first, up to the cap; and the ids of those
    left waiting."""
    with database.reading() as session:
        rows = list(session.scalars(_to_post()))
        session.expunge_all()  # keep the loaded rows readable after the session closes
    cap = max(0, cap_setting)
    return rows[:cap], [row.id for row in rows[cap:]]


def decided_while_sending(database: Database) -> list[Candidate]:
    """Candidates decided (on the web, the CLI, a feed link) while Discord was failing their post: it may hold their
    message all the same, showing them pending."""
    with database.reading() as session:
        rows = list(
            session.scalars(select(Candidate).where(Candidate.discord_state == SENDING, Candidate.status != PENDING))
        )
        session.expunge_all()
    return rows


def retry_refused(database: Database) -> int:
    """Pending candidates whose message Discord refused are to be posted again; how many."""
    with database.transaction() as session:
        rows = list(session.scalars(pending_query().where(Candidate.discord_state == REFUSED)))
        for candidate in rows:
            candidate.discord_state = "unposted"
        return len(rows)


def candidate_for_message(database: Database, message_id: int) -> int | None:
    with database.reading() as session:
        return session.scalar(select(Candidate.id).where(Candidate.discord_message_id == str(message_id)))


def load(database: Database, candidate_id: int) -> Candidate | None:
    with database.reading() as session:
        candidate = session.get(Candidate, candidate_id)
        session.expunge_all()
        return candidate


def is_pending(database: Database, candidate_id: int) -> bool:
    with database.reading() as session:
        return session.scalar(select(Candidate.status).where(Candidate.id == candidate_id)) == PENDING


def update(database: Database, candidate_id: int, **values: Any) -> None:
    with database.transaction() as session:
        candidate = session.get(Candidate, candidate_id)
        if candidate is not None:
            for key, value in values.items():
                setattr(candidate, key, value)


def deciding_actor(database: Database, candidate_id: int, user_id: int, choice: ReactionChoice) -> str | None:
    """The decider's name when this user's reaction made the decision that stands; else None."""
    with database.reading() as session:
        candidate = session.get(Candidate, candidate_id)
        latest = latest_decision(session, candidate_id)
        if candidate is None or latest is None:
            return None
        decided_as = decision_key(latest.actor_id, latest.action, _current_name(session, latest.section))
        suggested = _listed_name(session, candidate.suggested_section) or candidate.suggested_section
        removed_as = reaction_key(user_id, choice, suggested)
        if not undone_by_removal(candidate.status, _reacted_through(latest), decided_as, removed_as):
            return None
        return latest.actor


def to_catch_up(database: Database, since: datetime, messages: Iterable[int] = ()) -> list[tuple[int, int]]:
    """Posted candidates whose reactions may have changed while the bot was away: the pending ones, and those decided
    since `since` (a reaction taken back, or another maintainer's later one; and a reaction made against a decision
    taken on the web meanwhile, recorded as overruled by it as when made live, or a later undo there let it decide);
    and those of `messages` whatever their age (a reaction on them the database failed to take in)."""
    recent, missed = select(Decision.candidate_id).where(Decision.at >= since), [str(mid) for mid in messages]
    query = select(Candidate.id, Candidate.discord_message_id).where(
        Candidate.discord_state == "posted",
        Candidate.discord_message_id.is_not(None),
        or_(Candidate.status == PENDING, Candidate.id.in_(recent), Candidate.discord_message_id.in_(missed)),
    )
    with database.reading() as session:
        return [(row[0], int(row[1])) for row in session.execute(query.order_by(Candidate.id))]


def out_of_sync(database: Database) -> list[int]:
    """Posted candidates whose message shows another status, decision or version of the paper than the row holds."""
    query = select(Candidate.id).where(
        Candidate.discord_state == "posted",
        Candidate.discord_message_id.is_not(None),
        or_(
            Candidate.discord_shown_status.is_(None),
            Candidate.discord_shown_status != Candidate.status,
            Candidate.discord_shown_decided_at.is_distinct_from(Candidate.decided_at),
            Candidate.discord_shown_version.is_distinct_from(Candidate.version),
        ),
    )
    with database.reading() as session:
        return list(session.scalars(query))


def reaction_history(database: Database, candidate_id: int) -> list[LoggedDecision]:
    """The candidate's decisions, oldest first, in the form `replay.seen_reactions` reads."""
    with database.reading() as session:
        return logged_decisions(session, candidate_id)


def logged_decisions(session: Session, candidate_id: int) -> list[LoggedDecision]:
    query = select(Decision).where(Decision.candidate_id == candidate_id).order_by(Decision.id)  # as made, not by clock
    return [
        LoggedDecision(
            _reacted_through(row),
            row.action,
            decision_key(row.actor_id, row.action, _current_name(session, row.section)),
            row.applied,
            row.actor,
            row.command == "",
            row.id,
        )
        for row in session.scalars(query)
    ]


def keyed_reactions(
    session: Session, candidate: Candidate, rows: Iterable[DiscordReaction]
) -> list[tuple[Key, DiscordReaction]]:
    """Reactions seen on the candidate's message, each with what it asks for (`reaction_key`, sections as named now)."""
    suggested = _listed_name(session, candidate.suggested_section) or candidate.suggested_section
    return [
        (reaction_key(row.user_id, ReactionChoice(row.action, _current_name(session, row.section)), suggested), row)
        for row in rows
    ]


def settle_unsure(database: Database, decision_id: int) -> None:
    """A decision recorded before schema 0015 that catching up kept with no reaction under its message: read from now
    on as an /add's (SETTLED_UNSURE), so the next restarts neither take it back nor say so again."""
    with database.transaction() as session:
        decision = session.get(Decision, decision_id)
        if decision is not None and decision.command == "":
            decision.command = SETTLED_UNSURE


def ids_to_post(database: Database) -> set[int]:
    """The ids `candidates_to_post` chooses from, whoever found them (this process, `digest poll`, a backfill)."""
    with database.reading() as session:
        return set(session.scalars(_to_post().with_only_columns(Candidate.id)))


def poll_running(database: Database, now: datetime) -> bool:
    """Whether a poll (in any process) is still storing candidates. A "running" row older than a poll can take, or
    whose process is known to be gone (`digest poll` killed: kill -9, the OOM killer), holds nothing back."""
    query = select(PollRun).where(
        PollRun.outcome == poll_runs.RUNNING, PollRun.started_at > now - poll_runs.FOREIGN_RUN_TIMEOUT
    )
    with database.reading() as session:
        return any(not poll_runs.known_gone(run) for run in session.scalars(query))


def _listed_name(session: Session, suggested: str | None) -> str | None:
    """The list's name for the suggested section (named loosely, as the Reviewer matches it), or None: its label, as
    the decision log records it ("Probing (2024)" where the list repeats a heading; the bare name means neither)."""
    section = liststore.resolve_section(session, suggested) if suggested else None
    return liststore.label_of(session, section) if section is not None else None


def _reacted_through(decision: Decision) -> str:
    """The channel of a decision as reactions read it: one Discord's /add made is no reaction's, and taking a
    reaction back does not undo it (as a decision made on the web is not)."""
    return f"{decision.channel} /{decision.command}" if decision.command else decision.channel


def _current_name(session: Session, recorded: str | None) -> str | None:
    """A section as a decision recorded it, by the list's name now: the maintainers may have renamed it since, and a
    reaction names it as it is called now."""
    return _listed_name(session, recorded) or recorded


def suggestion_now(database: Database, suggested: str | None) -> SuggestedSection | None:
    """The candidate's suggested section as the list has it now (its label: what ✅ approves into); None without one."""
    with database.reading() as session:
        return suggestions_now(session, [suggested]).get(suggested) if suggested else None


def listed_names(database: Database, names: Iterable[str]) -> dict[str, str]:
    """Each of `names` (the config's for its section emojis) -> the list's name for it, as the Reviewer resolves it and
    the decision log records it; a name the list lacks stays as it is."""
    with database.reading() as session:
        return {name: _listed_name(session, name) or name for name in names}


def listed_choice(database: Database, choice: ReactionChoice) -> ReactionChoice:
    """A section emoji's choice naming its section as the list (and so the decision log) names it."""
    if choice.section is None:
        return choice
    return replace(choice, section=listed_names(database, [choice.section])[choice.section])


def section_names(database: Database) -> list[str]:
    """The list's sections, in the list's order, for the /add command's section field."""
    with database.reading() as session:
        return liststore.section_names(session)


def seen_reactions(database: Database, candidate_id: int) -> dict[ReactionId, SeenReaction]:
    """The reactions on the candidate's message the bot has seen, by who and which emoji."""
    with database.reading() as session:
        return {
            (row.user_id, row.emoji): SeenReaction(
                ReactionChoice(row.action, _current_name(session, row.section)), row.counted
            )
            for row in session.scalars(_reactions_of(candidate_id))
        }


def note_reactions(
    database: Database,
    candidate_id: int,
    sightings: dict[ReactionId, SeenReaction],
    there: Iterable[ReactionId] | None = None,
    *,
    anew: bool = False,
) -> None:
    """Records reactions seen (`anew`: a reaction just made, replacing one seen before that the bot missed being
    taken back); with `there`, every reaction on the message now, forgets those no longer on it."""
    with database.transaction() as session:
        rows = {(r.user_id, r.emoji): r for r in session.scalars(_reactions_of(candidate_id))}
        if there is not None:
            for gone in rows.keys() - set(there):
                session.delete(rows.pop(gone))
        for (user_id, emoji), seen in sightings.items():
            row = rows.get((user_id, emoji))
            if row is not None and not anew:
                continue
            if row is None:
                row = DiscordReaction(candidate_id=candidate_id, user_id=user_id, emoji=emoji)
                session.add(row)
            row.action, row.section, row.counted = seen.choice.action, seen.choice.section, seen.counted
            row.seen_at = utc_now()


def _reactions_of(candidate_id: int) -> Select[tuple[DiscordReaction]]:
    return select(DiscordReaction).where(DiscordReaction.candidate_id == candidate_id)
