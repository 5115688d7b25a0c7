"""The fake Discord's state and wire shapes: its ids and permission bits, its members, what it records and the
faults a test sets, the JSON payloads Discord sends, and the 400 errors Discord answers to an embed it refuses."""

from __future__ import annotations

import asyncio
import json
import socket as sockets_api
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

GUILD_ID = 700000000000000001
# Discord's permission bits the bot uses in the review channel, which @everyone has by default.
READ_MESSAGE_HISTORY = 1 << 16
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ADD_REACTIONS = 1 << 6
EVERYONE_PERMISSIONS = ADD_REACTIONS | VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | READ_MESSAGE_HISTORY
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
