"""The weekly email as its readers' mail programs and its operator meet it (from QA): the mailing-list headers as a
client, a filter rule or a list server reads them from the wire (RFC 2919, RFC 2047, RFC 2369), the settings config
check and `digest weekly` refuse or warn of, and a quiet week sent by hand. Through the real weekly job or command
against a real aiosmtpd server on loopback."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.utils import parseaddr
from pathlib import Path

import pytest

from digest.cli import main
from digest.config import ConfigError
from digest.service.wiring import open_service_database
from digest.weekly.store import run_weekly_job
from tests.conftest import make_settings
from tests.smtp_server import Inbox, free_port, smtp_server
from tests.weekly_mail_delivery import NOW, config, weekly_job_mail


def raw_header(raw: bytes, name: str) -> str:
    """The header as it travelled: its folded lines joined, nothing decoded."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    match = re.search(rf"^{name}:([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)", head, flags=re.MULTILINE | re.IGNORECASE)
    assert match is not None, head
    return re.sub(r"\r\n[ \t]", " ", match.group(1)).strip()


@pytest.mark.parametrize(
    "title",
    [
        "Awesome Multimodal Large Language Models Interpretability Papers",
        "Awesome LMMs Mechanistic Interpretability — Lecture hebdomadaire",
        "Übersicht: Interpretierbarkeit multimodaler Sprachmodelle",
    ],
)
def test_the_list_id_travels_as_an_identifier_a_filter_can_match(tmp_path: Path, title: str) -> None:
    """A list title of more than about 45 characters (or one with a dash or an accent and some length) made the
    List-Id's identifier longer than a header line, and the email library wrote it as encoded words
    ('=?utf-8?q?=3Cawesome-...=2Eexample=2Eorg=3E?='): RFC 2047 allows no encoded word there, and a filter on the
    list (Gmail's list:, Sieve, procmail, a list server) found no <label.namespace>. Expected: the identifier as is."""
    port = free_port()
    text = f'list_title = "{title}"\n' + config(port, maintainers=())
    text += '\n[web]\nbase_url = "https://digest.example.org"\n'
    inbox, _ = weekly_job_mail(tmp_path, port, text)
    (envelope,) = inbox.envelopes
    wire = raw_header(envelope.original_content, "List-Id")
    found = re.search(r"<([a-z0-9-]+(?:\.[a-z0-9-]+)+)>$", wire)
    assert found is not None and found.group(1).endswith(".digest.example.org"), wire
    assert "=?" not in wire.split("<")[-1]
    assert len(found.group(0)) <= 76  # one header line holds it, so no mail program need fold or encode it
    (message,) = inbox.messages
    assert str(message["List-Id"]).startswith(title.split()[0])  # the phrase still names the list


@pytest.mark.parametrize(
    "title",
    [
        "Awesome Ünïcode: <LMM> list",
        "Awesome <LMM> list",
        "Ünïcode <LMM> papers on “vision”, 2026 — a long title to fold",
    ],
)
def test_the_list_id_has_no_angle_brackets_but_its_identifier(tmp_path: Path, title: str) -> None:
    """A list title outside ASCII holding '<...>' travelled as 'Awesome =?utf-8?q?...?= <LMM> list <label.host>':
    the email library encoded its other words alone, so a mail program taking the first <...> (as RFC 2919 lets a
    parser do) filed the list as 'LMM'. Expected: the phrase encoded or quoted, the identifier the one <...>."""
    port = free_port()
    text = f'list_title = "{title}"\n' + config(port, maintainers=())
    text += '\n[web]\nbase_url = "https://digest.example.org"\n'
    inbox, _ = weekly_job_mail(tmp_path, port, text)
    (envelope,) = inbox.envelopes
    message = message_from_bytes(envelope.original_content, policy=policy.default)
    (wire,) = [value for name, value in message.raw_items() if name.lower() == "list-id"]
    phrase, identifier = parseaddr(re.sub(r"\r?\n[ \t]", " ", str(wire)))
    assert identifier.endswith(".digest.example.org") and "lmm" in identifier, wire
    assert str(make_header(decode_header(phrase))) == title, wire
    assert all(len(line) <= 78 for line in str(wire).splitlines()), wire


@pytest.mark.parametrize("title", ["Awesome " + "Interpretability" * 63 + " papers", "Awesome <" + "x" * 1000 + ">"])
def test_a_title_word_longer_than_a_line_keeps_the_list_id_within_smtps_line_limit(tmp_path: Path, title: str) -> None:
    """A list title with a word of 1,000 characters (a pasted URL, a run of letters) went out in a List-Id line past
    SMTP's 998 characters (RFC 5321), which a server may refuse or cut, and a filter then finds no <label.namespace>:
    the phrase was folded between its words only. Expected: every line within the limit, the phrase still the
    title, the identifier whole."""
    port = free_port()
    text = f'list_title = "{title}"\n' + config(port, maintainers=())
    text += '\n[web]\nbase_url = "https://digest.example.org"\n'
    inbox, _ = weekly_job_mail(tmp_path, port, text)
    (envelope,) = inbox.envelopes
    head = envelope.original_content.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 998 for line in head.split(b"\r\n")), max(map(len, head.split(b"\r\n")))
    wire = raw_header(envelope.original_content, "List-Id")
    phrase, identifier = parseaddr(wire)
    assert re.fullmatch(r"[a-z0-9-]+\.digest\.example\.org", identifier) and identifier.startswith("awesome-"), wire
    assert str(make_header(decode_header(phrase))) == title, wire


