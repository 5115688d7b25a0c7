"""What members and server admins do in the fake Discord: reactions made and taken back, messages (one or many at
once), roles and the channel deleted, permissions changed, the bot removed and invited back; each sent as Discord's
gateway event."""

from __future__ import annotations

from typing import Any

from tests.fake_discord_shared import SharedState
from tests.fake_discord_state import (
    BOT_ID,
    CHANNEL_ID,
    GUILD_ID,
    SUPPRESS_EMBEDS,
    FakeMember,
    member_payload,
    user_payload,
)


class MembersMixin(SharedState):
    """Mixed into FakeDiscord (which supplies the state, `_dispatch` and the payloads)."""

    # -- what members do -------------------------------------------------------------------------------------------
    async def react(
        self,
        message_id: int,
        member: FakeMember,
        emoji: str,
        *,
        online: bool = True,
        burst: bool = False,
        with_member: bool = True,
    ) -> None:
        """A reaction; `burst`: a super reaction, which Discord lists apart from the normal ones; without `with_member`
        its event does not carry the member (Discord's field is optional), so the bot has to look them up."""
        (self.super_reactions if burst else self.reactions).setdefault((message_id, emoji), []).append(member.id)
        if online:
            event = self._reaction_event(message_id, member, emoji, True, burst)
            if not with_member:
                del event["member"]
            await self._dispatch("MESSAGE_REACTION_ADD", event)

    async def unreact(self, message_id: int, member: FakeMember, emoji: str, *, online: bool = True) -> None:
        burst = member.id in self.super_reactions.get((message_id, emoji), [])
        users = (self.super_reactions if burst else self.reactions).get((message_id, emoji), [])
        if member.id in users:
            users.remove(member.id)
        if online:
            await self.announce(message_id, member, emoji, added=False, burst=burst)

    async def announce(
        self, message_id: int, member: FakeMember, emoji: str, *, added: bool, burst: bool = False
    ) -> None:
        """The gateway event of a reaction made or taken back (`online=False` above), sent late: its message shows it
        already when the bot hears of it, as when Discord's events lag behind its API."""
        event = self._reaction_event(message_id, member, emoji, added, burst)
        await self._dispatch("MESSAGE_REACTION_ADD" if added else "MESSAGE_REACTION_REMOVE", event)

    async def clear_reactions(self, message_id: int, emoji: str | None = None) -> None:
        """A moderator takes every reaction (or every reaction of one emoji) off a message, the bot's too."""
        for kept in (self.reactions, self.super_reactions):
            for key in [key for key in kept if key[0] == message_id and emoji in (None, key[1])]:
                del kept[key]
        payload: dict[str, Any] = {
            "channel_id": str(CHANNEL_ID),
            "message_id": str(message_id),
            "guild_id": str(GUILD_ID),
        }
        if emoji is None:
            await self._dispatch("MESSAGE_REACTION_REMOVE_ALL", payload)
        else:
            await self._dispatch("MESSAGE_REACTION_REMOVE_EMOJI", {**payload, "emoji": {"id": None, "name": emoji}})

    async def delete_role(self, role_id: int) -> None:
        """A server admin deletes a role: it leaves the server and every member who held it."""
        self.deleted.add(role_id)
        self.members = [FakeMember(m.id, m.name, tuple(r for r in m.roles if r != role_id)) for m in self.members]
        await self._dispatch("GUILD_ROLE_DELETE", {"guild_id": str(GUILD_ID), "role_id": str(role_id)})

    async def delete_channel(self) -> None:
        """A server admin deletes the review channel, its messages with it."""
        self.deleted.add(CHANNEL_ID)
        self.messages.clear()
        self.reactions.clear()
        self.super_reactions.clear()
        await self._dispatch("CHANNEL_DELETE", {**self._channel_payload(), "guild_id": str(GUILD_ID)})

    async def deny_bot(self, permissions: int) -> None:
        """A server admin sets the review channel's overwrite for the bot to deny `permissions` (0: none)."""
        self.denied_to_bot = permissions
        await self._dispatch("CHANNEL_UPDATE", {**self._channel_payload(), "guild_id": str(GUILD_ID)})

    async def set_everyone_permissions(self, permissions: int) -> None:
        """A server admin edits the @everyone role's permissions in the server settings (not the channel's)."""
        self.everyone_permissions = permissions
        await self._dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(GUILD_ID), "role": self._roles()[0]})

    async def give_bot_roles(self, roles: tuple[int, ...]) -> None:
        """A server admin gives the bot these roles (Discord tells the bot of its own member's change unasked)."""
        self.bot = FakeMember(BOT_ID, self.bot.name, roles)
        payload = {**member_payload(self.bot), "user": user_payload(self.bot, bot=True), "guild_id": str(GUILD_ID)}
        await self._dispatch("GUILD_MEMBER_UPDATE", payload)

    async def remove_bot(self) -> None:
        """A server admin removes the bot from the server (Discord tells it so); it hears nothing from there since."""
        await self._dispatch("GUILD_DELETE", {"id": str(GUILD_ID)})

    async def invite_bot(self) -> None:
        """... and invites it back: Discord sends it the server anew, as on connecting."""
        await self._dispatch("GUILD_CREATE", self._guild_payload())

    def leave(self, member: FakeMember, *, roles: tuple[int, ...] | None = None) -> None:
        """`member` leaves the server, or (with `roles`) stays holding only those; their reactions stay on messages."""
        self.departed.append(member)
        self.members = [m for m in self.members if m.id != member.id]
        if roles is not None:
            self.members.append(FakeMember(member.id, member.name, roles))

    async def remove_embeds(self, message_id: int) -> None:
        """A moderator removes a message's embed (Discord's "suppress embeds", what its ✕ on an embed does): the
        message is served without it, and shows one again only once its author edits the flag away."""
        message = self.messages[message_id]
        message["flags"] |= SUPPRESS_EMBEDS
        message["embeds"] = []
        await self._dispatch("MESSAGE_UPDATE", self._message_payload(message_id))

    def shown(self, message_id: int) -> dict[str, Any]:
        """The message as Discord serves it, what members see."""
        return self._message_payload(message_id)

    async def delete_message(self, message_id: int) -> None:
        self.messages.pop(message_id, None)
        self.reactions = {key: users for key, users in self.reactions.items() if key[0] != message_id}
        self.super_reactions = {key: users for key, users in self.super_reactions.items() if key[0] != message_id}
        payload = {"id": str(message_id), "channel_id": str(CHANNEL_ID), "guild_id": str(GUILD_ID)}
        await self._dispatch("MESSAGE_DELETE", payload)

    async def delete_messages(self, message_ids: list[int]) -> None:
        """A moderator clearing the channel (Discord's bulk delete, up to 100 messages at once): one MESSAGE_DELETE_BULK
        event naming them all, as Discord sends it (ids, channel_id, guild_id); no MESSAGE_DELETE for each."""
        gone = set(message_ids)
        for message_id in gone:
            self.messages.pop(message_id, None)
        self.reactions = {key: users for key, users in self.reactions.items() if key[0] not in gone}
        self.super_reactions = {key: users for key, users in self.super_reactions.items() if key[0] not in gone}
        payload = {"ids": [str(i) for i in message_ids], "channel_id": str(CHANNEL_ID), "guild_id": str(GUILD_ID)}
        await self._dispatch("MESSAGE_DELETE_BULK", payload)

    def _reaction_event(
        self, message_id: int, member: FakeMember, emoji: str, add: bool, burst: bool = False
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "user_id": str(member.id),
            "channel_id": str(CHANNEL_ID),
            "message_id": str(message_id),
            "guild_id": str(GUILD_ID),
            "emoji": {"id": None, "name": emoji},
            "type": 1 if burst else 0,
            "burst": burst,
            "burst_colors": ["#ff0000"] if burst else [],
        }
        if add:
            payload["member"] = member_payload(member)
            payload["message_author_id"] = str(BOT_ID)
        return payload
