"""A small Discord on 127.0.0.1 speaking the real protocol (REST under /api/v10 and the gateway websocket).

The real discord.py client connects to it. It keeps messages and reactions like Discord does, records every request
and gateway frame it received, can answer the next N requests with 429 or 5xx (or one route with 429 until told
otherwise), and lets a test push reaction and delete events as if a member acted in the channel, and slash commands as
if a member used one. Its parts: the state and payloads (fake_discord_state), the REST routes (fake_discord_rest), the
gateway (fake_discord_gateway), what members and admins do (fake_discord_members), slash commands
(fake_discord_commands); their public names are importable from here.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fake_discord_commands import CommandsMixin
from tests.fake_discord_gateway import GatewayMixin
from tests.fake_discord_members import MembersMixin
from tests.fake_discord_rest import RestMixin
from tests.fake_discord_state import (
    ADD_REACTIONS,
    APPLICATION_ID,
    BODY,
    BOT_ID,
    CHANNEL_ID,
    DRAWN_BLANK,
    EMBED_LIMITS,
    EMBED_LINKS,
    EMBED_TOTAL,
    EVERYONE_PERMISSIONS,
    GUILD_ID,
    LISTED_MAINTAINER,
    MAINTAINER,
    MAINTAINER_ROLE_ID,
    OTHER_ROLE_ID,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    STRANGER,
    SUPPRESS_EMBEDS,
    TIMESTAMP,
    VIEW_CHANNEL,
    FakeMember,
    Fault,
    Hold,
    Received,
    Refusal,
    bot_message,
    embed_length_errors,
    empty_field_errors,
    json_response,
    member_payload,
    rate_limited,
    reserve_port,
    user_payload,
    utf16_units,
)

__all__ = [
    "ADD_REACTIONS",
    "APPLICATION_ID",
    "BODY",
    "BOT_ID",
    "CHANNEL_ID",
    "DRAWN_BLANK",
    "EMBED_LIMITS",
    "EMBED_LINKS",
    "EMBED_TOTAL",
    "EVERYONE_PERMISSIONS",
    "GUILD_ID",
    "LISTED_MAINTAINER",
    "MAINTAINER",
    "MAINTAINER_ROLE_ID",
    "OTHER_ROLE_ID",
    "READ_MESSAGE_HISTORY",
    "SEND_MESSAGES",
    "STRANGER",
    "SUPPRESS_EMBEDS",
    "TIMESTAMP",
    "VIEW_CHANNEL",
    "FakeDiscord",
    "FakeMember",
    "Fault",
    "Hold",
    "Received",
    "Refusal",
    "bot_message",
    "embed_length_errors",
    "empty_field_errors",
    "json_response",
    "member_payload",
    "rate_limited",
    "reserve_port",
    "user_payload",
    "utf16_units",
]


@dataclass
class FakeDiscord(GatewayMixin, RestMixin, MembersMixin, CommandsMixin):
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
        self._add_rest_routes(app, api)
        self._add_command_routes(app, api)
        app.router.add_get("/gateway", self._websocket)
        self._runner = web.AppRunner(app, shutdown_timeout=2.0)  # not aiohttp's 60 s for a handler still running
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
