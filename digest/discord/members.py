"""Who reacted, for the review bot: the server (guild) of the review channel, found from the channel when the config
names none, and whether a user is a maintainer there. A reaction that cannot be checked is never dropped silently.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field, replace

import discord

from digest.config import DiscordSettings
from digest.discord import messages, reactions
from digest.review.rules import Actor, may_decide

Key = tuple[str, str, str]  # reactions.reaction_key: (user id, action, section casefolded)

log = logging.getLogger("digest.discord")

NOT_A_MEMBER = "not a member of the server"
# The permissions the bot needs in the review channel whose lack nothing else makes plain, and what goes wrong without
# each: without Read Message History the channel's history answers no messages, so a message sent before a crash is
# not found (and is sent again), and catching up on reactions made while the bot was away cannot read a message;
# without Add Reactions its messages go out (a warning in the log each) with no ✅ and ❌ for the maintainers to click;
# without Send Messages or Embed Links (a candidate's message is an embed) Discord refuses every candidate's message,
# which nothing said before one came (hours after the start, perhaps), and then only as "Missing Permissions".
_HISTORY_NEEDED = (
    "catching up on reactions made while it was away, and finding a message it sent before a crash, need it"
)
NEEDED_PERMISSIONS = {
    "read_message_history": ("Read Message History", _HISTORY_NEEDED),
    "add_reactions": ("Add Reactions", "its messages go out without the ✅ and ❌ maintainers click"),
    "send_messages": ("Send Messages", "no candidate can be posted: they wait on the review page"),
    "embed_links": ("Embed Links", "Discord refuses each candidate's message, an embed: they wait on the review page"),
}
# A channel the bot cannot see (a private one it was left out of) grants it nothing there, Read Message History
# included: that one is named then, as giving the others changes nothing.
SEEING = ("view_channel", ("View Channel", "it hears of no reaction made there and may edit none of its messages"))
_WHY = dict([*NEEDED_PERMISSIONS.values(), SEEING[1]])
READ_PERMISSIONS = frozenset((SEEING[1][0], NEEDED_PERMISSIONS["read_message_history"][0]))  # to read the channel
# ... to post a candidate's message, and to add the bot's own reactions (a refusal these explain, named by the check
# on /healthz already, is not said again in Discord's words, once per message)
POST_PERMISSIONS = frozenset(
    (SEEING[1][0], NEEDED_PERMISSIONS["send_messages"][0], NEEDED_PERMISSIONS["embed_links"][0])
)
REACT_PERMISSIONS = READ_PERMISSIONS | {NEEDED_PERMISSIONS["add_reactions"][0]}


class UncheckedReactionError(Exception):
    """A reaction whose author Discord could not say is a maintainer or not (a failed member lookup): catching up on
    that message waits and tries again rather than read the reaction as gone, which would undo its decision."""


class Members:
    def __init__(self, config: DiscordSettings, client: Callable[[], discord.Client | None]) -> None:
        self.config = config
        self._client = client
        self._found_guild_id: int | None = None
        self._lacking = False  # a needed permission was missing when last asked (`sees_again`)

    async def guild_id(self) -> int | None:
        """The configured guild, else the one the review channel belongs to."""
        if self.config.guild_id:
            return self.config.guild_id
        if self._found_guild_id is not None:
            return self._found_guild_id
        client = self._client()
        channel_id = self.config.channel_id
        if client is None or channel_id is None:
            return None
        channel = client.get_channel(channel_id)  # the servers and their channels arrive on connecting
        if channel is None:
            log.warning("discord: review channel %s is not in any server the bot is in (yet)", channel_id)
            return None
        guild = getattr(channel, "guild", None)
        if guild is None:
            log.warning("discord: review channel %s is not in a server; reactions cannot be checked", channel_id)
            return None
        self._found_guild_id = int(guild.id)
        log.info("discord: review channel %s is in server %s (no guild_id in the config)", channel_id, guild.id)
        return self._found_guild_id

    def config_problems(self) -> list[str]:
        """What in the config the servers the bot sees (on connecting) contradict: a review channel it cannot see, a
        guild it is not in, a maintainer role the server does not have."""
        client = self._client()
        if client is None:
            return []
        channel_id, guild_id = self.config.channel_id, self.config.guild_id
        channel = client.get_channel(channel_id) if channel_id else None
        problems = []
        if channel is None:
            problems.append(
                f"review channel {channel_id} (channel_id) is not in any server the bot can see (deleted? set "
                "channel_id to one it can)"
            )
        guild = client.get_guild(guild_id) if guild_id else getattr(channel, "guild", None)
        if guild_id and guild is None:
            problems.append(f"server {guild_id} (guild_id) is not one the bot is in")
        if guild is not None:
            missing = [str(role) for role in self.config.maintainer_role_ids if guild.get_role(role) is None]
            if missing:
                problems.append(f"maintainer_role_ids {', '.join(missing)} are not roles of server {guild.id}")
        lacking = self.missing_permissions()
        if lacking:
            them = "that permission" if len(lacking) == 1 else "those permissions"
            why = "; ".join(_WHY[label] for label in lacking)
            problems.append(
                f"the bot lacks {', '.join(lacking)} in review channel {channel_id}: give it {them} there ({why})"
            )
        return problems

    def missing_permissions(self) -> list[str]:
        """The needed permissions the bot's role and the channel's overwrites leave it without, as Discord names them
        ([] when the channel or the bot's member is not known yet)."""
        client = self._client()
        channel = client.get_channel(self.config.channel_id) if client and self.config.channel_id else None
        if not isinstance(channel, discord.abc.GuildChannel) or channel.guild.me is None:
            return []
        allowed = channel.permissions_for(channel.guild.me)
        if not getattr(allowed, SEEING[0]):
            return [SEEING[1][0]]
        return [label for name, (label, _why) in NEEDED_PERMISSIONS.items() if not getattr(allowed, name)]

    def sees_again(self) -> bool:
        """Whether the bot lacked a needed permission when last asked and lacks none now: while it could not see the
        review channel, Discord sent it no reaction made there and refused its edits."""
        lacking = bool(self.missing_permissions())
        given_back, self._lacking = self._lacking and not lacking, lacking
        return given_back

    async def member(self, guild_id: int | None, user_id: int) -> tuple[discord.Member | None, str]:
        """The member, or None and why not."""
        client = self._client()
        guild_id = guild_id or await self.guild_id()
        guild = client.get_guild(guild_id) if client is not None and guild_id else None
        if guild is None:
            return None, f"the server of channel {self.config.channel_id} is not known to the bot"
        try:
            return await guild.fetch_member(user_id), ""
        except discord.NotFound:
            return None, NOT_A_MEMBER
        except discord.HTTPException as exc:
            return None, f"Discord did not answer the member lookup ({exc})"

    async def maintainer(
        self,
        guild_id: int | None,
        user_id: int,
        name: str,
        candidate_id: int,
        member: discord.Member | None = None,
        *,
        unchecked_raises: bool = False,
        seen: bool = False,
        just_made: bool = False,
    ) -> Actor | None:
        """The actor when the user may decide; None (with a log line saying why) when not or when it cannot be told,
        or with `unchecked_raises` UncheckedReactionError when it cannot be told. `member` is what the event carried, if
        anything; otherwise the member is looked up. `just_made`: a reaction as it comes, whose author is a member of
        the server (one must be, to react), so Discord calling them unknown cannot be told from its lagging behind."""
        problem = ""
        # A reaction the bot has `seen` before (a former maintainer's, under what they decided) was said then.
        level = logging.DEBUG if seen else logging.INFO
        if member is None:
            member, problem = await self.member(guild_id, user_id)
        if member is not None:
            if may_decide([role.id for role in member.roles], member.id, self.config):
                return Actor(member.display_name, str(member.id), "discord")
            log.log(level, "discord: ignored a reaction on candidate %s by non-maintainer %s", candidate_id, user_id)
            return None
        if user_id in self.config.maintainer_user_ids:  # a listed maintainer needs no member lookup
            return Actor(name, str(user_id), "discord")
        if problem == NOT_A_MEMBER and not just_made:
            log.log(level, "discord: ignored a reaction on candidate %s by %s: %s", candidate_id, user_id, problem)
            return None
        unchecked = f"cannot tell whether {name} ({user_id}), who reacted on candidate {candidate_id}, is a maintainer"
        if unchecked_raises:
            raise UncheckedReactionError(f"{unchecked}: {problem}; the reaction is not applied yet")
        log.warning("discord: %s: %s; the reaction is not applied", unchecked, problem)
        return None

    async def still_maintainer(self, user: str, name: str, candidate_id: int) -> bool:
        """Whether the maintainer whose reaction (of `user`, an id; else no reaction's) made a candidate's standing
        decision is a maintainer still: only then does its absence take the decision back (UncheckedReactionError,
        retried, when Discord cannot say)."""
        if not user.isdigit():
            return True
        return await self.maintainer(None, int(user), name, candidate_id, unchecked_raises=True, seen=True) is not None

    async def reactions_on(
        self,
        message: discord.Message,
        candidate_id: int,
        suggested: str | None,
        listed: Mapping[str, str],
        seen: Mapping[reactions.ReactionId, reactions.SeenReaction],
    ) -> Reactions:
        """The reactions on a message (the bot's own left out): the maintainers' as `reaction_key` -> ((action,
        section), who), the keys of every one, whoever made it (a former maintainer's is still there: not taken back),
        and those not `seen` before. A section emoji names its section as the list does (`listed`: the config's name
        -> the list's), the name the decision log holds; one seen before keeps the meaning it had then, and one made
        by someone who was not a maintainer then never decides. UncheckedReactionError when Discord cannot say whether
        one who reacted is a maintainer."""
        client = self._client()
        assert client is not None and client.user is not None
        found = Reactions()
        seen_emojis = {emoji for _user, emoji in seen}
        for reaction in message.reactions:
            emoji = messages.normalise_emoji(str(reaction.emoji))
            choice = reactions.reaction_choice(emoji, self.config.section_emojis)
            if choice is not None and choice.section is not None:
                choice = replace(choice, section=listed.get(choice.section, choice.section))
            if reaction.count <= (1 if reaction.me else 0) or (choice is None and emoji not in seen_emojis):
                continue
            async for user in _reactors(reaction):
                earlier = seen.get((str(user.id), emoji))
                meant = earlier.choice if earlier is not None else choice
                if user.id == client.user.id or meant is None:
                    continue
                key = reactions.reaction_key(user.id, meant, suggested)
                found.there.add(key)
                found.ids.add((str(user.id), emoji))
                if earlier is not None and not earlier.counted:
                    continue  # not a maintainer's when made: it does not decide now either
                actor = await self.maintainer(
                    None, user.id, user.display_name, candidate_id, unchecked_raises=True, seen=earlier is not None
                )
                if earlier is None:
                    found.unseen[(str(user.id), emoji)] = reactions.SeenReaction(meant, actor is not None)
                if actor is not None:
                    found.present[key] = ((meant.action, meant.section), actor)
        return found


@dataclass
class Reactions:
    """What `Members.reactions_on` found on a message."""

    present: dict[Key, tuple[tuple[str, str | None], Actor]] = field(default_factory=dict)
    there: set[Key] = field(default_factory=set)
    unseen: dict[reactions.ReactionId, reactions.SeenReaction] = field(default_factory=dict)
    ids: set[reactions.ReactionId] = field(default_factory=set)  # every reaction that means something, by who and emoji


async def _reactors(reaction: discord.Reaction) -> AsyncIterator[discord.User | discord.Member]:
    """Who reacted: Discord lists super ("burst") reactions apart from the normal ones, and a super ✅ decides too."""
    async for user in reaction.users():
        yield user
    if reaction.burst_count:
        async for user in reaction.users(type=discord.ReactionType.burst):
            yield user
