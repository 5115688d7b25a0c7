"""A small Discord on 127.0.0.1 speaking the real protocol (REST under /api/v10 and the gateway websocket).

The real discord.py client connects to it. It keeps messages and reactions like Discord does, records every request
and gateway frame it received, can answer the next N requests with 429 or 5xx (or one route with 429 until told
otherwise), and lets a test push reaction and
delete events as if a member acted in the channel, and slash commands as if a member used one (fake_discord_commands).
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import socket as sockets_api
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from aiohttp import WSMsgType, web

from tests.fake_discord_commands import CommandsMixin

GUILD_ID = 700000000000000001
# Discord's permission bits the bot uses in the review channel, which @everyone has by default.
READ_MESSAGE_HISTORY = 1 << 16
VIEW_CHANNEL = 1 << 10
EVERYONE_PERMISSIONS = (1 << 6) | VIEW_CHANNEL | (1 << 11) | (1 << 14) | READ_MESSAGE_HISTORY  # reactions, view, send,
# embed links, history
SUPPRESS_EMBEDS = 1 << 2  # a message's flag: its embeds are not shown (nor served)
CHANNEL_ID = 700000000000000002
BOT_ID = 700000000000000003
APPLICATION_ID = 700000000000000004
MAINTAINER_ROLE_ID = 700000000000000005
OTHER_ROLE_ID = 700000000000000006
TIMESTAMP = "2026-11-23T06:00:00.000000+00:00"
BODY = web.RequestKey("body", dict[str, Any])
# What Discord trims from an embed field's name and value before it requires them non-empty: white space, and the
# characters that draw nothing (zero-width ones, the Braille blank, the Hangul fillers); a field of only these is 400.
DRAWN_BLANK = "\u200b\u200c\u200d\u2060\ufeff\u2800\u3164\u115f\u1160\uffa0\u180e\u034f"


def empty_field_errors(body: dict[str, Any]) -> dict[str, Any] | None:
    """Discord's 400 "Invalid Form Body" errors for embed fields whose name or value is empty once trimmed."""
    errors: dict[str, Any] = {}
    for e, embed in enumerate(body.get("embeds") or []):
        for f, embed_field in enumerate(embed.get("fields") or []):
            for key in ("name", "value"):
                if all(c.isspace() or c in DRAWN_BLANK for c in str(embed_field.get(key) or "")):
                    required = {"_errors": [{"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}]}
                    errors.setdefault(str(e), {"fields": {}})["fields"].setdefault(str(f), {})[key] = required
    if not errors:
        return None
    return {"message": "Invalid Form Body", "code": 50035, "errors": {"embeds": errors}}


# Discord's embed limits, counted as Discord counts them: in UTF-16 code units (an emoji or a mathematical letter
# such as 𝐀 is two), https://discord.com/developers/docs/resources/message#embed-object-embed-limits
EMBED_LIMITS = {"title": 256, "description": 4096, "field_name": 256, "field_value": 1024, "footer": 2048}
EMBED_TOTAL = 6000


def utf16_units(text: object) -> int:
    return len(str(text or "").encode("utf-16-le")) // 2


def embed_length_errors(body: dict[str, Any]) -> dict[str, Any] | None:
    """Discord's 400 "Invalid Form Body" errors for embeds over a limit, lengths counted in UTF-16 code units."""
    errors: dict[str, Any] = {}
    for e, embed in enumerate(body.get("embeds") or []):
        parts = {
            "title": embed.get("title"),
            "description": embed.get("description"),
            "footer": (embed.get("footer") or {}).get("text"),
        }
        for f, embed_field in enumerate(embed.get("fields") or []):
            parts[f"field_name.{f}"] = embed_field.get("name")
            parts[f"field_value.{f}"] = embed_field.get("value")
        for key, text in parts.items():
            limit = EMBED_LIMITS[key.split(".")[0]]
            if utf16_units(text) > limit:
                too_long = {"code": "BASE_TYPE_MAX_LENGTH", "message": f"Must be {limit} or fewer in length."}
                errors.setdefault(str(e), {})[key] = {"_errors": [too_long]}
        if sum(utf16_units(text) for text in parts.values()) > EMBED_TOTAL:
            too_long = {"code": "MAX_EMBED_SIZE_EXCEEDED", "message": "Embed size exceeds maximum size of 6000"}
            errors.setdefault(str(e), {})["_errors"] = [too_long]
    if not errors:
        return None
    return {"message": "Invalid Form Body", "code": 50035, "errors": {"embeds": errors}}


@dataclass(frozen=True)
class FakeMember:
    id: int
    name: str
    roles: tuple[int, ...] = ()


MAINTAINER = FakeMember(800000000000000001, "ann", (MAINTAINER_ROLE_ID,))
LISTED_MAINTAINER = FakeMember(800000000000000002, "bob")  # a maintainer by user id, holds no role
STRANGER = FakeMember(800000000000000003, "eve", (OTHER_ROLE_ID,))


@dataclass
class Received:
    method: str
    path: str
    body: Any
    query: dict[str, str]
    headers: dict[str, str]
    at: float = 0.0  # time.perf_counter() on arrival, for bench/bench_discord.py


@dataclass
class Fault:
    status: int
    remaining: int
    retry_after: float = 0.2


@dataclass
class Refusal:
    """A standing answer for matching requests: a deleted channel, a lost permission, a one-off 503."""

    method: str
    contains: str
    status: int
    code: int
    message: str
    times: int = -1  # how many requests it answers; -1: all of them


@dataclass
class Hold:
    """The next matching request kept unanswered until the test sets `released`: Discord slow to answer, so that a
    test can act while the bot waits (`arrived` is set once the request came)."""

    method: str
    contains: str
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)


def reserve_port() -> int:
    """A loopback port nothing listens on (yet): Discord unreachable until a fake is started on it."""
    with sockets_api.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """discord.py decodes JSON only when Content-Type is exactly application/json (no charset)."""
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return web.Response(status=status, body=json.dumps(payload).encode(), headers=all_headers)


def rate_limited(retry_after: float) -> web.Response:
    """Discord's 429, as its rate limiter answers it."""
    headers = {
        "Via": "1.1 google",  # discord.py treats a 429 without it as a Cloudflare ban
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset-After": str(retry_after),
        "X-RateLimit-Bucket": "fake-bucket",
        "X-RateLimit-Scope": "user",
        "Retry-After": str(max(1, round(retry_after))),
    }
    payload = {"message": "You are being rate limited.", "retry_after": retry_after, "global": False}
    return json_response(payload, 429, headers)


def bot_message(bot: FakeMember, message_id: int, channel_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """A message the bot sent, as Discord returns it: the request's content, embeds and flags."""
    return {
        "id": str(message_id),
        "channel_id": channel_id,
        "author": user_payload(bot, bot=True),
        "content": body.get("content") or "",
        "embeds": body.get("embeds") or [],
        "type": 0,
        "timestamp": TIMESTAMP,
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "components": [],
        "pinned": False,
        "flags": int(body.get("flags") or 0),
    }


def user_payload(member: FakeMember, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(member.id),
        "username": member.name,
        "global_name": member.name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


def member_payload(member: FakeMember) -> dict[str, Any]:
    return {
        "user": user_payload(member),
        "roles": [str(role) for role in member.roles],
        "nick": None,
        "joined_at": TIMESTAMP,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
    }


@dataclass
class FakeDiscord(CommandsMixin):
    members: list[FakeMember] = field(default_factory=lambda: [MAINTAINER, LISTED_MAINTAINER, STRANGER])
    received: list[Received] = field(default_factory=list)
    frames: list[dict[str, Any]] = field(default_factory=list)
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    # (message id, emoji) -> user ids in the order they reacted
    reactions: dict[tuple[int, str], list[int]] = field(default_factory=dict)
    super_reactions: dict[tuple[int, str], list[int]] = field(default_factory=dict)  # "burst" ones (Nitro), apart
    faults: list[Fault] = field(default_factory=list)
    holds: list[Hold] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    # (method, part of the path) -> retry_after: matching requests are answered 429 until `lift`
    rate_limits: dict[tuple[str, str], float] = field(default_factory=dict)
    port: int = 0  # 0: any free port; else this one (see `reserve_port`)
    bot_roles: tuple[int, ...] = ()  # the roles the bot's own member holds (e.g. the maintainer role)
    member_lookup_status: int | None = None  # when set, every member lookup is answered with this status
    deleted: set[int] = field(default_factory=set)  # roles and channels a server admin deleted
    # AutoMod's keyword rule: a message (content or embeds) holding one of these words is refused, as Discord does
    automod_words: tuple[str, ...] = ()
    departed: list[FakeMember] = field(default_factory=list)  # users who left: still named under their reactions
    # The next this many message creations keep the message and still answer this status (a proxy's 5xx after
    # Discord stored it): (status, count).
    failed_after_create: tuple[int, int] = (0, 0)
    denied_to_bot: int = 0  # permission bits the review channel's overwrite denies the bot (READ_MESSAGE_HISTORY...)
    everyone_permissions: int = EVERYONE_PERMISSIONS  # the server-wide permissions of the @everyone role
    readers_permissions: int = 0  # ... and of the "readers" role (OTHER_ROLE_ID)

    def __post_init__(self) -> None:
        self.bot = FakeMember(BOT_ID, "digest-bot", self.bot_roles)
        self._ids = itertools.count(900000000000000001)
        self._sockets: list[web.WebSocketResponse] = []
        self._live: set[int] = set()  # ids of the sockets that identified or resumed: events go to those
        self._sequence = 0
        # The session's events with their sequence numbers: a client that RESUMEs is sent those after the sequence it
        # names (those dispatched while it was away), then RESUMED, as Discord does. A new IDENTIFY begins a new log.
        self._session_log: list[tuple[int, str, Any]] = []
        self.resume_gate: asyncio.Event | None = None  # when set, a RESUME is answered once the test sets it
        self.session_expired = False  # a RESUME is answered INVALID_SESSION (op 9, not resumable): identify anew
        self._runner: web.AppRunner | None = None
        self.identified = asyncio.Event()
        self.edited = asyncio.Event()  # set on every message edit, so a bench can wait without polling
        self._init_commands()

    # -- lifecycle -------------------------------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application(middlewares=[self._record_and_fault])
        api = "/api/v10"
        app.router.add_get(f"{api}/users/@me", self._me)
        app.router.add_get(f"{api}/oauth2/applications/@me", self._application)
        app.router.add_get(f"{api}/gateway", self._gateway_info)
        app.router.add_get(f"{api}/gateway/bot", self._gateway_info)
        app.router.add_post(f"{api}/channels/{{channel}}/messages", self._create_message)
        app.router.add_get(f"{api}/channels/{{channel}}/messages", self._history)
        app.router.add_get(f"{api}/channels/{{channel}}/messages/{{message}}", self._get_message)
        app.router.add_patch(f"{api}/channels/{{channel}}/messages/{{message}}", self._edit_message)
        app.router.add_put(f"{api}/channels/{{channel}}/messages/{{message}}/reactions/{{emoji}}/@me", self._react)
        app.router.add_delete(f"{api}/channels/{{channel}}/messages/{{message}}/reactions/{{emoji}}/@me", self._unreact)
        app.router.add_get(f"{api}/channels/{{channel}}/messages/{{message}}/reactions/{{emoji}}", self._reactors)
        app.router.add_get(f"{api}/guilds/{{guild}}/members/{{user}}", self._get_member)
        self._add_command_routes(app, api)
        app.router.add_get("/gateway", self._websocket)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        for socket in list(self._sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def config_toml(self, *, post_cap: int = 10, extra: str = "", guild: bool = True) -> str:
        return (
            "[discord]\n" + (f"guild_id = {GUILD_ID}\n" if guild else "") + f"channel_id = {CHANNEL_ID}\n"
            f"maintainer_role_ids = [{MAINTAINER_ROLE_ID}]\nmaintainer_user_ids = [{LISTED_MAINTAINER.id}]\n"
            f'api_base = "{self.api_base}"\ngateway_url = "{self.gateway_url}"\npost_cap_per_run = {post_cap}\n'
            f"{extra}"
        )

    def fail_next(self, count: int, status: int = 429, retry_after: float = 0.2) -> None:
        """The next `count` REST requests are answered with `status` (429 carries Discord's rate-limit headers)."""
        self.faults.append(Fault(status, count, retry_after))

    def limit(self, method: str, contains: str, retry_after: float) -> None:
        """Requests with `method` whose path contains `contains` are answered 429 asking `retry_after` s, until `lift`:
        Discord rate-limiting a route for minutes (each request meanwhile answered 429 again, counting toward a ban)."""
        self.rate_limits[(method, contains)] = retry_after

    def lift(self) -> None:
        self.rate_limits.clear()

    def hold_next(self, method: str, contains: str = "") -> Hold:
        """The next request with `method` whose path contains `contains` waits for the test's `released.set()`."""
        hold = Hold(method, contains)
        self.holds.append(hold)
        return hold

    def refuse(self, method: str, contains: str, status: int, code: int, message: str, times: int = -1) -> None:
        """Requests with `method` whose path contains `contains` are answered with Discord's error `code`."""
        self.refusals.append(Refusal(method, contains, status, code, message, times))

    # -- what a test looks at --------------------------------------------------------------------------------------
    def requests(self, method: str, contains: str = "") -> list[Received]:
        return [r for r in self.received if r.method == method and contains in r.path]

    def posted(self) -> list[dict[str, Any]]:
        """Bodies of the messages the bot created, oldest first (only those Discord accepted)."""
        return [m["_request"] for m in self.messages.values()]

    def reactors(self, message_id: int, emoji: str) -> list[int]:
        return list(self.reactions.get((message_id, emoji), []))

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

    # -- REST ------------------------------------------------------------------------------------------------------
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
        body = request[BODY] or {}
        text = json.dumps(body, ensure_ascii=False).casefold()
        if any(word.casefold() in text for word in self.automod_words):
            return json_response({"message": "Message was blocked by AutoMod", "code": 200000}, 400)
        refused = empty_field_errors(body) or embed_length_errors(body)
        if refused is not None:
            return json_response(refused, 400)
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
        if self.denied_to_bot & READ_MESSAGE_HISTORY:
            return json_response([])
        before = int(request.query.get("before", str(2**63)))
        after = int(request.query.get("after", "0"))
        limit = int(request.query.get("limit", "50"))
        wanted = sorted((mid for mid in self.messages if after < mid < before), reverse=True)[:limit]
        if "after" in request.query and "before" not in request.query:  # the oldest after it, still newest first
            wanted = sorted(sorted(mid for mid in self.messages if mid > after)[:limit], reverse=True)
        return json_response([self._message_payload(mid) for mid in wanted])

    def _known_message(self, request: web.Request) -> int | None:
        message_id = int(request.match_info["message"])
        return message_id if message_id in self.messages else None

    async def _get_message(self, request: web.Request) -> web.Response:
        if self.denied_to_bot & READ_MESSAGE_HISTORY:
            return json_response({"message": "Missing Access", "code": 50001}, 403)
        message_id = self._known_message(request)
        if message_id is None:
            return json_response({"message": "Unknown Message", "code": 10008}, 404)
        return json_response(self._message_payload(message_id))

    async def _edit_message(self, request: web.Request) -> web.Response:
        message_id = self._known_message(request)
        if message_id is None:
            return json_response({"message": "Unknown Message", "code": 10008}, 404)
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

    async def _react(self, request: web.Request) -> web.Response:
        message_id = self._known_message(request)
        if message_id is None:
            return json_response({"message": "Unknown Message", "code": 10008}, 404)
        emoji = unquote(request.match_info["emoji"])
        users = self.reactions.setdefault((message_id, emoji), [])
        if BOT_ID not in users:
            users.append(BOT_ID)
            # Discord tells every client, the bot included, about the bot's own reaction.
            await self._dispatch("MESSAGE_REACTION_ADD", self._reaction_event(message_id, self.bot, emoji, True))
        return web.Response(status=204)

    async def _unreact(self, request: web.Request) -> web.Response:
        message_id = self._known_message(request)
        if message_id is not None:
            users = self.reactions.get((message_id, unquote(request.match_info["emoji"])), [])
            if BOT_ID in users:
                users.remove(BOT_ID)
        return web.Response(status=204)

    async def _reactors(self, request: web.Request) -> web.Response:
        message_id = self._known_message(request)
        if message_id is None:
            return json_response({"message": "Unknown Message", "code": 10008}, 404)
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

    # -- gateway ---------------------------------------------------------------------------------------------------
    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_json({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        try:
            async for frame in socket:
                if frame.type is not WSMsgType.TEXT:
                    continue
                message = json.loads(frame.data)
                self.frames.append(message)
                op = message.get("op")
                if op == 1:
                    await socket.send_json({"op": 11, "d": None, "s": None, "t": None})
                elif op == 2:
                    self._sequence, self._session_log = 0, []
                    self._live.add(id(socket))
                    await self._send_ready(socket)
                    self.identified.set()
                elif op == 6:
                    await self._resume(socket, int(message["d"].get("seq") or 0))
        finally:
            self._sockets.remove(socket)
            self._live.discard(id(socket))
        return socket

    async def _resume(self, socket: web.WebSocketResponse, seq: int) -> None:
        """The events after `seq` (dispatched while the client was away) sent again in order, then RESUMED."""
        if self.resume_gate is not None:
            await self.resume_gate.wait()
        if self.session_expired:
            self.session_expired = False
            await socket.send_json({"op": 9, "d": False, "s": None, "t": None})
            return
        for sequence, event, data in [entry for entry in self._session_log if entry[0] > seq]:
            await socket.send_json({"op": 0, "t": event, "s": sequence, "d": data})
        self._live.add(id(socket))
        await self._send(socket, "RESUMED", {})

    async def reconnect_request(self) -> None:
        """Discord's RECONNECT (op 7) to the connected client: it closes the connection and RESUMEs its session."""
        for socket in list(self._sockets):
            if id(socket) in self._live and not socket.closed:
                self._live.discard(id(socket))
                await socket.send_json({"op": 7, "d": None, "s": None, "t": None})

    async def _send(self, socket: web.WebSocketResponse, event: str, data: Any) -> None:
        self._sequence += 1
        self._session_log.append((self._sequence, event, data))
        await socket.send_json({"op": 0, "t": event, "s": self._sequence, "d": data})

    async def _dispatch(self, event: str, data: Any) -> None:
        """An event of the session: sent to the connected client, kept for one that RESUMEs."""
        self._sequence += 1
        self._session_log.append((self._sequence, event, data))
        for socket in list(self._sockets):
            if id(socket) in self._live and not socket.closed:
                await socket.send_json({"op": 0, "t": event, "s": self._sequence, "d": data})

    def _channel_payload(self) -> dict[str, Any]:
        denied = [{"id": str(BOT_ID), "type": 1, "allow": "0", "deny": str(self.denied_to_bot)}]
        return {
            "id": str(CHANNEL_ID),
            "type": 0,
            "name": "paper-review",
            "position": 0,
            "permission_overwrites": denied if self.denied_to_bot else [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "rate_limit_per_user": 0,
            "last_message_id": None,
        }

    def _roles(self) -> list[dict[str, Any]]:
        roles: list[dict[str, Any]] = [
            {"id": str(GUILD_ID), "name": "@everyone", "permissions": str(self.everyone_permissions), "position": 0},
            {"id": str(MAINTAINER_ROLE_ID), "name": "maintainers", "permissions": "0", "position": 1},
            {"id": str(OTHER_ROLE_ID), "name": "readers", "permissions": str(self.readers_permissions), "position": 2},
        ]
        return [{"color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0, **r} for r in roles]

    async def _send_ready(self, socket: web.WebSocketResponse) -> None:
        ready = {
            "v": 10,
            "user": user_payload(self.bot, bot=True),
            "guilds": [{"id": str(GUILD_ID), "unavailable": True}],
            "session_id": "fake-session",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(APPLICATION_ID), "flags": 0},
            "private_channels": [],
            "relationships": [],
        }
        await self._send(socket, "READY", ready)
        await self._send(socket, "GUILD_CREATE", self._guild_payload())

    def _guild_payload(self) -> dict[str, Any]:
        roles = [role for role in self._roles() if int(role["id"]) not in self.deleted]
        return {
            "id": str(GUILD_ID),
            "name": "Interpretability",
            "owner_id": str(MAINTAINER.id),
            "unavailable": False,
            "large": False,
            "member_count": len(self.members) + 1,
            "joined_at": TIMESTAMP,
            "roles": roles,
            "channels": [] if CHANNEL_ID in self.deleted else [self._channel_payload()],
            "members": [member_payload(m) for m in [*self.members, self.bot]],
            "emojis": [],
            "stickers": [],
            "features": [],
            "threads": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "voice_states": [],
            "presences": [],
            "premium_tier": 0,
        }

    # -- a picture for the README ----------------------------------------------------------------------------------
    def render_last_message_html(self) -> str:
        """The newest candidate message as simple HTML in Discord's dark theme (for a README screenshot)."""
        message = next(m for m in reversed(self.messages.values()) if m.get("embeds"))
        embed = message["embeds"][0]
        message_id = int(message["id"])

        def text(value: str) -> str:
            plain = value.replace("\\", "").replace("@\u200b", "@")
            plain = html.escape(plain)
            plain = plain.replace("**", "")
            # Discord shows masked links ([text](url)) in embed fields as links.
            plain = re.sub(r"\[([^\]]+)\]\((https?://[^)\s]+)\)", r'<a href="\2">\1</a>', plain)
            return plain.replace("\n", "<br>")

        colour = f"#{embed.get('color', 0):06x}"
        fields = "".join(
            f'<div class="field{" inline" if f.get("inline") else ""}"><b>{text(f["name"])}</b>'
            f"<div>{text(f['value'])}</div></div>"
            for f in embed.get("fields", [])
        )
        reactions = "".join(
            f'<span class="reaction">{html.escape(emoji)} {len(users)}</span>'
            for (mid, emoji), users in self.reactions.items()
            if mid == message_id and users
        )
        return f"""<!doctype html><html><head><meta charset="utf-8"><style>
a{{color:#00a8fc;text-decoration:none}}
body{{background:#313338;color:#dbdee1;font:15px/1.4 'gg sans','Noto Sans',sans-serif;padding:24px;width:720px}}
.author{{color:#fff;font-weight:600}} .bot{{background:#5865f2;color:#fff;font-size:11px;padding:1px 4px;
border-radius:3px;margin-left:4px}} .embed{{background:#2b2d31;border-left:4px solid {colour};border-radius:4px;
padding:12px 16px;margin-top:6px}} .title{{color:#00a8fc;font-weight:600;margin-bottom:8px}}
.field{{margin-top:8px}} .inline{{display:inline-block;width:45%}}
.footer{{font-size:12px;color:#b5bac1;margin-top:10px}}
.reaction{{display:inline-block;background:#2b2d31;border:1px solid #5865f2;border-radius:8px;padding:2px 8px;
margin:6px 4px 0 0}}</style></head><body>
<div class="author">digest-bot<span class="bot">APP</span></div>
<div class="embed"><div class="title">{text(embed.get("title", ""))}</div>
<div>{text(embed.get("description", ""))}</div>{fields}
<div class="footer">{text(embed.get("footer", {}).get("text", ""))}</div></div>
<div>{reactions}</div></body></html>"""
