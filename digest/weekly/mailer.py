"""Email: builds the weekly digest message (text + HTML alternatives) and sends it over SMTP, a blocking smtplib call
(the weekly job runs in a worker thread)."""

from __future__ import annotations

import hashlib
import re
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from digest.addresses import AddressError, Mailbox, envelope_address, list_id, mailbox, unsubscribe_problem
from digest.config import SmtpSettings
from digest.config.lookups import LookupStoppedError, LookupTimeoutError
from digest.text import one_line
from digest.weekly.batches import Stop as Stop  # re-exported: the send's callers name it here
from digest.weekly.batches import send_in_batches
from digest.weekly.connectionwatch import IN_FLIGHT_SECONDS, ConnectionWatch
from digest.weekly.listheaders import BODY_POLICY, MAIL_POLICY
from digest.weekly.refusals import CLOSED, left_unsent, summarised
from digest.weekly.smtpsession import NoLoginError, connect, for_now, login, mail_refused, needing_smtputf8, scrubbed
from digest.weekly.smtpsession import for_good as _for_good
from digest.weekly.smtpsession import reply_line as _reason


class MailError(Exception):
    """The message could not be handed to the SMTP server; one line saying why. `for_good`: the server refused it
    with a 5xx reply (RFC 5321: a permanent refusal), which the same send would get again."""

    def __init__(self, line: str, *, for_good: bool = False) -> None:
        super().__init__(line)
        self.for_good = for_good


@dataclass(frozen=True)
class Delivery:
    """What the server took, as the recipients were configured: accepted, refused for good (5xx), refused for now
    (4xx: greylisting, a full mailbox; to be tried again), and the server's reply for each refusal in one line.
    `withheld`: those the server refused the message for, for good (a 5xx to it after earlier batches went out),
    owed it once its cause is fixed: not retried, as the edition refused whole is not."""

    message_id: str
    accepted: Sequence[str]
    refused: Sequence[str]
    deferred: Sequence[str] = ()
    refusals: str = ""
    unsent: Sequence[str] = ()  # of the deferred, those never refused: left unsent by a stop or a lost connection
    withheld: Sequence[str] = ()


class StoppedError(MailError):
    """The stop came before any batch went out (while connecting or logging in), or shut the connection while the
    first batch was unanswered: nobody is known to have the edition."""


_STOPPED_BEFORE = "the send was stopped before any mail went out"
# The server took the message and had not answered when the stop shut the connection: it may have it, and the resend
# carries the same Message-ID (message_id), by which a reader's mailbox knows it again.
_STOPPED_UNANSWERED = "the send was stopped while the server had not answered for the first mail: none is known sent"


class RecipientsRefusedError(MailError):
    """Every recipient refused; `delivery` says who for good (5xx) and who for now (4xx), for a retry to those owed."""

    def __init__(self, line: str, delivery: Delivery) -> None:
        super().__init__(line, for_good=not delivery.deferred)  # every one refused for good (5xx)
        self.delivery = delivery


# A line of a part as sent that opens with "From " (a soft line break before "From Pixels to ..."): smtplib and mbox
# mailboxes write it ">From", which readers then read in the title; RFC 2049 advises encoding its F.
_FROM_LINE = re.compile(r"^From ", re.MULTILINE)


def _header_value(value: str) -> str:
    """Header text with every line break, control and bidi character flattened (no header can be injected), by the
    text policy: the joiners of an emoji sequence or a Persian word (U+200D, U+200C) stay, as in the body."""
    return one_line(value)


def _sender(value: str) -> Mailbox:
    try:
        return mailbox(value)
    except AddressError as exc:
        raise MailError(f"smtp.sender: {exc}") from None


def _envelope(recipients: Sequence[str]) -> dict[str, str]:
    """Each recipient's envelope form (its domain's A-label) and the address as configured."""
    try:
        return {envelope_address(recipient): recipient.strip() for recipient in recipients}
    except AddressError as exc:
        raise MailError(f"the recipients hold {exc}") from None


def unsubscribe_headers(target: str | None) -> dict[str, str]:
    """List-Unsubscribe for a mailto: or http(s) target (digest.addresses decides which, for `config check` too).
    No List-Unsubscribe-Post: one-click (RFC 8058) needs a link naming the recipient, and one message with one
    configured link goes to every reader, so a click could not say who leaves."""
    if not target:
        return {}
    target = target.strip()
    refused = unsubscribe_problem(target)
    if refused:
        raise MailError(f"weekly.list_unsubscribe {target!r} {refused}")
    return {"List-Unsubscribe": f"<{target}>"}


