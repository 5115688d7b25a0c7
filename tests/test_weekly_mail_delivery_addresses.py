"""The weekly email's addresses and headers as its recipients meet them: IDN domains, display names, addresses
refused by the settings or valid though unusual, the list headers and the title in the subject.

Every test drives the real weekly job (or the real command) against a real aiosmtpd server on loopback and a
real SQLite file in a temporary data folder; nothing of the product is mocked."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.cli import main
from digest.config import ConfigError
from digest.weekly.ledger import week_state
from digest.weekly.store import run_weekly_job
from tests.conftest import make_settings
from tests.smtp_server import Inbox, free_port, smtp_server
from tests.weekly_mail_delivery import (
    NOW,
    READER,
    config,
    setup,
    state,
    weekly_job_mail,
)

# 4. An internationalised domain in one reader's address stops the readers' edition for everyone.


def test_an_idn_recipient_domain_does_not_need_smtputf8_nor_block_the_other_readers(tmp_path: Path) -> None:
    """'leser@bücher.example' is valid configuration. The domain is sent as UTF-8 instead of its A-label
    (xn--bcher-kva.example), so smtplib demands SMTPUTF8; a server without it (several relay services; aiosmtpd's
    Controller offers it unless told not to) fails the whole readers' edition, for every reader, on every retry."""
    port = free_port()
    readers = ("leser@bücher.example", READER)
    settings, database = setup(tmp_path, config(port, recipients=readers))
    inbox = Inbox()
    try:
        with smtp_server(inbox, port, enable_SMTPUTF8=False):  # a relay without SMTPUTF8
            result = run_weekly_job(settings, database, NOW)
    finally:
        database.dispose()
    readers_outcome = [o for o in result.emails if o.edition == "readers"]
    assert [o.status for o in readers_outcome] == ["sent"], readers_outcome
    envelopes = [envelope.rcpt_tos for envelope in inbox.envelopes]
    assert ["leser@xn--bcher-kva.example", READER] in envelopes, envelopes


def test_an_idn_sender_domain_does_not_need_smtputf8(tmp_path: Path) -> None:
    """sender = 'digest@bücher.example': both editions fail on a server without SMTPUTF8 (MAIL FROM in UTF-8);
    with one, the Message-ID's right-hand side is raw UTF-8. Expected: the A-label in envelope and headers."""
    port = free_port()
    settings, database = setup(tmp_path, config(port, sender="digest@bücher.example"))
    inbox = Inbox()
    try:
        with smtp_server(inbox, port, enable_SMTPUTF8=False):  # a relay without SMTPUTF8
            result = run_weekly_job(settings, database, NOW)
    finally:
        database.dispose()
    assert [o.status for o in result.emails] == ["sent", "sent"], [o.message for o in result.emails]
    assert all(str(m["Message-ID"]).isascii() for m in inbox.messages)


def test_a_sender_with_a_display_name_is_the_from_and_its_plain_address_the_envelope(tmp_path: Path) -> None:
    port = free_port()
    settings, database = setup(tmp_path, config(port, sender='\\"Awesome Digest, weekly\\" <digest@bücher.example>'))
    inbox = Inbox()
    try:
        with smtp_server(inbox, port, enable_SMTPUTF8=False):
            run_weekly_job(settings, database, NOW)
    finally:
        database.dispose()
    assert [envelope.mail_from for envelope in inbox.envelopes] == ["digest@xn--bcher-kva.example"] * 2
    assert {str(m["From"]) for m in inbox.messages} == {'"Awesome Digest, weekly" <digest@xn--bcher-kva.example>'}