@pytest.mark.parametrize(
    "target",
    [
        "https://lists.example.org/mailman3/lists/awesome-lmms-interpretability.lists.example.org/",
        "mailto:awesome-lmms-interpretability-weekly-leave@lists.example.org?subject=unsubscribe",
    ],
)
def test_a_long_unsubscribe_link_travels_as_a_link_a_mail_client_offers(tmp_path: Path, target: str) -> None:
    """A List-Unsubscribe target longer than about 60 characters (a Mailman 3 list page, a mailto: with a subject)
    did not fit one header line, and the email library wrote it as encoded words ('=?utf-8?q?=3Chttps=3A//...?='):
    RFC 2369 wants the <URL> as it is, so Gmail, Apple Mail and Outlook offered no Unsubscribe and a reader had no
    way out but the link at the end of the text. Expected: the header carries the link as configured."""
    port = free_port()
    inbox, _ = weekly_job_mail(tmp_path, port, config(port, maintainers=(), weekly=f'list_unsubscribe = "{target}"\n'))
    (envelope,) = inbox.envelopes
    assert raw_header(envelope.original_content, "List-Unsubscribe") == f"<{target}>"


def test_an_unsubscribe_link_no_header_line_can_carry_is_refused_by_config_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = "https://lists.example.org/leave?token=" + "a" * 1000
    (tmp_path / "digest.toml").write_text(config(free_port(), weekly=f'list_unsubscribe = "{target}"\n'))
    checked = main(["--config", str(tmp_path / "digest.toml"), "--data-dir", str(tmp_path / "data"), "config", "check"])
    out = capsys.readouterr().out
    assert checked == 1 and "is longer than the 978 characters one header line can carry" in out, out


@pytest.mark.parametrize(
    "target", ["https://lists.example.org/désinscription", "mailto:leave@listes.bücher.example?subject=stop"]
)
def test_an_unsubscribe_link_with_characters_outside_ascii_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str
) -> None:
    """'https://lists.example.org/désinscription' was 'configuration OK', and every readers' edition then carried
    List-Unsubscribe as encoded words ('=?utf-8?q?=3Chttps=3A//...d=C3=A9sinscription=3E?='): no mail client offered
    the Unsubscribe. Expected: config check refuses it in one line saying how to write it, and the job records the
    same line (retried) instead of sending a header no client reads."""
    port = free_port()
    text = config(port, maintainers=(), weekly=f'list_unsubscribe = "{target}"\n')
    (tmp_path / "digest.toml").write_text(text, encoding="utf-8")
    checked = main(["--config", str(tmp_path / "digest.toml"), "--data-dir", str(tmp_path / "data"), "config", "check"])
    out = capsys.readouterr().out
    refusal = f"weekly.list_unsubscribe {target!r} holds characters outside ASCII"
    assert checked == 1 and refusal in out, out
    inbox, result = weekly_job_mail(tmp_path, port, text)
    (outcome,) = result.emails
    assert outcome.status == "failed" and refusal in outcome.message and inbox.messages == []


