"""What readers receive in a big week (from QA): the weekly email stays under the size at which Gmail clips it."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from digest.config import Settings
from digest.weekly.store import run_weekly_job
from tests.big_week import NOW, approve_in_week, haystack
from tests.conftest import make_settings
from tests.smtp_server import Inbox, smtp_server
from tests.weekly_email import UNSUBSCRIBE, titled, with_smtp

GMAIL_CLIPS_AT = 102 * 1024  # bytes of HTML, as sent


def html_as_sent(raw: bytes) -> bytes:
    """The HTML part as it travelled: from its part headers to the closing boundary."""
    start = raw.index(b"Content-Type: text/html")
    return raw[start : raw.index(b"\n--", start)]


def test_a_big_weeks_email_is_not_clipped_and_keeps_its_unsubscribe_link(tmp_path: Path) -> None:
    """200 papers approved in one week made a 140 KB HTML part: Gmail clips past 102 KB, so readers saw "[Message
    clipped]" and neither the week's numbers nor the Unsubscribe link. Expected: the email stays under the limit, the
    first papers in full, then how many more (linked in tests/test_weekly_email_big_week_links.py: the default
    loopback base_url and no repository give no link); the subject and the weekly file count all 200."""
    settings: Settings = make_settings(tmp_path / "data", 'timezone = "Europe/Berlin"\n')
    from digest.service.wiring import open_service_database

    database = open_service_database(settings)
    records = haystack(200)
    approve_in_week(database, records)
    inbox = Inbox()
    try:
        with smtp_server(inbox) as port:
            result = run_weekly_job(with_smtp(settings, port), database, NOW)
    finally:
        database.dispose()
    assert [(outcome.week, outcome.status) for outcome in result.emails] == [("2026-W48", "sent")]
    message = inbox.messages[0]
    assert message["Subject"].endswith("2026-W48: 200 new papers")
    html_part = html_as_sent(inbox.envelopes[0].original_content)
    assert len(html_part) < GMAIL_CLIPS_AT, len(html_part)
    html = message.get_body(("html",))
    text = message.get_body(("plain",))
    assert isinstance(html, EmailMessage) and isinstance(text, EmailMessage)
    html_text, plain = str(html.get_content()), str(text.get_content())
    assert f'<a href="{UNSUBSCRIBE}" style="color:#59636e;">Unsubscribe</a>' in html_text
    assert "200 new papers joined the list this week." in plain
    shown = [record for record in records if titled(plain, str(record["title"]))]
    assert 50 < len(shown) < 200
    more = 200 - len(shown)
    said = " ".join(plain.split())
    assert f"{more} more papers joined the list this week, too many for one email" in said
    assert "too many for one email: read them in the list." in said
    long_lines = [line for line in plain.splitlines() if len(line) > 72 and " " in line.strip()]
    assert long_lines == [], long_lines  # the titles wrapped too
    assert f"{more} more papers joined the list this week, too many for one email: read them in the list." in html_text
    assert "The week in numbers" in html_text
    kept = result.markdown_paths["readers"].read_text(encoding="utf-8")
    assert all(str(record["arxiv_id"]) in kept for record in records)  # the weekly file holds the whole week


def test_a_template_of_ones_own_that_cannot_say_what_was_left_out_gets_the_whole_week(tmp_path: Path) -> None:
    """An email template copied before the email learned to leave papers out (it never shows `digest.more_count`)
    would have dropped half of a big week without a word. Expected: such a template gets every paper (Gmail may
    clip it, and its "View entire message" still shows them all)."""
    import re

    from digest.resources import templates_dir

    own = tmp_path / "templates" / "weekly"
    own.mkdir(parents=True)
    bundled = (templates_dir() / "weekly" / "email.html.j2").read_text(encoding="utf-8")
    older = re.sub(r"{% if digest.more_count %}.*?{% endif %}\n", "", bundled, count=1, flags=re.DOTALL)
    assert "digest.more_count %}" not in older
    (own / "email.html.j2").write_text(older, encoding="utf-8")
    config = f'timezone = "Europe/Berlin"\ntemplates_dir = "{own.parent}"\n'
    settings = make_settings(tmp_path / "data", config)
    from digest.service.wiring import open_service_database

    database = open_service_database(settings)
    records = haystack(200)
    approve_in_week(database, records)
    inbox = Inbox()
    try:
        with smtp_server(inbox) as port:
            run_weekly_job(with_smtp(settings, port), database, NOW)
    finally:
        database.dispose()
    html = inbox.messages[0].get_body(("html",))
    assert isinstance(html, EmailMessage)
    html_text = str(html.get_content())
    assert all(str(record["arxiv_id"]) in html_text for record in records)