@pytest.mark.parametrize(
    ("sender", "name"),
    [
        ('\\"Awesome <LMM> Dïgest\\" <digest@lists.example.org>', "Awesome <LMM> Dïgest"),
        ('\\"Awesome <LMM> Digest\\" <digest@lists.example.org>', "Awesome <LMM> Digest"),
        ('\\"Ada \\\\\\"the\\\\\\" <Digest>\\" <digest@lists.example.org>', 'Ada "the" <Digest>'),
    ],
)
def test_a_sender_whose_quoted_display_name_holds_angle_brackets_is_accepted_and_sent_whole(
    tmp_path: Path, sender: str, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """sender = '"Awesome <LMM> Dïgest" <digest@lists.example.org>' (a quoted display name, valid in RFC 5322) was
    refused at start and by `config check` ('is not an email address'). Expected: accepted, and the From carries
    the name whole, the envelope the plain address."""
    port = free_port()
    text = config(port, sender=sender)
    (tmp_path / "digest.toml").write_text(text, encoding="utf-8")
    checked = main(["--config", str(tmp_path / "digest.toml"), "--data-dir", str(tmp_path / "data"), "config", "check"])
    assert checked == 0, capsys.readouterr()
    inbox, result = weekly_job_mail(tmp_path, port, text)
    assert [o.status for o in result.emails] == ["sent", "sent"], [o.message for o in result.emails]
    assert [envelope.mail_from for envelope in inbox.envelopes] == ["digest@lists.example.org"] * 2
    senders = {(a.display_name, a.addr_spec) for m in inbox.messages for a in m["From"].addresses}
    assert senders == {(name, "digest@lists.example.org")}


def test_config_check_and_the_message_refuse_the_same_unsubscribe_link_and_the_job_records_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`config check` refuses a link with a space in one line; a service started without checking records the
    readers' edition as failed with that line (retried), and the maintainers' edition (no such header) goes."""
    port = free_port()
    text = config(port, weekly='list_unsubscribe = "https://lists.example.org/unsubscribe?list=Awesome LMMs"\n')
    (tmp_path / "digest.toml").write_text(text, encoding="utf-8")
    checked = main(["--config", str(tmp_path / "digest.toml"), "--data-dir", str(tmp_path / "data"), "config", "check"])
    out = capsys.readouterr().out
    refusal = "weekly.list_unsubscribe 'https://lists.example.org/unsubscribe?list=Awesome LMMs' contains white space"
    assert checked == 1 and refusal in out, out
    settings, database = setup(tmp_path, text)
    inbox = Inbox()
    try:
        with smtp_server(inbox, port):
            result = run_weekly_job(settings, database, NOW)
        readers = state(database, "2026-W48", "readers")
    finally:
        database.dispose()
    outcomes = {o.edition: o for o in result.emails}
    assert outcomes["readers"].status == "failed" and refusal in outcomes["readers"].message
    assert outcomes["readers"].retry_at is not None and readers == ("failed", 1)
    assert outcomes["maintainers"].status == "sent" and len(inbox.messages) == 1


def test_a_bad_recipient_address_is_refused_by_the_settings_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        make_settings(tmp_path / "data", config(free_port(), recipients=("reader at example.org", READER)))
    assert refused.value.problems == [
        "smtp.recipients item 1 'reader at example.org' is not an email address (user@example.org)"
    ], refused.value.problems


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("a@@example.org", "two '@'"),
        ("a@b@example.org", "two '@'"),
        ("ada@example..org", "an empty part of its domain"),
        ("ada@.example.org", "an empty part of its domain"),
        ("ada@example.org.", "an empty part of its domain"),
        (".ada@example.org", "a dot at the start or end of its name, or two dots together"),
        ("ada.@example.org", "a dot at the start or end of its name, or two dots together"),
        ("a..da@example.org", "a dot at the start or end of its name, or two dots together"),
    ],
)
def test_a_mistyped_address_the_server_alone_would_refuse_is_refused_by_the_settings(
    tmp_path: Path, typed: str, why: str
) -> None:
    """A doubled '@' or dot passed `config check` and was only refused by the server at the first weekly send, one
    reader missing the edition a week later. The settings refuse it in one line saying what is wrong."""
    with pytest.raises(ConfigError) as refused:
        make_settings(tmp_path / "data", config(free_port(), recipients=(READER, typed)))
    assert refused.value.problems == [
        f"smtp.recipients item 2 {typed!r} is not an email address (user@example.org): it has {why}"
    ], refused.value.problems


def test_unusual_addresses_that_are_valid_stay_accepted(tmp_path: Path) -> None:
    """Guard: a plus tag, dots inside a name, a single-label host and an internationalised domain."""
    accepted = ("ada+digest@example.org", "ada.lovelace@example.org", "root@localhost", "ada@bücher.example")
    settings = make_settings(tmp_path / "data", config(free_port(), recipients=accepted))
    assert tuple(settings.smtp.recipients) == accepted


def test_a_reader_whose_address_needs_smtputf8_is_refused_alone_by_a_server_without_it(tmp_path: Path) -> None:
    port = free_port()
    settings, database = setup(tmp_path, config(port, recipients=("jürgen@example.org", READER), maintainers=()))
    inbox = Inbox()
    try:
        with smtp_server(inbox, port, enable_SMTPUTF8=False):
            result = run_weekly_job(settings, database, NOW)
        with database.reading() as session:
            found = week_state(session, "2026-W48", "readers")
    finally:
        database.dispose()
    assert [o.status for o in result.emails] == ["sent"]
    assert [envelope.rcpt_tos for envelope in inbox.envelopes] == [[READER]]
    assert found is not None and found.last_error is not None and "…: 553 5.6.7" in found.last_error
    assert "jürgen" not in found.last_error and found.reached == 1  # sent, its record keeps no address


# 6. Mailing-list headers of the readers' edition.


def test_one_click_unsubscribe_is_only_offered_with_a_link_that_names_the_recipient(tmp_path: Path) -> None:
    """RFC 8058 3.1: the one-click URI 'MUST contain enough information to identify the mail recipient'; the POST
    carries only 'List-Unsubscribe=One-Click'. The readers' edition goes as one message to every reader with the
    same configured URL and List-Unsubscribe-Post, so Gmail/Yahoo show a one-click Unsubscribe that cannot tell
    who clicked: the reader believes they left and keeps getting the digest."""
    port = free_port()
    readers = ("alice@example.org", "bob@example.net", "carol@example.com")
    weekly = 'list_unsubscribe = "https://lists.example.org/unsubscribe?list=lmms"\n'
    inbox, _ = weekly_job_mail(tmp_path, port, config(port, recipients=readers, maintainers=(), weekly=weekly))
    one_click = [m for m in inbox.messages if m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"]
    links = {str(m["List-Unsubscribe"]) for m in one_click}
    copies = sum(len(e.rcpt_tos) for e, m in zip(inbox.envelopes, inbox.messages, strict=True) if m in one_click)
    assert not one_click or len(links) == copies == len(readers), (links, copies)


def test_the_readers_edition_carries_a_list_id(tmp_path: Path) -> None:
    """A weekly mailing to a list of readers has no List-Id (RFC 2919): readers cannot filter it the way they
    filter every other list, and mail providers do not see it as list mail."""
    port = free_port()
    weekly = 'list_unsubscribe = "mailto:digest@lists.example.org?subject=unsubscribe"\n'
    inbox, _ = weekly_job_mail(tmp_path, port, config(port, maintainers=(), weekly=weekly))
    (message,) = inbox.messages
    assert message["List-Id"] is not None, list(message.keys())


def test_the_list_id_is_named_by_the_title_and_the_web_host_and_the_unsubscribe_target_is_shown(tmp_path: Path) -> None:
    port = free_port()
    weekly = 'list_unsubscribe = "mailto:digest@lists.example.org?subject=unsubscribe"\n'
    text = 'list_title = "Awesome LMMs: Mech. Interp."\n' + config(port, maintainers=(), weekly=weekly)
    text += '\n[web]\nbase_url = "https://papers.bücher.example"\n'
    inbox, _ = weekly_job_mail(tmp_path, port, text)
    (message,) = inbox.messages
    assert message["List-Id"] == '"Awesome LMMs: Mech. Interp." <awesome-lmms-mech-interp.papers.xn--bcher-kva.example>'
    plain = message.get_body(("plain",))
    assert plain is not None  # the footer wrapped to an email's width: the address whole on a line of its own
    assert "To stop:\r\nmailto:digest@lists.example.org?subject=unsubscribe\r\n" in plain.get_content()


def test_a_list_title_joined_by_zwj_or_zwnj_reads_whole_in_the_subject_and_list_id(tmp_path: Path) -> None:
    """A title's emoji sequence (🧑‍🔬 is 🧑, U+200D, 🔬) and a Persian word joined by U+200C (می‌خوانیم) read
    whole in the body, as the text policy keeps them: the Subject and the List-Id's name made each joiner a space,
    so readers saw '🧑 🔬' (a person and a microscope) and the Persian word split in two."""
    title = "Awesome 🧑\u200d🔬 Interpretability: می\u200cخوانیم"
    port = free_port()
    settings, database = setup(tmp_path, f'list_title = "{title}"\n' + config(port, maintainers=()))
    inbox = Inbox()
    try:
        with smtp_server(inbox, port):
            run_weekly_job(settings, database, NOW)
    finally:
        database.dispose()
    (message,) = inbox.messages
    assert str(message["Subject"]) == f"{title} — 2026-W48: 3 new papers", str(message["Subject"])
    assert str(message["List-Id"]).startswith(f"{title} <"), str(message["List-Id"])
