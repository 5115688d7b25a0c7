"""What the fake Discord's parts share: the state FakeDiscord holds and the helpers one part calls on another,
declared once here so that each mixin (gateway, REST, members, commands) is type-checked against them."""

from __future__ import annotations

import asyncio
import itertools
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.fake_discord_state import FakeMember, Fault, Hold, Received, Refusal


class SharedState:
    """Declarations only: FakeDiscord (a dataclass) sets these; the mixins read and change them."""

    members: list[FakeMember]
    received: list[Received]
    frames: list[dict[str, Any]]
    messages: dict[int, dict[str, Any]]
    reactions: dict[tuple[int, str], list[int]]
    super_reactions: dict[tuple[int, str], list[int]]
    faults: list[Fault]
    holds: list[Hold]
    refusals: list[Refusal]
    rate_limits: dict[tuple[str, str], float]
    port: int
    bot_roles: tuple[int, ...]
    member_lookup_status: int | None
    deleted: set[int]
    automod_words: tuple[str, ...]
    departed: list[FakeMember]
    failed_after_create: tuple[int, int]
    denied_to_bot: int
    everyone_permissions: int
    readers_permissions: int
    bot: FakeMember
    _ids: itertools.count[int]
    _sockets: list[web.WebSocketResponse]
    _live: set[int]
    _sequence: int
    _session_log: list[tuple[int, str, Any]]
    resume_gate: asyncio.Event | None
    session_expired: bool
    identified: asyncio.Event
    edited: asyncio.Event

    if TYPE_CHECKING:  # defined by one part (FakeDiscord, the gateway, REST or members) and called by another

        @property
        def gateway_url(self) -> str: ...

        async def _dispatch(self, event: str, data: Any) -> None: ...

        def _channel_payload(self) -> dict[str, Any]: ...

        def _roles(self) -> list[dict[str, Any]]: ...

        def _guild_payload(self) -> dict[str, Any]: ...

        def _message_payload(self, message_id: int) -> dict[str, Any]: ...

        async def delete_message(self, message_id: int) -> None: ...

        def _reaction_event(
            self, message_id: int, member: FakeMember, emoji: str, add: bool, burst: bool = False
        ) -> dict[str, Any]: ...
