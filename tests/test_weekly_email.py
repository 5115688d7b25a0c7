"""The weekly digest email against a real SMTP server (aiosmtpd on 127.0.0.1): its content, TLS + login, and a
refused, down or quiet send. Exactly once: tests/test_weekly_email_once.py; stopped mid-send: ..._stops.py."""

from __future__ import annotations

import re
import ssl
from datetime import timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

from digest.config import Settings
from digest.config.invocation import same_invocation
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from digest.weekly.store import run_weekly_job
from tests.conftest import make_settings
from tests.smtp_server import Credentials, Inbox, free_port, self_signed_certificate, server_tls_context, smtp_server
from tests.weekly_data import APPROVED_IN_WEEK, PAPERS, fill_week
from tests.weekly_email import (
    CONFIG,
    NOW,
    READERS,
    UNSUBSCRIBE,
    maintainers_with_worth,
    parts,
    row,
    statuses,
    titled,
    with_smtp,
)
from tests.weekly_email import settings as settings  # the fixture


def test_the_digest_email_arrives_once_with_both_parts_and_escaped_titles(
    database: Database, settings: Settings
) -> None:
    fill_week(database, settings, hostile=True)
    inbox = Inbox()
    with smtp_server(inbox) as port:
        # A list title carrying a header line must not smuggle in a header (or a recipient).
        settings = with_smtp(settings, port).model_copy(update={"list_title": "Awesome LMMs\r\nBcc: evil@example.org"})
        first = run_weekly_job(settings, database, NOW)
        second = run_weekly_job(settings, database, NOW + timedelta(hours=1))
        database.dispose()
        restarted = open_service_database(settings)  # a restart: a fresh engine on the same file
        try:
            third = run_weekly_job(settings, restarted, NOW + timedelta(days=1))
        finally:
            restarted.dispose()

    assert statuses(first) == [("2026-W48", "sent")]
    assert statuses(second) == statuses(third) == [("2026-W48", "already-sent")]
    assert len(inbox.messages) == 1
    assert inbox.envelopes[0].rcpt_tos == [READERS]
    message = inbox.messages[0]
    assert message["Subject"] == "Awesome LMMs Bcc: evil@example.org — 2026-W48: 3 new papers"
    assert message["Bcc"] is None
    assert (message["From"], message["To"]) == ("digest@lists.example.org", READERS)
    assert parsedate_to_datetime(message["Date"]) == NOW
    assert message["Message-ID"].endswith("@lists.example.org>")
    assert message["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert message["List-Unsubscribe-Post"] is None  # one message to every reader: no link can name who clicked
    assert (
        message["List-Id"]
        == '"Awesome LMMs Bcc: evil@example.org" <awesome-lmms-bcc-evil-example-org.lists.example.org>'
    )
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]

    text, html = parts(message)
    hostile_title = "<script>alert('x')</script> & " + PAPERS["2502.20578"]["title"]
    assert titled(text, hostile_title)  # plain text is shown as is: nothing there runs
    assert "<script" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Interpreting CLIP" in html
    for arxiv_id, _, _ in APPROVED_IN_WEEK[1:]:
        assert titled(text, PAPERS[arxiv_id]["title"]) and PAPERS[arxiv_id]["title"] in html
        assert f"arXiv: https://arxiv.org/abs/{arxiv_id}" in text
        assert f'<a href="https://arxiv.org/abs/{arxiv_id}" style="color:#0969da;">arXiv</a>' in html
    assert '<a href="https://github.com/wj210/CLIP_LTC" style="color:#0969da;">Code</a>' in html
    assert "candidate" not in text.lower() and "candidate" not in html.lower()  # the readers' edition
    assert "<style" not in html  # inline styles only
    assert text.endswith(
        f"\n-- \nYou get this digest as a reader of Awesome LMMs Bcc: evil@example.org.\nTo stop: {UNSUBSCRIBE}\n"
    )
    assert f'<a href="{UNSUBSCRIBE}" style="color:#59636e;">Unsubscribe</a>' in html

    sent = row(database)
    assert sent is not None and sent.status == "sent" and sent.attempts == 1
    assert sent.message_id == message["Message-ID"] and sent.reached_count == 1