def test_printing_an_email_its_settings_cannot_carry_is_one_line_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`digest weekly --format email --dry-run` (and `--dry-run --send`), to look at the email before sending it,
    ended in a MailError traceback when the settings hold a link the email cannot carry, where the job and config
    check say it in one line. Expected: that line, exit 1."""
    monkeypatch.chdir(tmp_path)
    text = config(
        free_port(), maintainers=(), weekly='list_unsubscribe = "https://lists.example.org/leave?list=Awesome LMMs"\n'
    )
    (tmp_path / "digest.toml").write_text(text, encoding="utf-8")
    base = [
        "--config",
        str(tmp_path / "digest.toml"),
        "--data-dir",
        str(tmp_path / "data"),
        "weekly",
        "--week",
        "2026-W48",
    ]
    for extra in (["--format", "email", "--dry-run"], ["--dry-run", "--send"]):
        assert main([*base, *extra]) == 1
        err = capsys.readouterr().err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
        assert "weekly.list_unsubscribe 'https://lists.example.org/leave?list=Awesome LMMs' contains white space" in err


def test_a_quiet_week_skipped_can_still_be_sent_by_hand(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With weekly.send_quiet_week off, the job skipped a quiet week (on record as done). The operator switched it on
    and sent that week by hand, as README says `digest weekly --week W --send` does for a week the job did not send:
    'another process is sending this week's email right now', exit 1, though nothing was sending and nothing would.
    Expected: the week sent."""
    port = free_port()
    quiet = config(port, maintainers=(), weekly="send_quiet_week = false\n")
    settings = make_settings(tmp_path / "data", quiet)
    database = open_service_database(settings)  # no paper joins the list in 2026-W48
    try:
        assert [o.status for o in run_weekly_job(settings, database, NOW).emails] == ["quiet-skipped"]
    finally:
        database.dispose()
    (tmp_path / "digest.toml").write_text(config(port, maintainers=()), encoding="utf-8")
    inbox = Inbox()
    with smtp_server(inbox, port):
        base = ["--config", str(tmp_path / "digest.toml"), "--data-dir", str(tmp_path / "data"), "weekly"]
        status = main([*base, "--week", "2026-W48", "--send"])
    captured = capsys.readouterr()
    assert status == 0 and len(inbox.messages) == 1, captured.err
    assert "quiet week" in str(inbox.messages[0]["Subject"])


def test_config_check_warns_of_the_default_sender_once_email_is_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """[smtp] host and recipients set, sender left as config.example.toml has it (awesome-digest@localhost): config
    check said 'configuration OK', and every digest went out From a localhost address (and a Message-ID @localhost),
    which a provider refuses or files as spam. Expected: one warning line naming smtp.sender."""
    text = f'[smtp]\nhost = "127.0.0.1"\nport = {free_port()}\nrecipients = ["reader@example.org"]\n'
    (tmp_path / "digest.toml").write_text(text, encoding="utf-8")
    checked = main(["--config", str(tmp_path / "digest.toml"), "--data-dir", str(tmp_path / "data"), "config", "check"])
    out = capsys.readouterr().out
    warned = [line for line in out.splitlines() if line.startswith("warning: smtp.sender")]
    assert checked == 0 and len(warned) == 1 and "awesome-digest@localhost" in warned[0], out


def test_a_sender_whose_name_before_the_at_is_not_ascii_is_refused_by_config_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """[smtp] sender = "Zoë <zoë@example.org>" passed config check as 'configuration OK', then no weekly email could
    be made: the email library cannot write such an address in the From header, and the job logged a traceback
    (NonASCIILocalPartDefect) every hour while `digest weekly --format email` ended in one. Expected: config check
    refuses the sender in one line saying why; an internationalised domain stays accepted."""
    text = f'[smtp]\nhost = "127.0.0.1"\nport = {free_port()}\nrecipients = ["reader@example.org"]\n'
    base = ["--config", str(tmp_path / "digest.toml"), "--data-dir", str(tmp_path / "data"), "config", "check"]
    (tmp_path / "digest.toml").write_text(text + 'sender = "Zoë <zoë@example.org>"\n', encoding="utf-8")
    checked = main(base)
    captured = capsys.readouterr()
    said = [line for line in (captured.out + captured.err).splitlines() if "smtp.sender" in line]
    assert checked != 0 and len(said) == 1 and "zoë@example.org" in said[0] and "ASCII" in said[0], captured
    assert "Traceback" not in captured.err
    (tmp_path / "digest.toml").write_text(text + 'sender = "Zoë <digest@bücher.example>"\n', encoding="utf-8")
    assert main(base) == 0, capsys.readouterr()


def test_a_sender_named_with_a_joiner_is_accepted_and_its_name_reads_whole(tmp_path: Path) -> None:
    """[smtp] sender = "علی‌رضا 🧑‍🔬 <digest@example.org>": a Persian name joined by U+200C and an emoji sequence
    joined by U+200D were refused by the settings as 'has a control character in its display name', though the text
    policy keeps joiners (titles and the Subject carry them whole). Expected: accepted, the From reads the name
    whole; a bidi override or a line break in the name is still refused."""
    name = "علی\u200cرضا 🧑\u200d🔬"
    port = free_port()
    inbox, _ = weekly_job_mail(tmp_path, port, config(port, sender=f"{name} <digest@example.org>", maintainers=()))
    (message,) = inbox.messages
    assert parseaddr(str(message["From"])) == (name, "digest@example.org"), str(message["From"])
    for hostile in ("Ann\u202eevil", "Ann\\u0007"):
        with pytest.raises(ConfigError):
            make_settings(tmp_path / "other", config(port, sender=f"{hostile} <digest@example.org>"))
