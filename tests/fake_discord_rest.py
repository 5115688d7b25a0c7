"""The fake Discord's REST routes under /api/v10: every request recorded, the faults, holds and refusals a test set
answered first, then messages created, read, paged, edited and deleted, reactions and members as Discord serves them."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from tests.fake_discord_shared import SharedState
from tests.fake_discord_state import (
    ADD_REACTIONS,
    APPLICATION_ID,
    BODY,
    BOT_ID,
    CHANNEL_ID,
    EMBED_LINKS,
    GUILD_ID,
    MAINTAINER,
    OTHER_ROLE_ID,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    SUPPRESS_EMBEDS,
    TIMESTAMP,
    VIEW_CHANNEL,
    Received,
    bot_message,
    embed_length_errors,
    empty_field_errors,
    json_response,
    member_payload,
    rate_limited,
    user_payload,
)


class RestMixin(SharedState):
    """Mixed into FakeDiscord (which supplies the state and `_dispatch`)."""

    def _add_rest_routes(self, app: web.Application, api: str) -> None:
        app.router.add_get(f"{api}/users/@me", self._me)
        app.router.add_get(f"{api}/oauth2/applications/@me", self._application)
        app.router.add_get(f"{api}/gateway", self._gateway_info)
        app.router.add_get(f"{api}/gateway/bot", self._gateway_info)
        app.router.add_post(f"{api}/channels/{{channel}}/messages", self._create_message)
        app.router.add_get(f"{api}/channels/{{channel}}/messages", self._history)
        app.router.add_get(f"{api}/channels/{{channel}}/messages/{{message}}", self._get_message)
        app.router.add_patch(f"{api}/channels/{{channel}}/messages/{{message}}", self._edit_message)
        app.router.add_delete(f"{api}/channels/{{channel}}/messages/{{message}}", self._delete_message)
        app.router.add_put(f"{api}/channels/{{channel}}/messages/{{message}}/reactions/{{emoji}}/@me", self._react)
        app.router.add_delete(f"{api}/channels/{{channel}}/messages/{{message}}/reactions/{{emoji}}/@me", self._unreact)
        app.router.add_get(f"{api}/channels/{{channel}}/messages/{{message}}/reactions/{{emoji}}", self._reactors)
        app.router.add_get(f"{api}/guilds/{{guild}}/members/{{user}}", self._get_member)

    @web.middleware
    async def _record_and_fault(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path == "/gateway":
            return await handler(request)  # type: ignore[no-any-return]
        raw = await request.read()
        body = json.loads(raw) if raw else None
        request[BODY] = body if isinstance(body, dict) else {}
        self.received.append(
            Received(
                request.method,
                request.path,
                body,
                dict(request.query),
                dict(request.headers.items()),
                time.perf_counter(),
            )
        )
        for hold in self.holds:
            if request.method == hold.method and hold.contains in request.path:
                self.holds.remove(hold)
                hold.arrived.set()
                await hold.released.wait()
                break
        if self.faults:
            fault = self.faults[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                self.faults.pop(0)
            if fault.status == 429:
                return rate_limited(fault.retry_after)
            return json_response({"message": "Internal Server Error", "code": 0}, fault.status)
        for (method, contains), retry_after in self.rate_limits.items():
            if request.method == method and contains in request.path:
                return rate_limited(retry_after)
        for refusal in self.refusals:
            if request.method == refusal.method and refusal.contains in request.path and refusal.times != 0:
                refusal.times -= 1
                return json_response({"message": refusal.message, "code": refusal.code}, refusal.status)
        response: web.StreamResponse = await handler(request)
        response.headers.update(
            {
                "X-RateLimit-Limit": "50",
                "X-RateLimit-Remaining": "49",
                "X-RateLimit-Reset-After": "1.0",
                "X-RateLimit-Bucket": "fake-" + request.method,
            }
        )
        return response

    async def _me(self, request: web.Request) -> web.Response:
        return json_response(user_payload(self.bot, bot=True))

    async def _application(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "id": str(APPLICATION_ID),
                "name": "digest-bot",
                "icon": None,
                "description": "",
                "bot_public": False,
                "bot_require_code_grant": False,
                "owner": user_payload(MAINTAINER),
                "verify_key": "0" * 64,
                "flags": 0,
                "team": None,
            }
        )

    async def _gateway_info(self, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        return json_response({"url": self.gateway_url, "shards": 1, "session_start_limit": limit})

    def _message_payload(self, message_id: int) -> dict[str, Any]:
        message = self.messages[message_id]
        reactions = []
        for mid, emoji in dict.fromkeys([*self.reactions, *self.super_reactions]):
            users, bursts = self.reactions.get((mid, emoji), []), self.super_reactions.get((mid, emoji), [])
            if mid == message_id and (users or bursts):
                reactions.append(
                    {
                        "emoji": {"id": None, "name": emoji},
                        "count": len(users) + len(bursts),
                        "count_details": {"normal": len(users), "burst": len(bursts)},
                        "me": BOT_ID in users,
                        "me_burst": False,
                        "burst_colors": [],
                    }
                )
        public = {key: value for key, value in message.items() if not key.startswith("_")}
        if public["flags"] & SUPPRESS_EMBEDS:
            public["embeds"] = []
        return {**public, "reactions": reactions}

    async def _create_message(self, request: web.Request) -> web.Response:
        unknown = self._unknown_channel(request)
        if unknown is not None:  # a deleted channel takes no message, whatever the bot's permissions were
            return unknown
        body = request[BODY] or {}
        # Discord refuses a message the bot may not send, and one of embeds alone without Embed Links.
        refused = self._refused(request, SEND_MESSAGES | (EMBED_LINKS if body.get("embeds") else 0))
        if refused is not None:
            return refused
        text = json.dumps(body, ensure_ascii=False).casefold()
        if any(word.casefold() in text for word in self.automod_words):
            return json_response({"message": "Message was blocked by AutoMod", "code": 200000}, 400)
        form_errors = empty_field_errors(body) or embed_length_errors(body)
        if form_errors is not None:
            return json_response(form_errors, 400)
        if body.get("enforce_nonce") and body.get("nonce"):  # Discord's dedupe: the same nonce gets the same message
            for message_id, message in self.messages.items():
                if message["_request"].get("nonce") == body["nonce"]:
                    return json_response(self._message_payload(message_id))
        message_id = next(self._ids)
        self.messages[message_id] = {
            **bot_message(self.bot, message_id, request.match_info["channel"], body),
            "guild_id": str(GUILD_ID),
            "_request": body,
        }
        status, count = self.failed_after_create
        if count > 0:
            self.failed_after_create = (status, count - 1)
            return json_response({"message": "Service Unavailable", "code": 0}, status)
        return json_response(self._message_payload(message_id))

    async def _history(self, request: web.Request) -> web.Response:
        """The channel's messages, newest first, as Discord pages them (`before`, `after`, `limit`); none, and no
        error, to a bot without Read Message History, as Discord answers."""
        unknown = self._unknown_channel(request)
        if unknown is not None:
            return unknown
        refused = self._refused(request, 0)
        if refused is not None:
            return refused
        if not self.bot_permissions() & READ_MESSAGE_HISTORY:
            return json_response([])
        before = int(request.query.get("before", str(2**63)))
        after = int(request.query.get("after", "0"))
        limit = int(request.query.get("limit", "50"))
        here = [mid for mid, message in self.messages.items() if message["channel_id"] == request.match_info["channel"]]
        wanted = sorted((mid for mid in here if after < mid < before), reverse=True)[:limit]
        if "after" in request.query and "before" not in request.query:  # the oldest after it, still newest first
            wanted = sorted(sorted(mid for mid in here if mid > after)[:limit], reverse=True)
        return json_response([self._message_payload(mid) for mid in wanted])

    def _unknown_channel(self, request: web.Request) -> web.Response | None:
        """Discord's 404 for a channel it does not have: another id than the review channel's, or that one deleted."""
        if request.match_info["channel"] != str(CHANNEL_ID) or CHANNEL_ID in self.deleted:
            return json_response({"message": "Unknown Channel", "code": 10003}, 404)
        return None

    def bot_permissions(self) -> int:
        """The bot's permissions in the review channel: its roles' (@everyone's, the readers' when it holds that role)
        less what the channel's overwrite denies it."""
        granted = self.everyone_permissions | (self.readers_permissions if OTHER_ROLE_ID in self.bot.roles else 0)
        return granted & ~self.denied_to_bot

    def _refused(self, request: web.Request, needed: int) -> web.Response | None:
        """Discord's 403 for a request the bot's permissions in the channel do not allow: "Missing Access" (50001) in a
        channel it cannot see, else "Missing Permissions" (50013) when it lacks one of `needed`."""
        unknown = self._unknown_channel(request)
        if unknown is not None:
            return unknown
        allowed = self.bot_permissions()
        if not allowed & VIEW_CHANNEL:
            return json_response({"message": "Missing Access", "code": 50001}, 403)
        if needed & ~allowed:
            return json_response({"message": "Missing Permissions", "code": 50013}, 403)
        return None

    def _known_message(self, request: web.Request, needed: int = 0) -> int | web.Response:
        """The message the URL names, or Discord's answer: 404 Unknown Channel; 403 when the bot's permissions do not
        allow the request (`needed`); 404 Unknown Message for an id not in the channel."""
        refused = self._refused(request, needed)
        if refused is not None:
            return refused
        message_id = int(request.match_info["message"])
        message = self.messages.get(message_id)
        if message is None or message["channel_id"] != request.match_info["channel"]:
            return json_response({"message": "Unknown Message", "code": 10008}, 404)
        return message_id

    async def _get_message(self, request: web.Request) -> web.Response:
        refused = self._refused(request, 0)
        if refused is not None:
            return refused
        if not self.bot_permissions() & READ_MESSAGE_HISTORY:
            return json_response({"message": "Missing Access", "code": 50001}, 403)
        message_id = self._known_message(request)
        if isinstance(message_id, web.Response):
            return message_id
        return json_response(self._message_payload(message_id))

    async def _edit_message(self, request: web.Request) -> web.Response:
        message_id = self._known_message(request)
        if isinstance(message_id, web.Response):
            return message_id
        body = request[BODY] or {}
        refused = empty_field_errors(body) or embed_length_errors(body)
        if refused is not None:
            return json_response(refused, 400)
        message = self.messages[message_id]
        for key in ("content", "embeds"):
            if key in body:
                message[key] = body[key]
        if "flags" in body:  # its author may set or clear SUPPRESS_EMBEDS alone
            message["flags"] = message["flags"] & ~SUPPRESS_EMBEDS | int(body["flags"]) & SUPPRESS_EMBEDS
        message["edited_timestamp"] = TIMESTAMP
        message["_edits"] = [*message.get("_edits", []), body]
        self.edited.set()
        await self._dispatch("MESSAGE_UPDATE", self._message_payload(message_id))  # Discord tells its author too
        return json_response(self._message_payload(message_id))

    async def _delete_message(self, request: web.Request) -> web.StreamResponse:
        """The bot deleting a message (its own needs no permission), told to the channel as a member's deletion is."""
        message_id = self._known_message(request)
        if isinstance(message_id, web.Response):
            return message_id
        await self.delete_message(message_id)
        return web.Response(status=204)

    async def _react(self, request: web.Request) -> web.Response:
        """The bot's reaction: Discord asks Read Message History, and Add Reactions for an emoji no one reacted with."""
        emoji = unquote(request.match_info["emoji"])
        mid = request.match_info["message"]
        new = not (self.reactions.get((int(mid), emoji)) if mid.isdigit() else None)
        message_id = self._known_message(request, READ_MESSAGE_HISTORY | (ADD_REACTIONS if new else 0))
        if isinstance(message_id, web.Response):
            return message_id
        users = self.reactions.setdefault((message_id, emoji), [])
        if BOT_ID not in users:
            users.append(BOT_ID)
            # Discord tells every client, the bot included, about the bot's own reaction.
            await self._dispatch("MESSAGE_REACTION_ADD", self._reaction_event(message_id, self.bot, emoji, True))
        return web.Response(status=204)

    async def _unreact(self, request: web.Request) -> web.Response:
        message_id = self._known_message(request)
        if isinstance(message_id, web.Response):
            return message_id
        users = self.reactions.get((message_id, unquote(request.match_info["emoji"])), [])
        if BOT_ID in users:
            users.remove(BOT_ID)
        return web.Response(status=204)

    async def _reactors(self, request: web.Request) -> web.Response:
        refused = self._refused(request, 0)
        if refused is not None:
            return refused
        if not self.bot_permissions() & READ_MESSAGE_HISTORY:  # as reading the message itself
            return json_response({"message": "Missing Access", "code": 50001}, 403)
        message_id = self._known_message(request)
        if isinstance(message_id, web.Response):
            return message_id
        kept = self.super_reactions if request.query.get("type") == "1" else self.reactions  # 1: burst
        users = kept.get((message_id, unquote(request.match_info["emoji"])), [])
        after = int(request.query.get("after", "0"))
        limit = int(request.query.get("limit", "25"))
        everyone = {m.id: m for m in [*self.departed, *self.members, self.bot]}
        chosen = sorted(uid for uid in users if uid > after)[:limit]
        return json_response([user_payload(everyone[uid], bot=uid == BOT_ID) for uid in chosen])

    async def _get_member(self, request: web.Request) -> web.Response:
        if self.member_lookup_status is not None:
            return json_response({"message": "Service Unavailable", "code": 0}, self.member_lookup_status)
        wanted = int(request.match_info["user"])
        for member in [*self.members, self.bot]:
            if member.id == wanted:
                return json_response(member_payload(member))
        return json_response({"message": "Unknown Member", "code": 10007}, 404)
