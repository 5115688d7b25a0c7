"""What the fake Discord's parts share: the state FakeDiscord holds and the helpers one part calls on another,
declared once here so that each mixin (gateway, REST, members, commands) is type-checked against them."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.fake_discord_state import (
    EVERYONE_PERMISSIONS,
    LISTED_MAINTAINER,
    MAINTAINER,
    STRANGER,
    FakeMember,
    Fault,
    Hold,
    Received,
    Refusal,
)


@dataclass
class SharedState:
    """The fields FakeDiscord (a dataclass) is made with, and those its __post_init__ sets (not arguments); the mixins
    read and change them."""

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
    bot: FakeMember = field(init=False, repr=False)
    _ids: itertools.count[int] = field(init=False, repr=False)
    _sockets: list[web.WebSocketResponse] = field(init=False, repr=False)
    _live: set[int] = field(init=False, repr=False)
    _sequence: int = field(init=False, repr=False)
    _session_log: list[tuple[int, str, Any]] = field(init=False, repr=False)
    resume_gate: asyncio.Event | None = field(init=False, repr=False)
    session_expired: bool = field(init=False, repr=False)
    identified: asyncio.Event = field(init=False, repr=False)
    edited: asyncio.Event = field(init=False, repr=False)

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
