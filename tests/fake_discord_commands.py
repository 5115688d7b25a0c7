"""Slash commands in the fake Discord: the bot's bulk command registration, a member using a command (an
INTERACTION_CREATE over the gateway) and the bot's answers (the interaction callback and followup messages).

What the member would see is kept per interaction token, in order: `answers(token)`.
"""

from __future__ import annotations

import itertools
from typing import Any

from aiohttp import web

from tests.fake_discord_shared import SharedState
from tests.fake_discord_state import (
    APPLICATION_ID,
    CHANNEL_ID,
    GUILD_ID,
    FakeMember,
    bot_message,
    json_response,
    member_payload,
    utf16_units,
)

EPHEMERAL = 64
CHANNEL_MESSAGE = 4  # callback types: an answer now
DEFERRED_CHANNEL_MESSAGE = 5  # "thinking", the answer follows
AUTOCOMPLETE_RESULT = 8


class CommandsMixin(SharedState):
    """Mixed into FakeDiscord (which supplies `_dispatch`, the ids and the payload helpers)."""

    def _init_commands(self) -> None:
        self.commands: dict[int, list[dict[str, Any]]] = {}  # guild id -> the commands the bot registered
        self.callbacks: dict[str, list[dict[str, Any]]] = {}  # interaction token -> what the bot answered
        self._tokens = itertools.count(1)

    def _add_command_routes(self, app: web.Application, api: str) -> None:
        app.router.add_put(f"{api}/applications/{{app}}/guilds/{{guild}}/commands", self._register_commands)
        app.router.add_post(f"{api}/interactions/{{interaction}}/{{token}}/callback", self._interaction_callback)
        app.router.add_post(f"{api}/webhooks/{{app}}/{{token}}", self._followup)
        app.router.add_patch(f"{api}/webhooks/{{app}}/{{token}}/messages/@original", self._edit_original)

    # -- what a member does ----------------------------------------------------------------------------------------
    async def use_command(
        self, member: FakeMember, name: str, options: dict[str, str], *, focused: str | None = None
    ) -> str:
        """The member runs `/name` with string options (or types into option `focused`: an autocomplete request);
        the interaction's token, to read the answers with."""
        token = f"interaction-token-{next(self._tokens)}"
        self.callbacks[token] = []
        registered = {command["name"]: command for command in self.commands.get(GUILD_ID, [])}
        data_options = [
            {"name": key, "type": 3, "value": value, **({"focused": True} if key == focused else {})}
            for key, value in options.items()
        ]
        payload: dict[str, Any] = {
            "id": str(self._next_id()),
            "application_id": str(APPLICATION_ID),
            "type": 4 if focused else 2,
            "token": token,
            "version": 1,
            "guild_id": str(GUILD_ID),
            "channel_id": str(CHANNEL_ID),
            "channel": {"id": str(CHANNEL_ID), "type": 0, "guild_id": str(GUILD_ID), "name": "paper-review"},
            "member": {**member_payload(member), "permissions": "0"},
            "app_permissions": "0",
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(GUILD_ID)},
            "context": 0,
            "attachment_size_limit": 8388608,
            "data": {
                "id": registered.get(name, {}).get("id", "1"),
                "name": name,
                "type": 1,
                "guild_id": str(GUILD_ID),
                "options": data_options,
            },
        }
        await self._dispatch("INTERACTION_CREATE", payload)
        return token

    def answers(self, token: str) -> list[str]:
        """The messages the member saw for one interaction, in order (a "thinking" placeholder is not one)."""
        return [body["content"] for body in self.callbacks.get(token, []) if body.get("content") is not None]

    def answer_bodies(self, token: str) -> list[dict[str, Any]]:
        return list(self.callbacks.get(token, []))

    # -- REST ------------------------------------------------------------------------------------------------------
    def _next_id(self) -> int:
        return next(self._ids)

    async def _register_commands(self, request: web.Request) -> web.Response:
        guild = int(request.match_info["guild"])
        commands = await request.json()
        stored = [
            {
                **command,
                "id": str(self._next_id()),
                "application_id": request.match_info["app"],
                "guild_id": str(guild),
                "version": "1",
            }
            for command in commands
        ]
        self.commands[guild] = stored
        return json_response(stored)

    async def _interaction_callback(self, request: web.Request) -> web.Response:
        body = await request.json()
        token = request.match_info["token"]
        kind = body["type"]
        data = body.get("data") or {}
        refused = refusal(data, kind == AUTOCOMPLETE_RESULT)
        if refused is not None:
            return json_response(refused, 400)
        if kind == AUTOCOMPLETE_RESULT:
            self.callbacks.setdefault(token, []).append({"choices": data.get("choices", []), "type": kind})
        else:
            self.callbacks.setdefault(token, []).append({**data, "type": kind})
        interaction = {
            "id": request.match_info["interaction"],
            "type": 2,
            "response_message_loading": kind == DEFERRED_CHANNEL_MESSAGE,
            "response_message_ephemeral": bool(int(data.get("flags", 0)) & EPHEMERAL),
        }
        return json_response({"interaction": interaction, "resource": {"type": kind}})

    def _webhook_message(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        message = bot_message(self.bot, self._next_id(), str(CHANNEL_ID), body)
        return {**message, "webhook_id": request.match_info["app"]}

    async def _followup(self, request: web.Request) -> web.Response:
        body = await request.json()
        refused = refusal(body, choices=False)
        if refused is not None:
            return json_response(refused, 400)
        token = request.match_info["token"]
        self.callbacks.setdefault(token, []).append({**body, "type": "followup"})
        return json_response(self._webhook_message(request, body))

    async def _edit_original(self, request: web.Request) -> web.Response:
        body = await request.json()
        refused = refusal(body, choices=False)
        if refused is not None:
            return json_response(refused, 400)
        self.callbacks.setdefault(request.match_info["token"], []).append({**body, "type": "edit"})
        return json_response(self._webhook_message(request, body))


CONTENT_LIMIT = 2000  # a message's content, in UTF-16 code units as Discord counts
CHOICE_LIMIT = 100  # an autocomplete choice's name (1 to 100) and value (at most 100)


def refusal(data: dict[str, Any], choices: bool) -> dict[str, Any] | None:
    """Discord's 400 "Invalid Form Body" for an answer's content over 2,000 units, or a choice whose name is empty or
    over 100 units, or whose value is over 100; None when Discord takes it. Discord trims a name's white space before
    counting it: a name of spaces is empty."""
    errors: dict[str, Any] = {}
    if utf16_units(data.get("content")) > CONTENT_LIMIT:
        errors["content"] = {
            "_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}]
        }
    for index, choice in enumerate((data.get("choices") or []) if choices else []):
        name, value = utf16_units((choice.get("name") or "").strip()), utf16_units(choice.get("value"))
        if not 1 <= name <= CHOICE_LIMIT or value > CHOICE_LIMIT:
            errors.setdefault("choices", {})[str(index)] = {"_errors": [{"code": "BASE_TYPE_BAD_LENGTH"}]}
    return {"message": "Invalid Form Body", "code": 50035, "errors": errors} if errors else None
