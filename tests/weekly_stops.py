"""The set-up of the tests that stop the service while the weekly email goes out in batches: three readers on the
loopback SMTP server, and the service stopped once the first message arrived (or, for a server stalling after the
first, the second)."""

from __future__ import annotations

import asyncio
from typing import Any

from digest.config import Settings
from digest.service.process import Service
from tests.smtp_server import Inbox
from tests.weekly_email import NOW, SlowInbox, with_smtp

THREE_READERS = ("first@example.org", "second@example.org", "third@example.org")


def with_three_readers(settings: Settings, port: int) -> Settings:
    """The settings sending to THREE_READERS through the SMTP server on `port`."""
    configured = with_smtp(settings, port)
    return configured.model_copy(update={"smtp": configured.smtp.model_copy(update={"recipients": THREE_READERS})})


async def stopped_mid_send(settings: Settings, inbox: SlowInbox) -> tuple[int, asyncio.Future[None]]:
    """The service (no schedule, no web page) sends the week and is stopped once `inbox` took its first message: how
    many messages had arrived when the stop returned, and the weekly job, still to be awaited."""
    service = Service(settings, clock=lambda: NOW)
    await service.start(schedule=False, serve_web=False)
    job = asyncio.ensure_future(service.weekly_now())
    while not inbox.arrived.is_set():
        await asyncio.sleep(0.05)
    await service.stop()
    return len(inbox.messages), job


class StallingInbox(SlowInbox):
    """Takes the first message at once, then says nothing for `seconds` after each later one's DATA and takes none of
    them (a relay that stalls mid-list); `arrived` is set at the second message."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if not self.messages:
            return await Inbox.handle_DATA(self, server, session, envelope)
        self.arrived.set()
        await asyncio.sleep(self.seconds)
        return "451 4.3.0 stalled"