def build_message(
    *,
    subject: str,
    text: str,
    html: str,
    sender: str,
    recipients: Sequence[str],
    now: datetime,
    list_unsubscribe: str | None = None,
    list_title: str | None = None,
    web_host: str | None = None,
    message_key: str | None = None,
) -> EmailMessage:
    """A multipart/alternative message: the plain text first, the HTML last (the part clients prefer). Addresses
    carry their domain's A-label, so a server without SMTPUTF8 takes them. With `list_title`, a mailing list's
    message: a List-Id named by the title and `web_host` (else the sender's domain). `message_key` (the week and
    edition) makes the Message-ID the same on every attempt, so a resend after a lost reply is known as the same
    message."""
    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = _header_value(subject)
    origin = _sender(sender)
    message["From"] = Address(display_name=origin.display_name, addr_spec=origin.envelope)
    addresses = list(_envelope(recipients))
    # The recipients travel in the envelope only: with several, no reader learns another reader's address.
    message["To"] = addresses[0] if len(addresses) == 1 else "undisclosed-recipients:;"
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(message_key, origin) if message_key else make_msgid(domain=origin.domain)
    if list_title is not None:
        message["List-Id"] = list_id(list_title, web_host, origin.domain)
    for name, value in unsubscribe_headers(list_unsubscribe).items():
        message[name] = value
    message["Auto-Submitted"] = "auto-generated"
    # Quoted-printable keeps the wire form 7-bit, so a server without 8BITMIME relays it intact.
    message.policy = BODY_POLICY  # the parts' lines encoded within 76 characters; the headers keep MAIL_POLICY's
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    message.policy = MAIL_POLICY
    for part in message.iter_parts():
        part.set_payload(_FROM_LINE.sub("=46rom ", str(part.get_payload())))
    return message


def message_id(key: str, sender: Mailbox) -> str:
    """The Message-ID of the week's edition from this sender: one per week and edition, whichever attempt sends it
    (a hash of the sender's address keeps two deployments with one mail domain apart), its domain the A-label."""
    unique = hashlib.sha256(f"{sender.envelope}\n{key}".encode()).hexdigest()[:16]
    label = "".join(ch if ch.isascii() and (ch.isalnum() or ch in ".-") else "-" for ch in key)
    return f"<{label}.{unique}@{sender.domain}>"


def send(
    message: EmailMessage,
    settings: SmtpSettings,
    recipients: Sequence[str],
    *,
    ssl_context: ssl.SSLContext | None = None,
    stop: Stop | None = None,
) -> Delivery:
    """Hands the message to the server for the recipients (one edition's); raises MailError when none accepted it.
    `stop` set ends the send after the batch in flight: the recipients of the batches not sent are owed it (a 4xx);
    set before the first batch, none goes out (StoppedError). A server that says nothing is waited for no longer
    than the stop (the batch in flight: IN_FLIGHT_SECONDS after it)."""
    if not settings.host or not recipients:
        raise MailError("email is off: set [smtp] host and recipients")
    with ConnectionWatch(stop.is_set if stop is not None else None) as watch:
        return _conversation(message, settings, recipients, ssl_context, stop, watch)


