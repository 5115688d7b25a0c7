"""What the review bot says in Discord, as plain data: a candidate's embed, its reaction legend, its notes.

Pure: no network, no database. Every piece of arXiv text is escaped for Discord Markdown and cut to Discord's limits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from digest.arxiv.announcements import found_as
from digest.config.invocation import noted_within
from digest.discord.legend import legend, shown_section
from digest.discord.markup import clip as clip
from digest.discord.markup import cut as cut
from digest.discord.markup import escape as escape
from digest.discord.markup import units as units
from digest.discord.reactions import BOT_REACTIONS as BOT_REACTIONS
from digest.discord.reactions import ReactionChoice as ReactionChoice
from digest.discord.reactions import ReactionId as ReactionId
from digest.discord.reactions import SeenReaction as SeenReaction
from digest.discord.reactions import decision_key as decision_key
from digest.discord.reactions import reaction_choice as reaction_choice
from digest.discord.reactions import reaction_key as reaction_key
from digest.discord.standing import MadeElsewhere
from digest.relevance.why import why_from_json
from digest.review.rules import SuggestedSection
from digest.storage.models import APPROVED, REJECTED, Candidate
from digest.text import blank_invisible, code_url_in, is_blank, readable_title
from digest.titles import arxiv_abs_url
from digest.vocab import APPROVE_EMOJI as APPROVE_EMOJI
from digest.vocab import REJECT_EMOJI as REJECT_EMOJI
from digest.vocab import Action
from digest.vocab import normalise_emoji as normalise_emoji

# Discord's limits for one embed (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_LIMIT = 1024
FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000
# Shorter than Discord allows so a message stays readable in a busy channel.
ABSTRACT_LIMIT = 1500
AUTHORS_SHOWN = 3
KEYWORDS_LIMIT = 300
NOTE_LIMIT = 700  # room for the command a refusal names, whole: it holds the settings file and data folder paths
# A repository address longer than this is no one's real repository: shown whole it would break FIELD_LIMIT, cut it
# would be a broken link; the message has no Code link then.
CODE_URL_LIMIT = 300
# Why it was flagged: a few short lines, so the field stays far below FIELD_LIMIT and the message stays readable.
WHY_LINES = 4
WHY_LINE_LIMIT = 200

COLOUR_PENDING = 0x5865F2
COLOUR_APPROVED = 0x57F287
COLOUR_REJECTED = 0xED4245


def authors_line(authors: list[str]) -> str:
    """The names to show; an author that is only blank characters has no name to show (Discord would refuse the field
    they alone fill)."""
    authors = [name for name in authors if not is_blank(name)]
    if not authors:
        return "unknown"
    if len(authors) <= AUTHORS_SHOWN + 1:
        return cut(", ".join(authors), FIELD_LIMIT)
    more = f" et al. ({len(authors)} authors)"
    return cut(", ".join(authors[:AUTHORS_SHOWN]), FIELD_LIMIT - units(more)) + more


def code_url_for(candidate: Candidate) -> str | None:
    """The repository link: the watcher's if it is a plain repository URL, else the first one the comments or the
    abstract name (the watcher's rule: digest.text.code_url_in); None when that is longer than CODE_URL_LIMIT."""
    found = code_url_in(candidate.code_url, candidate.comments, candidate.abstract)
    return found if found is not None and len(found) <= CODE_URL_LIMIT else None


@dataclass(frozen=True)
class PostReport:
    """What a posting run did."""

    posted: int
    waiting: int  # pending candidates left for the web review page
    failed: int


def decision_line(candidate: Candidate, into: str | None = None, elsewhere: MadeElsewhere | None = None) -> str | None:
    """Who decided, and through which channel when not through Discord; for an approval, where: `into` (the list's name
    for it now), else the name the decision recorded. A return to pending made elsewhere says who and when."""
    who = cut(elsewhere.who() if elsewhere else candidate.decided_by or "a maintainer", 100)
    if candidate.status == APPROVED:
        section = shown_section(named) if (named := into or candidate.decided_section) else "?"
        return f"**Approved by {who} into {cut(section, 200)}**"
    if candidate.status == REJECTED:
        return f"**Rejected by {who}**"
    return f"**Returned to pending by {who} on {elsewhere.when()}**" if elsewhere else None


def overruled_line(candidate: Candidate, elsewhere: MadeElsewhere | None) -> str | None:
    """Whose reactions, still on the message, the decision made elsewhere overruled; and, back to pending, that they
    decide again only once taken off and added again (Discord ignores a reaction added twice)."""
    if elsewhere is None or not elsewhere.overruled:
        return None
    names = cut(", ".join(elsewhere.overruled), 200)
    if candidate.status in (APPROVED, REJECTED):
        return f"⚠️ Reactions from before it ({names}) were overruled and decide nothing"
    return f"⚠️ Reactions from before it ({names}) no longer count: to decide here, take yours off and react again"


def matched_text(candidate: Candidate) -> str:
    """The terms that matched, each once (those its `why` names too): the Matched field, so Why need not repeat them."""
    return cut(
        ", ".join(dict.fromkeys([*(candidate.matched or []), *why_from_json(candidate.why).terms])), KEYWORDS_LIMIT
    )


def why_text(candidate: Candidate) -> str:
    """Why the model flagged it beyond the terms (the Matched field names them), one escaped line per reason; empty
    for older candidates that have no `why`."""
    lines = replace(why_from_json(candidate.why), terms=()).lines()
    return "\n".join(cut(line, WHY_LINE_LIMIT) for line in lines[:WHY_LINES])


def refusal_note(action: str, reason: str, section_emojis: Mapping[str, str]) -> str:
    """One line under the title saying why a maintainer's reaction changed nothing, and what to do instead."""
    instead = "react with a section emoji" if section_emojis else "decide it on the review page"
    return f"⚠️ Couldn't {action}: {noted_within(reason, NOTE_LIMIT, cut, units)}; {instead}"


def overruled_note(action: str, reason: str) -> str:
    """One line under the title saying why a maintainer's reaction changed nothing: the decision made elsewhere
    stands (`reason` says whose, and the command that changes it on purpose)."""
    return f"⚠️ Couldn't {action}: {noted_within(reason, NOTE_LIMIT, cut, units)}"


def conflict_note(wishes: Iterable[tuple[str, str | None, str]]) -> str:
    """One line under the title saying that reactions left while the bot was away disagree, so nothing was decided:
    `wishes` are (action, section named by the emoji or None, who)."""
    parts = []
    for action, section, who in wishes:
        approve = f"approve into {shown_section(section)}" if section else APPROVE_EMOJI
        what = REJECT_EMOJI if action == Action.REJECT else approve
        parts.append(f"{what} by {who}")
    return "⚠️ " + cut(f"Reactions disagree ({', '.join(parts)})", NOTE_LIMIT) + "; take back the wrong one to decide"


def candidate_embed(
    candidate: Candidate,
    section_emojis: Mapping[str, str],
    *,
    suggestion: SuggestedSection | None = None,
    note: str | None = None,
    decided_into: str | None = None,
    elsewhere: MadeElsewhere | None = None,
) -> dict[str, Any]:
    """The review message's embed as Discord's JSON; its colour and first line show the candidate's status, `note` (a
    `refusal_note`) why a reaction changed nothing; `suggestion`, `decided_into`: as the list names them now;
    `elsewhere`: the decision that stands, or the return to pending, when made outside Discord."""
    abs_url = arxiv_abs_url(candidate.arxiv_id)
    links = [f"[PDF](https://arxiv.org/pdf/{candidate.arxiv_id})"]
    code_url = code_url_for(candidate)
    if code_url:
        links.append(f"[Code]({code_url})")
    # A new version of a paper the polls never saw says so, as `digest candidates` and /review do: not new on arXiv.
    older = found_as(candidate.announce_type, candidate.arxiv_id)
    lines = (note, decision_line(candidate, decided_into, elsewhere), overruled_line(candidate, elsewhere), older)
    decided = "\n".join(line for line in lines if line) or None
    abstract = cut(candidate.abstract or "", ABSTRACT_LIMIT) or "*(no abstract)*"
    description = f"{decided}\n\n{abstract}" if decided else abstract
    colour = {APPROVED: COLOUR_APPROVED, REJECTED: COLOUR_REJECTED}.get(candidate.status, COLOUR_PENDING)
    why = why_text(candidate)
    suggested = candidate.suggested_section
    if suggestion is not None and not is_blank(suggested or ""):  # one drawing nothing reads as an empty field
        suggested = suggestion.shown()
    fields = [
        embed_field("Authors", authors_line(list(candidate.authors or []))),
        embed_field("Links", " · ".join(links)),
        embed_field("Matched", matched_text(candidate)),
        *([] if is_blank(why) else [embed_field("Why", why)]),
        embed_field("Score", f"{candidate.score:.2f}", inline=True),
        embed_field("Suggested section", cut(suggested or "", 200), inline=True),
    ]
    footer = f"Candidate {candidate.id} · {legend(candidate, section_emojis, suggestion=suggestion)}"
    # Plain text (Discord reads no Markdown in a footer), but its sections are the list's headings as written.
    footer = clip(blank_invisible(footer), FOOTER_LIMIT)
    embed: dict[str, Any] = {
        "title": cut(title_of(candidate), TITLE_LIMIT),
        "url": abs_url,
        "description": clip(description, DESCRIPTION_LIMIT),
        "color": colour,
        "fields": fields,
        "footer": {"text": footer},
    }
    excess = embed_length(embed) - EMBED_TOTAL_LIMIT
    if excess > 0:
        shorter = cut(candidate.abstract or "", max(0, units(abstract) - excess - 10))
        embed["description"] = f"{decided}\n\n{shorter}" if decided else shorter
    return embed


def title_of(candidate: Candidate) -> str:
    """The paper's title; one of characters that draw nothing says which paper it is, as the link would read empty."""
    return readable_title(candidate.title, candidate.arxiv_id)


def embed_field(name: str, value: str, *, inline: bool = False) -> dict[str, Any]:
    """One field of the embed; a value that shows nothing (none given, or only blank characters from arXiv or a list
    heading) reads "—", since Discord refuses the whole message for a field empty once it trims it."""
    return {"name": name, "value": "—" if is_blank(value) else value, "inline": inline}


def embed_length(embed: Mapping[str, Any]) -> int:
    """What Discord counts toward the 6000 limit (`units`)."""
    total = units(embed.get("title", "")) + units(embed.get("description", ""))
    total += units(embed.get("footer", {}).get("text", ""))
    total += sum(units(field["name"]) + units(field["value"]) for field in embed.get("fields", []))
    return total
