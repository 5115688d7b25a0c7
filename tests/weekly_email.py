"""The set-up of the weekly digest email tests: the settings (Berlin time, three pending papers shown), the `[smtp]`
settings for an aiosmtpd server on loopback, the week's outcomes and ledger row, the two parts of a message, and an
inbox that takes its time over each message."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from digest.config import Settings, SmtpSettings
from digest.storage.db import Database
from digest.storage.state import WeeklyDigest
from digest.weekly.store import WeeklyResult
from tests.conftest import make_settings
from tests.smtp_server import Inbox

NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # Monday 08:00 in Berlin
CONFIG = 'timezone = "Europe/Berlin"\n\n[weekly]\npending_top = 3\n'
READERS = "readers@example.org"
UNSUBSCRIBE = "https://lists.example.org/unsubscribe?list=lmms"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data", CONFIG)


def with_smtp(settings: Settings, port: int, **weekly: Any) -> Settings:
    smtp = SmtpSettings(
        host="127.0.0.1",
        port=port,
        security="none",
        sender="digest@lists.example.org",
        recipients=(READERS,),
        timeout_seconds=10,
    )
    weekly_settings = settings.weekly.model_copy(update={"list_unsubscribe": UNSUBSCRIBE, **weekly})
    return settings.model_copy(update={"smtp": smtp, "weekly": weekly_settings})


def statuses(result: WeeklyResult) -> list[tuple[str, str]]:
    return [(outcome.week, outcome.status) for outcome in result.emails]


def row(database: Database, week: str = "2026-W48", edition: str = "readers") -> WeeklyDigest | None:
    with database.reading() as session:
        found = session.get(WeeklyDigest, (week, edition))
        if found is not None:
            session.expunge(found)  # keep the loaded values after the read ends
        return found


def parts(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert isinstance(plain, EmailMessage) and isinstance(html, EmailMessage)
    return tuple(str(part.get_content()).replace("\r\n", "\n") for part in (plain, html))  # type: ignore[return-value]


def titled(text: str, title: str) -> bool:
    """Whether the text part shows `title` as a first-tier paper: "* " and its words, wrapped with the lines after the
    first indented under it, the last line ending with the title."""
    shown = r"(?:^|\n)\* " + r"(?: |\n  )".join(map(re.escape, title.split())) + r"\n"
    return re.search(shown, text.replace("\r\n", "\n")) is not None


def both_editions(settings: Settings, port: int) -> Settings:
    configured = with_smtp(settings, port, send_quiet_week=True)
    both = configured.smtp.model_copy(update={"maintainer_recipients": ("maintainers@example.org",)})
    return configured.model_copy(update={"smtp": both})


class SlowInbox(Inbox):
    """Takes `seconds` over each message (a long readers' list, a slow relay); `arrived` is set at the first."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds
        self.arrived = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import asyncio

        self.arrived.set()
        await asyncio.sleep(self.seconds)
        return await super().handle_DATA(server, session, envelope)


def wait_for_threads_to_end(before: set[threading.Thread], seconds: float = 30.0) -> None:
    """Until every thread started since `before` was taken has ended: a send left running has sent what it would."""
    deadline = time.monotonic() + seconds
    while left := [thread.name for thread in threading.enumerate() if thread not in before]:
        assert time.monotonic() < deadline, f"threads still running after {seconds:g} s: {left}"
        time.sleep(0.05)


def maintainers_with_worth(
    database: Database, settings: Settings, first_title: str | None = None, *, more: Sequence[dict[str, Any]] = ()
) -> tuple[EmailMessage, list[dict[str, Any]]]:
    """The maintainers' email, as the SMTP server received it from the weekly job, of a filled week (weekly_data)
    with two second-tier papers ("Worth a look"), the first titled `first_title` if given, then the papers `more`
    (scored lower, in their order); and those papers."""
    from digest.weekly.store import run_weekly_job
    from tests.factories import insert_candidate, real_papers
    from tests.second_tier import WHY
    from tests.smtp_server import smtp_server
    from tests.weekly_data import PAPERS, SEEN_IN_WEEK, fill_week

    fill_week(database, settings)
    worth = [dict(record) for record in real_papers() if record["arxiv_id"] not in PAPERS][:2]
    if first_title is not None:
        worth[0]["title"] = first_title
    seen = {"first_seen_at": SEEN_IN_WEEK, "updated_at": SEEN_IN_WEEK, "relevant": False, "why": WHY.to_json()}
    insert_candidate(database, worth[0], score=0.93, suggested_section="Sparse Autoencoder", **seen)
    insert_candidate(database, worth[1], score=0.88, suggested_section=None, suggested_sections=[], **seen)
    for index, record in enumerate(more):
        insert_candidate(database, record, score=0.87 - index / 100, suggested_section="Steering", **seen)
        worth.append(dict(record))
    inbox = Inbox()
    with smtp_server(inbox) as port:
        run_weekly_job(both_editions(settings, port), database, NOW)
    (maintainers,) = [
        m for m, e in zip(inbox.messages, inbox.envelopes, strict=True) if "maintainers@" in e.rcpt_tos[0]
    ]
    return maintainers, worth


def smtp_config(folder: Path, port: int, recipients: str = f'["{READERS}"]') -> Path:
    """A settings file `folder`/smtp.toml: CONFIG and an [smtp] table sending to 127.0.0.1:`port` in the clear, to
    `recipients` (a TOML array); its path, for `digest --config`."""
    config = folder / "smtp.toml"
    config.write_text(
        CONFIG + f'\n[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\nrecipients = {recipients}\n',
        encoding="utf-8",
    )
    return config


def hand_send_interrupted(smtp: str, data_dir: Path, when: threading.Event, wait: float) -> tuple[int, float]:
    """`digest weekly --week 2026-W48 --edition readers --send` in this process with CONFIG and `smtp` (the lines of
    its [smtp] table) as its settings file, Ctrl-C (SIGINT) as soon as `when` is set (within `wait` seconds): its exit
    code and the seconds it took after the signal."""
    import os
    import signal

    from digest.cli import main

    config = data_dir.parent / "smtp.toml"
    config.write_text(f"{CONFIG}\n[smtp]\n{smtp}", encoding="utf-8")
    interrupted: list[float] = []

    def interrupt() -> None:
        assert when.wait(wait)
        interrupted.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    interrupter = threading.Thread(target=interrupt)
    interrupter.start()
    code = main(["--config", str(config), "--data-dir", str(data_dir), "weekly", "--week", "2026-W48",
                 "--edition", "readers", "--send"])  # fmt: skip
    held = time.monotonic() - interrupted[0]
    interrupter.join()
    return code, held