def test_starttls_with_login_from_the_environment(database: Database, tmp_path: Path) -> None:
    cert, key = self_signed_certificate(tmp_path)
    port = free_port()
    settings = make_settings(
        tmp_path / "data",
        CONFIG + f'\n[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "starttls"\nusername = "digest-bot"\n'
        f'sender = "digest@lists.example.org"\nrecipients = ["{READERS}", "maintainers@example.org"]\n',
        environ={"SMTP_PASSWORD": "correct horse battery staple"},
    )
    fill_week(database, settings)
    inbox, credentials = Inbox(), Credentials("digest-bot", "correct horse battery staple")
    client_context = ssl.create_default_context(cafile=str(cert))
    with smtp_server(
        inbox,
        port,
        tls_context=server_tls_context(cert, key),
        require_starttls=True,
        authenticator=credentials,
        auth_required=True,
    ):
        result = run_weekly_job(settings, database, NOW, ssl_context=client_context)
        # Without the test CA the self-signed certificate is refused, and nothing is sent twice.
        again = run_weekly_job(settings, database, NOW + timedelta(hours=2))

    assert statuses(result) == [("2026-W48", "sent")], result
    assert statuses(again) == [("2026-W48", "already-sent")]
    assert credentials.logins == ["digest-bot"]
    assert len(inbox.messages) == 1
    assert inbox.envelopes[0].rcpt_tos == [READERS, "maintainers@example.org"]
    text, _ = parts(inbox.messages[0])
    assert PAPERS["2502.20578"]["title"] in text


def test_an_untrusted_certificate_fails_and_is_retried(database: Database, tmp_path: Path, settings: Settings) -> None:
    cert, key = self_signed_certificate(tmp_path)
    fill_week(database, settings)
    inbox = Inbox()
    with smtp_server(inbox, tls_context=server_tls_context(cert, key), require_starttls=True) as port:
        smtp = with_smtp(settings, port).smtp.model_copy(update={"security": "starttls"})
        settings = with_smtp(settings, port).model_copy(update={"smtp": smtp})
        failed = run_weekly_job(settings, database, NOW)  # the system's CAs do not know this certificate
        retried = run_weekly_job(
            settings, database, NOW + timedelta(minutes=31), ssl_context=ssl.create_default_context(cafile=str(cert))
        )
    assert statuses(failed) == [("2026-W48", "failed")]
    assert "CERTIFICATE_VERIFY_FAILED" in failed.emails[0].message
    assert statuses(retried) == [("2026-W48", "sent")]
    assert len(inbox.messages) == 1


def test_a_refused_recipient_leaves_the_week_unsent_and_backs_off(database: Database, settings: Settings) -> None:
    fill_week(database, settings)
    inbox = Inbox(refuse=True)
    with smtp_server(inbox) as port:
        settings = with_smtp(settings, port)
        refused = run_weekly_job(settings, database, NOW)
        early = run_weekly_job(settings, database, NOW + timedelta(minutes=10))
        refused_again = run_weekly_job(settings, database, NOW + timedelta(minutes=30))
        state = row(database)
        inbox.refuse = False
        too_soon = run_weekly_job(settings, database, NOW + timedelta(minutes=89))
        sent = run_weekly_job(settings, database, NOW + timedelta(minutes=90))
        after = run_weekly_job(settings, database, NOW + timedelta(days=1))

    assert statuses(refused) == [("2026-W48", "failed")]
    assert refused.emails[0].message.startswith("the SMTP server 127.0.0.1:")
    assert "refused every recipient: readers@example.org: 451 4.3.0" in refused.emails[0].message
    assert refused.retry_at == NOW + timedelta(minutes=30)  # weekly.retry_base_minutes
    assert statuses(early) == [("2026-W48", "waiting")]
    assert statuses(refused_again) == [("2026-W48", "failed")]
    assert refused_again.retry_at == NOW + timedelta(minutes=30 + 60)  # doubled
    assert state is not None and (state.status, state.attempts) == ("failed", 2)
    assert state.last_error is not None and "451" in state.last_error and state.sent_at is None
    assert statuses(too_soon) == [("2026-W48", "waiting")]
    assert statuses(sent) == [("2026-W48", "sent")]
    assert statuses(after) == [("2026-W48", "already-sent")]
    assert len(inbox.messages) == 1
    final = row(database)
    assert final is not None and (final.status, final.attempts, final.last_error) == ("sent", 3, None)


