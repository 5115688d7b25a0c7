"""The set-up of the tests that stop the service while the weekly email goes out in batches: three readers on the
loopback SMTP server, and the service stopped once the first message arrived."""

from __future__ import annotations

import asyncio

from digest.config import Settings
from digest.service.process import Service
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
