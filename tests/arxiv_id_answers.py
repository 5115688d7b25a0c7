"""A loopback arXiv whose API answers any `id_list=` query, one entry for each ID asked (the real recorded answer for
1605.08386 with the ID put in), and keeps the IDs each request asked: how many requests a list's abstracts cost."""

from __future__ import annotations

import asyncio
import re

from aiohttp import web

from tests.arxiv_server import ARXIV_DATA, ArxivServer

API_PATH = "/api/query"
_RECORDED = (ARXIV_DATA / "api" / "api_new_arxiv.py_id_1605.08386_s0_m100_199195aa31ad_http200.xml").read_text("utf-8")
_HEAD, _ENTRY, _TAIL = re.match(r"(?s)(.*?)(<entry>.*</entry>)(.*)", _RECORDED).groups()  # type: ignore[union-attr]


def answer_for(arxiv_ids: list[str]) -> str:
    head = _HEAD.replace("<opensearch:totalResults>1<", f"<opensearch:totalResults>{len(arxiv_ids)}<")
    return head + "".join(_ENTRY.replace("1605.08386", arxiv_id) for arxiv_id in arxiv_ids) + _TAIL


class IdListServer(ArxivServer):
    """`asked`: the IDs of each API request, in order. While `held` is clear, an answer waits once `hold_after`
    requests were answered (a fetch under way, for as long as the test wants)."""

    def __init__(self, hold_after: int | None = None) -> None:
        super().__init__()
        self.asked: list[list[str]] = []
        self.hold_after = hold_after
        self.held = asyncio.Event()
        self.holding = asyncio.Event()  # set once an answer waits

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        if request.path != API_PATH:
            return await super()._answer(request)
        arxiv_ids = request.query["id_list"].split(",")
        self.asked.append(arxiv_ids)
        if self.hold_after is not None and len(self.asked) > self.hold_after and not self.held.is_set():
            self.holding.set()
            await self.held.wait()
        return web.Response(text=answer_for(arxiv_ids), content_type="application/atom+xml")
