"""The fake Discord's gateway websocket: HELLO, heartbeats, IDENTIFY answered with READY and the server, RESUME
answered with the events missed, RECONNECT on request, and every event of the session sent and logged."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import WSMsgType, web

from tests.fake_discord_shared import SharedState
from tests.fake_discord_state import (
    APPLICATION_ID,
    BOT_ID,
    CHANNEL_ID,
    GUILD_ID,
    MAINTAINER,
    MAINTAINER_ROLE_ID,
    OTHER_ROLE_ID,
    TIMESTAMP,
    member_payload,
    user_payload,
)


class GatewayMixin(SharedState):
    """Mixed into FakeDiscord (which supplies the state and the sockets)."""

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
