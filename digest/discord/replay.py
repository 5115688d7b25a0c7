"""What the reactions on a message decide when the bot comes back: compared with the candidate's Discord decisions,
which reactions are new, which were taken back, and what that asks for. Pure: no network, no database.

Discord does not say when a reaction was made or removed, so the decision log says which reactions the bot had
already seen; a decision made elsewhere (web, CLI, feed) overrules the reactions seen before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field

from digest.review.rules import Actor, replayed_choice
from digest.vocab import Action, Channel, Status

# (user id, action, section casefolded): a reaction, or the decision it made (reactions.reaction_key / decision_key)
Key = tuple[str, str, str]
# (action, section named by the emoji, or None for the suggested one)
Choice = tuple[str, str | None]


@dataclass(frozen=True)
class LoggedDecision:
    """One row of the candidate's audit log, oldest first."""

    channel: str
    action: str
    key: Key
    applied: bool
    actor: str
    unsure: bool = False  # recorded before decisions.command: an /add's or a reaction's, the log cannot say
    id: int = 0  # its row in the log


@dataclass(frozen=True)
class Seen:
    """What the log says about the reactions: those it accounts for, those a decision made elsewhere overruled, and
    the reaction whose decision stands (None when the status was not made by a reaction)."""

    accounted: frozenset[Key] = frozenset()
    overruled: frozenset[Key] = frozenset()
    standing: LoggedDecision | None = None


@dataclass(frozen=True)
class Plan:
    """What to do: undo the standing reaction's decision (it was taken back), then make `choice`, if any, and record
    the new reactions of others that agree with it (`agreeing`), as they are recorded when made live."""

    undo: LoggedDecision | None = None
    choice: tuple[Choice, Actor] | None = None
    conflict: dict[Choice, Actor] = field(default_factory=dict)
    agreeing: tuple[tuple[Choice, Actor], ...] = ()
    # Reactions made before the standing decision that the bot learned of late (their author's lookup failed): a
    # later reaction decided meanwhile, so they are recorded as not applied, as if seen in their turn.
    superseded: tuple[tuple[Choice, Actor], ...] = ()


def seen_reactions(log: Iterable[LoggedDecision]) -> Seen:
    accounted: set[Key] = set()
    overruled: set[Key] = set()
    standing: LoggedDecision | None = None
    for decision in log:
        through_discord = decision.channel == Channel.DISCORD
        if through_discord and decision.action != Action.REVERT:
            accounted.add(decision.key)  # applied or not (a second maintainer agreeing), the bot saw it
            if decision.applied:
                standing = decision
        elif not decision.applied:
            continue
        elif through_discord:  # a revert by taking the deciding reaction back: that reaction is gone
            if standing is not None:
                accounted.discard(standing.key)
                overruled.discard(standing.key)
            standing = None
        else:
            overruled |= accounted
            standing = None
    return Seen(frozenset(accounted), frozenset(overruled), standing)


def plan(
    status: str,
    seen: Seen,
    present: Mapping[Key, tuple[Choice, Actor]],
    there: Set[Key] | None = None,
    held: Mapping[Key, int] | None = None,
) -> Plan:
    """`present`: the maintainers' reactions on the message now; `there`: every reaction on it, a former maintainer's
    too (default: `present`). Only a deciding reaction no longer there is taken back. New reactions decide (the latest
    decision stands); without new ones, a pending candidate takes what the standing, not overruled reactions ask for.
    `held`: reactions seen as they came whose deciding waited for Discord, each with the last log row's id then; one
    older than the standing decision does not overturn it (as it would not have, decided in its turn)."""
    there = present.keys() if there is None else there
    undo = None
    if status != Status.PENDING and seen.standing is not None and seen.standing.key not in there:
        undo = seen.standing
        status = Status.PENDING
    new = {key: wish for key, wish in present.items() if key not in seen.accounted}
    standing = seen.standing if undo is None and status != Status.PENDING else None
    held = held or {}
    older = {
        key: wish for key, wish in new.items() if standing is not None and held.get(key, standing.id) < standing.id
    }
    new = {key: wish for key, wish in new.items() if key not in older}
    if not new and status == Status.PENDING:
        new = {key: wish for key, wish in present.items() if key not in seen.overruled}
    # Reactions that ask for the same thing agree, whichever emoji says it: ✅ and the suggested section's own emoji
    # both approve into that section (the key's action and section say what a reaction means).
    wanted: dict[Choice, Actor] = {}
    first: dict[tuple[str, str], Key] = {}
    for key, (choice, actor) in new.items():
        if key[1:] not in first:
            first[key[1:]] = key
            wanted[choice] = actor
    chosen = replayed_choice(wanted)
    superseded = tuple(older.values())
    if chosen is None:
        return Plan(undo, None, wanted, superseded=superseded)
    deciders = {key[0] for key in first.values()}
    agreeing = tuple(wish for key, wish in new.items() if key[0] not in deciders and key not in seen.accounted)
    return Plan(undo, chosen, agreeing=agreeing, superseded=superseded)


def decided_elsewhere(status: str, log: Iterable[LoggedDecision]) -> bool:
    """Whether the status was made on the web, the command line or by a feed link: reactions change nothing then, so
    reactions that disagree need no maintainer to settle them."""
    applied = [decision for decision in log if decision.applied]
    return status != Status.PENDING and bool(applied) and not applied[-1].channel.startswith(Channel.DISCORD)


def kept_before_the_upgrade(candidate_id: int, status: str, invocation: str) -> str:
    """The line said once of a decision logged before the upgrade with no reaction under its message now, which
    catching up keeps; `invocation` is the service's own `digest --config F --data-dir D`, so that its `pending`
    run as printed from a maintainer's shell undoes the decision on the service's database."""
    return (
        f"candidate {candidate_id} stays {status}: decided before the upgrade with no reaction under its message now "
        f"(an /add, or a reaction taken back while away; `{invocation} pending {candidate_id}` undoes it)"
    )
