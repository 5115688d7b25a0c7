"""Review's rules, pure: the actions and channels, who may decide, where a candidate stands and how that reads, what a
decision's outcome says, and the short name an approved paper gets. No database: the reviewer applies them.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from digest.config import DiscordSettings
from digest.config.invocation import noted
from digest.vocab import Action, Channel, Status, decided_by

ACTIONS = tuple(Action)
CHANNELS = tuple(Channel)
_SHORT_NAME_MAX = 40
_NAME_AND_SUBTITLE = re.compile(r"(.*?):\s")


class ReviewError(Exception):
    """A decision that cannot be made (unknown candidate or section, unknown action); one line."""


# How each channel names the section an approval goes into; a Discord note says it after the reason (refusal_note).
_NAMING_A_SECTION: dict[str, str] = {
    Channel.CLI: " with --section",
    Channel.WEB: " in the section field",
    Channel.FEED: " on the review page",
    Channel.EMAIL: " on the review page",
}


def no_suggested_section(candidate_id: int, channel: str, sections: Sequence[str]) -> str:
    """Why a candidate suggested no section cannot be approved into none: how this channel names one, and the
    list's sections to choose from, as a section the list does not have is refused (awesome.store.unknown_section)."""
    way = _NAMING_A_SECTION.get(channel, "")
    return f"candidate {candidate_id} has no suggested section: name one{way} (sections: {', '.join(sections)})"


class UnknownCandidateError(ReviewError):
    """A decision for a candidate number no candidate has: 'no candidate with id N' (the web answers it 404)."""

    def __init__(self, candidate_id: int) -> None:
        super().__init__(f"no candidate with id {candidate_id}")


@dataclass(frozen=True)
class Standing:
    """Where a candidate stands: its status, and who decided it, through which channel, when (if known)."""

    candidate_id: int
    status: str
    section: str | None
    by: str | None
    channel: str | None
    at: datetime | None

    def describe(self) -> str:
        """'approved into Probing by ann via discord on 2026-11-23 12:00 UTC'; only the parts that are known."""
        into = f" into {self.section}" if self.status == Status.APPROVED and self.section else ""
        return " ".join([self.status + into, self.made()]).strip()

    def made(self) -> str:
        """'by ann via discord on 2026-11-23 12:00 UTC'; only the parts that are known."""
        parts = []
        if self.by and self.channel:
            parts.append(f"by {decided_by(self.by, self.channel)}")
        elif self.by:
            parts.append(f"by {self.by}")
        elif self.channel:
            parts.append(f"via {self.channel}")
        if self.at:
            parts.append(f"on {self.at:%Y-%m-%d %H:%M} UTC")
        return " ".join(parts)

    def after(self, message: str, changed: bool, actor: Actor, into: str | None = None) -> str:
        """A decision's message for whoever made it, saying whose decision came first when it was someone else's:
        'already approved into Probing by ann via discord on ...', 'rejected; it was approved into Probing by ann ...'.
        An approval `into` another section than the one it stood approved into says from where to where: 'moved from
        Steering to Probing', 'moved from Steering (approved there by ann via discord on ...) to Probing'.
        """
        mine = (self.by, self.channel) == (actor.name, actor.channel)
        left = self.left_for(changed, into)
        if left:
            made = "" if mine or not self.made() else f" (approved there {self.made()})"
            return f"moved from {left}{made} to {into}"
        if self.status == Status.PENDING or mine:
            return message
        return f"{message}; it was {self.describe()}" if changed else f"{message} {self.made()}".strip()

    def left_for(self, changed: bool, into: str | None) -> str | None:
        """The section an approval `into` another one moved the paper out of (the history says it); None otherwise."""
        if changed and into and self.status == Status.APPROVED and self.section and into != self.section:
            return self.section
        return None

    def stands_over(self, action: str, section: str | None, digest: str) -> str:
        """Why a Discord reaction changed nothing: this decision, made through another channel, stands; and the
        command that makes the reaction's choice on purpose (`digest`: the service's own invocation)."""
        wanted = decide_command(action, str(self.candidate_id), section, digest=digest)
        return noted(
            f"it was already {self.describe()}, and a reaction does not overturn a decision made elsewhere; to "
            f"{action} it anyway, run `{wanted}`"
        )

    def change_command(self, digest: str) -> str:
        """The command that overturns this decision on purpose, run as `digest` (the service's own invocation)."""
        return f"{digest} {'reject' if self.status == Status.APPROVED else 'approve'} {self.candidate_id}"


class AlreadyDecidedError(ReviewError):
    """A decision that may act only on a pending candidate (a feed link, the review page) found it decided already."""

    def __init__(self, standing: Standing, digest: str, action: str | None = None, section: str | None = None) -> None:
        self.standing = standing
        # The command that makes the decision asked for (a link's "Approve into Surveys" of a paper approved into
        # Probing: `approve N --section Surveys`, not the `reject N` that takes it out); when what was asked stands
        # already, the one that overturns it.
        asked = {"approve": Status.APPROVED, "reject": Status.REJECTED}.get(action or "")
        stands = asked == standing.status and (asked == Status.REJECTED or section in (None, standing.section))
        command = (
            standing.change_command(digest)
            if asked is None or stands
            else decide_command(str(action), str(standing.candidate_id), section, digest=digest)
        )
        super().__init__(
            noted(
                f"Candidate {standing.candidate_id} was already {standing.describe()}; approval links and the review "
                f"page act only on pending candidates. To change the decision on purpose, run `{command}`."
            )
        )