def _conversation(
    message: EmailMessage,
    settings: SmtpSettings,
    recipients: Sequence[str],
    ssl_context: ssl.SSLContext | None,
    stop: Stop | None,
    watch: ConnectionWatch,
) -> Delivery:
    """send's SMTP conversation, its connection shut by `watch` at the stop."""
    sender, envelope = _sender(settings.sender).envelope, _envelope(recipients)
    where = f"{settings.host}:{settings.port}"
    client = _connected(settings, ssl_context, watch, where)
    password = settings.password.get_secret_value() if settings.password else ""
    unsendable: dict[str, tuple[int, bytes]] = {}
    try:
        if settings.username:
            login(client, settings.username, password, where=where, encrypted=settings.security != "none")
        unsendable = needing_smtputf8(client, envelope)
        to = [address for address in envelope if address not in unsendable]
        if not to:
            raise smtplib.SMTPRecipientsRefused(unsendable)
        if stop is not None and stop.is_set():  # checked before the first batch too: a stop while connecting
            raise StoppedError("the send was stopped before any mail went out")
        watch.in_flight = IN_FLIGHT_SECONDS  # a message in flight is given time for its answer (who got it)
        answered, withheld = send_in_batches(client, message, sender, to, RECIPIENTS_PER_MESSAGE, stop)
        watch.in_flight = 0.0
        refused = {**unsendable, **answered}
    except NoLoginError as exc:  # a setting to change: every retry would find no login offered again
        raise MailError(str(exc), for_good=True) from None
    except smtplib.SMTPSenderRefused as exc:  # MAIL FROM refused: a server that wants other settings says so
        said = mail_refused(client, settings, where, _reason(exc))
        said = said or f"sending through {where} failed: {scrubbed(_reason(exc), password)}"
        raise MailError(said, for_good=_for_good(exc)) from None
    except smtplib.SMTPAuthenticationError as exc:
        reason = scrubbed(_reason(exc), password)
        line = f"the SMTP server {where} refused the login of {settings.username!r}: {reason}"
        raise MailError(line, for_good=_for_good(exc)) from None
    except smtplib.SMTPRecipientsRefused as exc:
        # None has it; one the server was never asked about (a 421 closed the connection first) is owed it still.
        every = _delivery(message, envelope, {**dict.fromkeys(envelope, CLOSED), **unsendable, **exc.recipients})
        said = "closed the connection before any mail went out" if every.unsent else "refused every recipient"
        line = f"the SMTP server {where} {said}: {every.refusals}"
        raise RecipientsRefusedError(line, every) from exc
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        if watch.cut:  # the stop shut the connection before any mail was answered: nobody is known to have it
            raise StoppedError(_STOPPED_UNANSWERED if watch.in_flight else _STOPPED_BEFORE) from None
        # `from None`: a UnicodeEncodeError's args hold the text it could not encode, which may be the password.
        line = f"sending through {where} failed: {scrubbed(_reason(exc), password)}"
        raise MailError(line, for_good=_for_good(exc)) from None
    finally:
        _goodbye(client)
    # Who was refused is said once, by the caller's line for the edition (weekly/sending.py), not here as well.
    return _delivery(message, envelope, refused, withheld)


def _connected(
    settings: SmtpSettings, ssl_context: ssl.SSLContext | None, watch: ConnectionWatch, where: str
) -> smtplib.SMTP:
    """The connection to the server, once the host is resolved (and a plain-text login refused unless to this
    machine); a lookup with no answer in timeout_seconds fails as a server out of reach does (tried again), and a stop
    during one, or while the server has not greeted, ends the send (StoppedError)."""
    try:
        plain_login, server = settings.route(watch.stopped)  # resolves the host: asked once, connected to as checked
        if plain_login:  # refused before connecting: no password goes out in plain text to another machine
            raise MailError(plain_login, for_good=True)
        return connect(settings, ssl_context, server, watch)
    except LookupStoppedError:  # a stop while a lookup had no answer: nothing went out
        raise StoppedError(_STOPPED_BEFORE) from None
    except LookupTimeoutError as exc:  # the resolver's fault, or a name's: tried again as a server out of reach
        raise MailError(str(exc)) from None
    except (OSError, smtplib.SMTPException) as exc:
        if watch.cut:  # the stop shut a connection the server had said nothing on, or not all of its greeting
            raise StoppedError(_STOPPED_BEFORE) from None
        line = f"cannot reach the SMTP server {where} ({settings.security}): {_reason(exc)}"
        raise MailError(line, for_good=_for_good(exc)) from exc


def _goodbye(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()  # the message is already accepted (or not); a failed goodbye changes nothing


def _delivery(
    message: EmailMessage, envelope: dict[str, str], refused: dict[str, tuple[int, bytes]], withheld: Sequence[str] = ()
) -> Delivery:
    """Who has the message and who was refused (for good, or for now: a 4xx), as the recipients were configured."""
    final = [address for address, reply in refused.items() if not for_now(*reply) and address not in withheld]
    return Delivery(
        message_id=str(message["Message-ID"]),
        accepted=[configured for address, configured in envelope.items() if address not in refused],
        refused=sorted(envelope[address] for address in final),
        deferred=sorted(envelope[address] for address, reply in refused.items() if for_now(*reply)),
        refusals=_refusals(refused, envelope),
        unsent=sorted(envelope[address] for address, reply in refused.items() if left_unsent(reply)),
        withheld=sorted(envelope[address] for address in withheld),
    )


# RFC 5321 lets a server refuse recipients past 100 in one message (452 "too many recipients"), and many take fewer:
# a list of readers goes in messages of at most this many, over one connection.
RECIPIENTS_PER_MESSAGE = 50


def _refusals(refused: dict[str, tuple[int, bytes]], envelope: dict[str, str]) -> str:
    """The server's replies in one line, by the address as configured (a reply naming the envelope form is grouped
    with the others alike)."""
    replies = {
        envelope.get(address, address): (code, reason.decode("utf-8", "replace"))
        for address, (code, reason) in refused.items()
    }
    echoed = {envelope.get(address, address): address for address in refused}
    return summarised(
        {address: f"{code} {_header_value(reason)}" for address, (code, reason) in replies.items()}, echoed
    )