def test_a_server_that_is_down_gets_the_week_later_and_once(database: Database, settings: Settings) -> None:
    fill_week(database, settings)
    port = free_port()  # nothing listens here yet
    settings = with_smtp(settings, port)
    down = run_weekly_job(settings, database, NOW)
    assert statuses(down) == [("2026-W48", "failed")]
    assert down.emails[0].message.startswith(f"cannot reach the SMTP server 127.0.0.1:{port} (none): ")
    assert down.markdown_path is not None and down.markdown_path.exists()  # Markdown does not wait for email

    inbox = Inbox()
    with smtp_server(inbox, port):
        # A week later the scheduler runs for W49: the failed W48 goes first, then the quiet W49.
        next_week = run_weekly_job(settings, database, NOW + timedelta(days=7))
        again = run_weekly_job(settings, database, NOW + timedelta(days=7, hours=1))
    assert statuses(next_week) == [("2026-W48", "sent"), ("2026-W49", "sent")]
    assert statuses(again) == [("2026-W49", "already-sent")]
    subjects = [message["Subject"] for message in inbox.messages]
    assert subjects == [
        "Awesome LMMs Mechanistic Interpretability — 2026-W48: 3 new papers",
        "Awesome LMMs Mechanistic Interpretability — 2026-W49: a quiet week",
    ]
    quiet_text, _ = parts(inbox.messages[1])
    assert "A quiet week: no papers joined the list." in quiet_text


def test_a_quiet_week_is_not_sent_when_switched_off(database: Database, settings: Settings) -> None:
    inbox = Inbox()
    with smtp_server(inbox) as port:
        result = run_weekly_job(with_smtp(settings, port, send_quiet_week=False), database, NOW)
    assert statuses(result) == [("2026-W48", "quiet-skipped")]
    assert inbox.messages == []
    assert result.markdown_path is not None
    assert "A quiet week" in result.markdown_path.read_text(encoding="utf-8")


def test_a_reader_never_sees_another_readers_address(database: Database, settings: Settings) -> None:
    fill_week(database, settings)
    readers = ("alice@example.org", "bob@example.net", "carol@example.com")
    inbox = Inbox()
    with smtp_server(inbox) as port:
        configured = with_smtp(settings, port)
        configured = configured.model_copy(update={"smtp": configured.smtp.model_copy(update={"recipients": readers})})
        run_weekly_job(configured, database, NOW)
    (message,) = inbox.messages
    assert inbox.envelopes[0].rcpt_tos == list(readers)  # each reader gets it
    shown = " ".join(str(message[name] or "") for name in ("To", "Cc"))
    assert not any(address in shown for address in readers), shown
    assert str(message["To"]) == "undisclosed-recipients:;"


def test_a_title_whose_from_begins_a_line_of_the_email_as_sent_reads_whole(
    database: Database, settings: Settings
) -> None:
    """A paper titled 'What Vision Models Really See: From Pixels to Concepts ...' put 'From Pixels ...' at the start
    of a line of the HTML part as sent (a soft line break of its quoted-printable), and smtplib writes such a line as
    '>From' (as mbox mailboxes store it too): readers read 'What Vision Models Really See: >From Pixels to Concepts'.
    Expected: both parts read the title whole, and no line of the message as sent starts with 'From '."""
    from tests.weekly_data import decide, insert_candidate

    arxiv_id, section, when = APPROVED_IN_WEEK[1]
    prefix = "What Vision Models Really See: From Pixels to Concepts. "
    candidate = insert_candidate(database, arxiv_id, seen=when, section=section, title_prefix=prefix)
    decide(database, settings, candidate, "approve", when)
    inbox = Inbox()
    with smtp_server(inbox) as port:
        assert statuses(run_weekly_job(with_smtp(settings, port), database, NOW)) == [("2026-W48", "sent")]
    title = prefix + PAPERS[arxiv_id]["title"]
    text, html = parts(inbox.messages[0])
    assert titled(text, title)
    assert f'style="color:#0969da;text-decoration:none;">{title}</a>' in html, html.split("Really See")[1][:40]
    sent = inbox.envelopes[0].original_content.splitlines()
    assert [line for line in sent if line.startswith((b"From ", b">From "))] == []


