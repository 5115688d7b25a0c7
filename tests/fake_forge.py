"""A stand-in for GitHub's pull-request REST API on 127.0.0.1 (list, create, update), run in a thread so the sync
publisher can call it. It checks the token, keeps the pull requests, records every request, and lets a test play the
maintainers: merge or close a pull request.
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict[str, Any] | None


class FakeForge:
    def __init__(self, owner: str, name: str, token: str) -> None:
        self.owner, self.name, self.token = owner, name, token
        self.pulls: dict[int, dict[str, Any]] = {}
        self.received: list[Received] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> FakeForge:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _start(self) -> None:
        app = web.Application()
        base = f"/repos/{self.owner}/{self.name}/pulls"
        app.router.add_get(base, self._list)
        app.router.add_post(base, self._create)
        app.router.add_patch(base + "/{number}", self._update)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    # -- what the maintainers do ---------------------------------------------------------------------------------
    def merge(self, number: int) -> None:
        self.pulls[number].update(state="closed", merged=True, merged_at="2026-11-26T10:00:00Z")

    def close(self, number: int) -> None:
        self.pulls[number].update(state="closed", merged=False, merged_at=None)

    def requests(self, method: str) -> list[Received]:
        return [r for r in self.received if r.method == method]

    # -- the API -------------------------------------------------------------------------------------------------
    async def _record(self, request: web.Request) -> web.Response | None:
        body = None
        if request.can_read_body:
            body = json.loads(await request.read())
        self.received.append(Received(request.method, request.path, dict(request.query), dict(request.headers), body))
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"message": "Bad credentials"}, status=401)
        return None

    async def _list(self, request: web.Request) -> web.Response:
        refused = await self._record(request)
        if refused is not None:
            return refused
        head, state = request.query.get("head"), request.query.get("state", "open")
        found = [
            pull
            for pull in self.pulls.values()
            if (head is None or pull["head"]["label"] == head) and (state == "all" or pull["state"] == state)
        ]
        return web.json_response(sorted(found, key=lambda p: -int(p["number"])))

    async def _create(self, request: web.Request) -> web.Response:
        refused = await self._record(request)
        if refused is not None:
            return refused
        body = self.received[-1].body or {}
        if not all(isinstance(body.get(key), str) and body[key] for key in ("title", "head", "base")):
            return web.json_response({"message": "Validation Failed"}, status=422)
        label = f"{self.owner}:{body['head']}"
        if any(p["head"]["label"] == label and p["state"] == "open" for p in self.pulls.values()):
            return web.json_response({"message": f"A pull request already exists for {label}."}, status=422)
        number = len(self.pulls) + 1
        self.pulls[number] = {
            "number": number,
            "state": "open",
            "merged": False,
            "merged_at": None,
            "title": body["title"],
            "body": body.get("body"),
            "head": {"ref": body["head"], "label": label},
            "base": {"ref": body["base"]},
        }
        return web.json_response(self.pulls[number], status=201)

    async def _update(self, request: web.Request) -> web.Response:
        refused = await self._record(request)
        if refused is not None:
            return refused
        pull = self.pulls.get(int(request.match_info["number"]))
        if pull is None:
            return web.json_response({"message": "Not Found"}, status=404)
        body = self.received[-1].body or {}
        pull.update({key: body[key] for key in ("title", "body") if key in body})
        if body.get("state") == "closed" and pull["state"] == "open":
            pull.update(state="closed", merged=False, merged_at=None)
        return web.json_response(pull)