@dataclass(frozen=True)
class SuggestedSection:
    """A section the model suggested, as the list has it now (resolved as an approval resolves a name): the list may
    have renamed or removed it since, or repeat its name in another year's block."""

    suggested: str  # as the model named it when it judged the paper
    label: str | None  # the list's label of the one section it means now; None: it means none, or several
    sharing: tuple[str, ...] = ()  # the labels of the sections that share its name, when several do

    def shown(self) -> str:
        """Where an approval into it lands, or why none would: 'Activation Steering', 'Circuits (not a section of the
        list)', 'Probing (2 sections have this name: Probing (2025), Probing (2024))'. Not "no longer" one: a list
        imported in place of another may never have had it, and the list's past headings are not kept to tell."""
        if self.label is not None:
            return self.label
        if self.sharing:
            return f"{self.suggested} ({len(self.sharing)} sections have this name: {', '.join(self.sharing)})"
        return f"{self.suggested} (not a section of the list)"

    def offered(self) -> tuple[str, ...]:
        """The sections an approval as suggested is offered into: the one it means, else each sharing its name (the
        maintainer picks one); none for a section the list no longer has."""
        return (self.label,) if self.label is not None else self.sharing


@dataclass(frozen=True)
class Actor:
    name: str
    id: str | None
    channel: str  # discord | web | feed | email | cli
    command: str | None = None  # the Discord slash command that decides ("add"); None for a reaction


@dataclass(frozen=True)
class Outcome:
    candidate_id: int
    arxiv_id: str
    action: str
    status: str
    section: str | None
    changed: bool
    message: str
    actor: Actor
    # Why it changed nothing, for whoever made it: a decision made elsewhere stands (Reviewer.decide's first_stands)
    overruled_by: str | None = None


Listener = Callable[[Outcome], Awaitable[None]]


def may_decide(member_role_ids: Iterable[int], user_id: int, settings: DiscordSettings) -> bool:
    """Maintainers are the listed users and the members holding a maintainer role."""
    if user_id in settings.maintainer_user_ids:
        return True
    return any(role in settings.maintainer_role_ids for role in member_role_ids)


def short_name_for(title: str) -> str | None:
    """The list gives each paper a bold short name; arXiv titles of the form 'Name: subtitle' supply one. Only a colon
    followed by a space parts them: one inside a link ('https://...') or a ratio ('16:9') is no separator."""
    found = _NAME_AND_SUBTITLE.match(title)
    head = found.group(1).strip() if found else ""
    if 0 < len(head) <= _SHORT_NAME_MAX:
        return head
    return None


Choice = TypeVar("Choice")


def replayed_choice(found: Mapping[Choice, Actor]) -> tuple[Choice, Actor] | None:
    """What the reactions left while the bot was away decide: one choice (by whoever made it) decides; conflicting
    ones decide nothing, since Discord does not say which came last (a maintainer settles it)."""
    if len(found) != 1:
        return None
    return next(iter(found.items()))


def approval_menu(suggested: Sequence[str], sections: Sequence[str]) -> list[tuple[Action, str | None]]:
    """What a maintainer may choose for a candidate, in the order offered: approve into each section the suggestion
    means now (`SuggestedSection.offered`: one, or each sharing its name), approve into each other section, reject."""
    first = [name for name in suggested if name in sections]
    menu: list[tuple[Action, str | None]] = [(Action.APPROVE, name) for name in first]
    menu += [(Action.APPROVE, name) for name in sections if name not in first]
    menu.append((Action.REJECT, None))
    return menu


def undone_by_removal(status: str, decided_through: str | None, decided_as: object, removed_as: object) -> bool:
    """Whether taking a Discord reaction back returns the candidate to pending: only when that reaction made the
    decision that stands (a decision made since, anywhere else or by another reaction, is left alone). `decided_as`
    and `removed_as` are the decision and the reaction in one comparable form (who, what, which section)."""
    return status != Status.PENDING and decided_through == Channel.DISCORD and decided_as == removed_as


_PLAIN_IN_DOUBLE_QUOTES = re.compile(r'[^"$`\\!]*')


def decide_command(action: str, paper: str, section: str | None = None, *, digest: str) -> str:
    """The `digest approve|reject PAPER [--section NAME]` a page or message tells a maintainer to run, `digest` being
    the service's own invocation (its settings file and data folder: run as printed, it acts on its database). The
    section in double quotes, as always, while that is how a shell reads it back; else single-quoted as a shell needs
    (a heading holding a quote or a `$` was split or emptied by the shell, naming no section of the list)."""
    command = f"{digest} {action} {paper}"
    if not section:
        return command
    quoted = f'"{section}"' if _PLAIN_IN_DOUBLE_QUOTES.fullmatch(section) else shlex.quote(section)
    return f"{command} --section {quoted}"
