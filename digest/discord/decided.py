"""What each posted approved candidate's message says of the section it went into, held against the list now: a
heading renamed since the decision, or the paper moved by hand, edits the messages naming it otherwise, to say where
the list holds the paper (where_now, as `digest candidates` says it), and no other. Decided messages pile up over the
years: they are looked at again only when the list's headings, or the list imported (a hand edit), change."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import NamedTuple

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, load_only

from digest.awesome.importer import list_meta
from digest.awesome.labelled import labelled_sections
from digest.discord import store
from digest.discord.replay import seen_reactions
from digest.discord.standing import MadeElsewhere
from digest.discord.suggested import EDITS_PER_ROUND, SectionRows, headings, offered_emojis
from digest.review.queries import latest_decision
from digest.review.rules import SuggestedSection
from digest.review.suggestions import suggestions_among
from digest.review.where_now import decided_where_now
from digest.storage.bot_state import DiscordReaction
from digest.storage.db import Database
from digest.storage.models import APPROVED, PENDING, Candidate, Decision
from digest.vocab import Action, Channel

# Each round reads at most this many approved messages (and asks for at most EDITS_PER_ROUND edits), going on from
# there at the next round.
ROWS_PER_ROUND = 500


class Shown(NamedTuple):
    """What a candidate's message shows (`shown_now`)."""

    candidate: Candidate | None
    suggestion: SuggestedSection | None
    into: str | None
    offered: dict[str, str]
    elsewhere: MadeElsewhere | None


def shown_now(database: Database, candidate_id: int, section_emojis: Mapping[str, str]) -> Shown:
    """What a candidate's message shows, as the list has it now, read in one session, the list's sections once: the
    candidate, its suggested section (store.suggestion_now), the section an approved one went into
    (where_now.decided_where_now, as the review page's card says it; None for one not approved), the section
    emojis its legend offers (suggested.offered_emojis), and the decision made outside Discord that stands."""
    with database.reading() as session:
        candidate = session.get(Candidate, candidate_id)
        if candidate is None:
            return Shown(None, None, None, {}, None)
        labelled = labelled_sections(session)
        suggested = candidate.suggested_section
        suggestion = suggestions_among(labelled, [suggested]).get(suggested) if suggested else None
        into = None
        if candidate.status == APPROVED and candidate.decided_section:
            into = decided_where_now(session, [candidate], labelled)[candidate.id]
        offered = offered_emojis(labelled, section_emojis)
        elsewhere = made_elsewhere(session, candidate)
        session.expunge_all()
    return Shown(candidate, suggestion, into, offered, elsewhere)


def made_elsewhere(session: Session, candidate: Candidate) -> MadeElsewhere | None:
    """The decision that made the candidate's status (for a pending one, its return to pending) when made outside
    Discord, with the maintainers' reactions the bot saw on the message before it that it overruled (each 'ann ✅'):
    those that decided through Discord, or agreed; still there, they decide nothing."""
    latest = latest_decision(session, candidate.id)
    if latest is None or latest.channel == Channel.DISCORD:
        return None
    if candidate.status == PENDING and latest.action != Action.REVERT:
        return None
    names = {d.actor_id: d.actor for d in session.scalars(select(Decision).where(
        Decision.candidate_id == candidate.id, Decision.channel == Channel.DISCORD).order_by(Decision.id))}  # fmt: skip
    seen = session.scalars(
        select(DiscordReaction)
        .where(DiscordReaction.candidate_id == candidate.id, DiscordReaction.counted.is_(True))
        .where(DiscordReaction.seen_at <= latest.at)
        .order_by(DiscordReaction.seen_at)
    )
    # Only a reaction that decided, or agreed with the decision, through Discord is overruled: one refused (no
    # section to approve into) decided nothing, and the log holds no decision of it.
    decided = seen_reactions(store.logged_decisions(session, candidate.id)).overruled
    keyed = store.keyed_reactions(session, candidate, seen)
    overruled = tuple(f"{names.get(r.user_id, 'a maintainer')} {r.emoji}" for key, r in keyed if key in decided)
    return MadeElsewhere(latest.actor, latest.channel, latest.at, overruled)


def forget_reaction(database: Database, candidate_id: int, reaction: tuple[str, str]) -> bool:
    """A reaction taken back forgotten; whether the message named it (a reaction a decision made elsewhere overruled),
    so that it is edited not to."""
    user_id, emoji = reaction
    with database.transaction() as session:
        candidate = session.get(Candidate, candidate_id)
        if candidate is None:
            return False
        before = made_elsewhere(session, candidate)
        query = select(DiscordReaction).where(DiscordReaction.candidate_id == candidate_id)
        for row in session.scalars(query.where(DiscordReaction.user_id == user_id, DiscordReaction.emoji == emoji)):
            session.delete(row)
        session.flush()
        return before != made_elsewhere(session, candidate)


def _listed(session: Session) -> tuple[SectionRows, str | None]:
    """What starts a pass when it changes: the list's headings, and the hash of the list last imported (a paper moved
    by hand is imported; an approval, which moves no paper, is not)."""
    return headings(session), list_meta(session).get("sha256")


def _differing(session: Session, which: ColumnElement[bool], limit: int) -> tuple[list[int], int | None]:
    """Of the posted approved candidates `which` selects (the first `limit`, by id), those whose message names their
    section otherwise than the list now; and the last id read (None: none was)."""
    query = (
        select(Candidate)
        .options(
            load_only(
                Candidate.decided_section,
                Candidate.paper_id,
                Candidate.discord_shown_section,
                Candidate.status,
                Candidate.arxiv_id,
                Candidate.title_key,
            )
        )
        .where(
            which,
            Candidate.status == APPROVED,
            Candidate.discord_state == "posted",
            Candidate.discord_message_id.is_not(None),
        )
        .order_by(Candidate.id)
        .limit(limit)
    )
    rows = list(session.scalars(query))
    now = decided_where_now(session, rows)
    found = [c.id for c in rows if c.discord_shown_section != now[c.id]]
    return found, rows[-1].id if rows else None


class ShownDecisions:
    """A change of the list's headings or an import of it (or a start) begins a pass over the approved messages, from
    the lowest id up: each round reads the next ROWS_PER_ROUND of them, while fewer than EDITS_PER_ROUND edits are
    owed. One owed (its edit not made yet: Discord failed it) is looked at again each round until it shows the list's
    name."""

    def __init__(self) -> None:
        self._listed: tuple[SectionRows, str | None] | None = None
        self._after: int | None = None  # the last candidate the pass read; None: it read them all
        self._owed: set[int] = set()

    def stale(self, database: Database, given_up: Collection[int] = ()) -> list[int]:
        """Posted approved candidates whose message names the section they went into otherwise than the list now;
        `given_up`: messages Discord forbids the bot to edit, no longer owed (a start looks at them again)."""
        with database.reading() as session:
            listed = _listed(session)
            if listed != self._listed:
                self._listed, self._after = listed, 0
            owed = self._owed.difference(given_up)
            self._owed = set(_differing(session, Candidate.id.in_(owed), len(owed))[0]) if owed else set()
            if self._after is not None and len(self._owed) < EDITS_PER_ROUND:
                found, last = _differing(session, Candidate.id > self._after, ROWS_PER_ROUND)
                room = EDITS_PER_ROUND - len(self._owed)
                if len(found) > room:  # the rest of this batch is read again next round
                    found, last = found[:room], found[room - 1]
                self._owed.update(found)
                self._after = last
        return sorted(self._owed)