def test_each_papers_summary_in_the_text_part_is_wrapped_to_an_emails_width(
    database: Database, settings: Settings
) -> None:
    """The text part put each paper's summary (its abstract's first sentence) on one line of 150 to 300 characters,
    past the 78 an email's line should hold: a text mail reader showed it as one line running off the window, or
    broke it wherever the window ended, without the item's indent. Expected: the summary in lines of at most 72
    characters, each indented under its title, a URL in it kept whole, reading the same as the HTML part's."""
    from html import unescape

    from sqlalchemy import select

    from digest.storage.models import Paper

    fill_week(database, settings)
    url = "https://huggingface.co/datasets/MechInterpLab/VisionLanguageSparseAutoencoderFeatureActivations_v2"
    with database.transaction() as session:
        paper = session.scalars(select(Paper).where(Paper.arxiv_id == "2502.20578")).one()
        paper.abstract = f"We release the features of our sparse autoencoders for CLIP at {url} and {paper.abstract}"
    inbox = Inbox()
    with smtp_server(inbox) as port:
        assert statuses(run_weekly_job(with_smtp(settings, port), database, NOW)) == [("2026-W48", "sent")]
    text, html = parts(inbox.messages[0])

    summaries = [unescape(shown) for shown in re.findall(r"\n<div>([^<]+)</div>\n", html)]
    assert len(summaries) == 3 and any(url in summary for summary in summaries), summaries
    for summary in summaries:  # read by its words: a title's wrapped lines are indented as a summary's are
        said = re.search(r"\n(  " + r"(?: |\n  )".join(map(re.escape, summary.split())) + r")\n  arXiv: ", text)
        assert said is not None, summary
        lines = said.group(1).split("\n")
        assert all(line.startswith("  ") and not line.startswith("   ") for line in lines), lines
        assert all(len(line) <= 72 or " " not in line.strip() for line in lines), [len(line) for line in lines]
    assert f"\n  {url}\n" in text or f"\n  {url} " in text or f" {url}\n" in text, text


def test_the_numbers_and_the_unsubscribe_line_of_the_text_part_are_wrapped_to_an_emails_width(
    database: Database, settings: Settings
) -> None:
    """The readers' text part said the list's size on a line of 91 characters and the way to stop on one of 124, past
    the 78 an email's line should hold: a text mail reader showed them running off the window, or broke them wherever
    it ended. Expected: no line past 72 characters, a paper's title included, but a single word (a URL, kept whole);
    the size's words under its number, the unsubscribe link whole on a line of its own."""
    fill_week(database, settings)
    inbox = Inbox()
    with smtp_server(inbox) as port:
        assert statuses(run_weekly_job(with_smtp(settings, port), database, NOW)) == [("2026-W48", "sent")]
    text, _ = parts(inbox.messages[0])

    long_lines = [line for line in text.splitlines() if len(line) > 72 and " " in line.strip()]
    assert long_lines == [], long_lines
    numbers = text[text.index("\nPapers in the list: ") + 1 : text.index("\nAdded this week: ")]
    lines = numbers.split("\n")
    assert len(lines) == 2 and lines[1].startswith(" " * 31) and lines[1][31] != " ", lines  # under the number
    said = " ".join(line.strip() for line in lines)
    assert re.fullmatch(r"Papers in the list: +\d+ \(in \d+ entries: a paper can sit in more than one section\)", said)
    footer = "You get this digest as a reader of Awesome LMMs Mechanistic\nInterpretability. To stop:"
    assert text.endswith(f"\n-- \n{footer}\n{UNSUBSCRIBE}\n"), text


def test_the_maintainers_text_part_is_wrapped_to_an_emails_width_too(database: Database, settings: Settings) -> None:
    """The maintainers' text part said the waiting candidates with the review page's address on a line of 170
    characters, and "Worth a look", a second-tier paper's "No one-click link..." and the new candidates' count each on
    a line past the 78 an email's line should hold. Expected: as in the readers' part, no line past 72 characters, a
    paper's title included, but a command to run or a single word (a URL), kept whole; each wrapped sentence reads
    whole, the review page's address unbroken."""
    maintainers, worth = maintainers_with_worth(database, settings)
    text, _ = parts(maintainers)

    command = f"   {same_invocation(settings)} approve "  # kept whole on its line, as a link is
    long_lines = [line for line in text.splitlines() if len(line) > 72 and " " in line.strip()]
    assert [line for line in long_lines if not line.startswith(command)] == [], "\n".join(long_lines)
    said = " ".join(text.split())
    assert (
        "5 candidates found by Sunday 29 November 2026 are still waiting for a maintainer (when this edition was made)."
        " Decide them on the review page: http://127.0.0.1:8080/review The most promising:" in said
    ), said
    assert "\nhttp://127.0.0.1:8080/review\n" in text or " http://127.0.0.1:8080/review\n" in text, text
    assert "2 papers first seen this week scored just under the review threshold: not posted to Discord" in said
    assert (
        "No one-click link (no section is suggested): to approve it, run this on the server, NAME a section of the "
        f"list: {same_invocation(settings)} approve {worth[1]['arxiv_id']} --section NAME" in said
    )
    found = text[text.index("\nNew candidates found on arXiv: ") + 1 : text.index("\nCandidates decided: ")].split("\n")
    assert len(found) == 2 and found[1].startswith(" " * 31) and found[1][31] != " ", found  # under the number
    assert " ".join(line.strip() for line in found) == (
        "New candidates found on arXiv: 9 for review, and 2 just under the review threshold (the second tier)"
    )
