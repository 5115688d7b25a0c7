"""Email: builds the weekly digest message (text + HTML alternatives) and sends it over SMTP.

Sending is a blocking smtplib call; the weekly job runs in a worker thread.
"""

from __future__ import annotations

import base64
import logging
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from digest.config import SmtpSettings

log = logging.getLogger(__name__)

FALLBACK_DOMAIN = "awesome-digest.localhost"


class MailError(Exception):
    """The message could not be handed to the SMTP server; one line saying why."""


@dataclass(frozen=True)
class Delivery:
    message_id: str
    accepted: Sequence[str]
    refused: Sequence[str]


def _header_value(value: str) -> str:
    """Header text with every line break and control character flattened: no header can be injected."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in value).split())


def _address(value: str, what: str) -> str:
    value = value.strip()
    if not value or any(not ch.isprintable() or ch in '<>,;"' or ch.isspace() for ch in value) or "@" not in value:
        raise MailError(f"{what} {value!r} is not a plain email address (user@example.org)")
    return value


def message_domain(sender: str) -> str:
    domain = sender.rpartition("@")[2].strip().strip(">")
    return domain if domain and all(ch.isalnum() or ch in ".-" for ch in domain) else FALLBACK_DOMAIN


def unsubscribe_headers(target: str | None) -> dict[str, str]:
    """List-Unsubscribe for a mailto: or https: target; one-click (RFC 8058) only for https."""
    if not target:
        return {}
    target = target.strip()
    if "@" in target and ":" not in target:
        target = f"mailto:{target}"
    if any(ch in "<>\r\n\t " for ch in target) or not target.startswith(("mailto:", "https:", "http:")):
        raise MailError(f"weekly.list_unsubscribe {target!r} must be a mailto: address or an http(s) URL")
    headers = {"List-Unsubscribe": f"<{target}>"}
    if target.startswith("https:"):
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return headers


def build_message(
    *,
    subject: str,
    text: str,
    html: str,
    sender: str,
    recipients: Sequence[str],
    now: datetime,
    list_unsubscribe: str | None = None,
) -> EmailMessage:
    """A multipart/alternative message: the plain text first, the HTML last (the part clients prefer)."""
    message = EmailMessage()
    message["Subject"] = _header_value(subject)
    message["From"] = Address(addr_spec=_address(sender, "smtp.sender"))
    addresses = [_address(recipient, "the recipients hold") for recipient in recipients]
    # The recipients travel in the envelope only: with several, no reader learns another reader's address.
    message["To"] = addresses[0] if len(addresses) == 1 else "undisclosed-recipients:;"
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=message_domain(sender))
    for name, value in unsubscribe_headers(list_unsubscribe).items():
        message[name] = value
    message["Auto-Submitted"] = "auto-generated"
    # Quoted-printable keeps the wire form 7-bit, so a server without 8BITMIME relays it intact.
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    return message


def _connect(settings: SmtpSettings, context: ssl.SSLContext | None) -> smtplib.SMTP:
    assert settings.host is not None
    if settings.security == "tls":
        return smtplib.SMTP_SSL(
            settings.host,
            settings.port,
            timeout=settings.timeout_seconds,
            context=context or ssl.create_default_context(),
        )
    client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)
    try:
        if settings.security == "starttls":
            client.starttls(context=context or ssl.create_default_context())
    except BaseException:
        client.close()
        raise
    return client


def send(
    message: EmailMessage,
    settings: SmtpSettings,
    recipients: Sequence[str],
    *,
    ssl_context: ssl.SSLContext | None = None,
) -> Delivery:
    """Hands the message to the server for the recipients (one edition's); raises MailError when none accepted it."""
    if not settings.host or not recipients:
        raise MailError("email is off: set [smtp] host and recipients")
    recipients = [_address(r, "the recipients hold") for r in recipients]
    where = f"{settings.host}:{settings.port}"
    try:
        client = _connect(settings, ssl_context)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"cannot reach the SMTP server {where} ({settings.security}): {_reason(exc)}") from exc
    password = settings.password.get_secret_value() if settings.password else ""
    try:
        if settings.username:
            login(client, settings.username, password)
        refused = client.send_message(message, from_addr=settings.sender, to_addrs=recipients)
    except smtplib.SMTPAuthenticationError as exc:
        reason = _scrubbed(_reason(exc), password)
        raise MailError(f"the SMTP server {where} refused the login of {settings.username!r}: {reason}") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError(f"the SMTP server {where} refused every recipient: {_refusals(exc.recipients)}") from exc
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        # `from None`: a UnicodeEncodeError's args hold the text it could not encode, which may be the password.
        raise MailError(f"sending through {where} failed: {_scrubbed(_reason(exc), password)}") from None
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()  # the message is already accepted (or not); a failed goodbye changes nothing
    if refused:
        log.warning("the SMTP server refused some recipients: %s", _refusals(refused))
    return Delivery(
        message_id=str(message["Message-ID"]),
        accepted=[r for r in recipients if r not in refused],
        refused=sorted(refused),
    )


def login(client: smtplib.SMTP, username: str, password: str) -> None:
    """Logs in. smtplib sends AUTH as ASCII (a UnicodeEncodeError for "Grüße"), so a non-ASCII name or password goes
    as UTF-8 by AUTH PLAIN (RFC 4616 defines it as UTF-8) or, if only that is offered, AUTH LOGIN."""
    if username.isascii() and password.isascii():
        client.login(username, password)
        return
    client.ehlo_or_helo_if_needed()
    offered = str(client.esmtp_features.get("auth", "")).upper().split()
    name, secret = username.encode(), password.encode()
    if "PLAIN" in offered:
        code, reply = client.docmd("AUTH", "PLAIN " + _base64(b"\0" + name + b"\0" + secret))
    elif "LOGIN" in offered:
        code, reply = client.docmd("AUTH", "LOGIN " + _base64(name))
        if code == 334:
            code, reply = client.docmd(_base64(secret))
    else:
        raise smtplib.SMTPAuthenticationError(504, b"no AUTH PLAIN or LOGIN offered, which a non-ASCII password needs")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def _base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrubbed(text: str, secret: str) -> str:
    """The text without the secret, should a server or a library ever echo it."""
    return text.replace(secret, "[password]") if secret else text


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {_header_value(error)}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    if isinstance(exc, UnicodeError):
        return f"text that cannot be sent as {exc.encoding if isinstance(exc, UnicodeEncodeError) else 'text'}"
    return _header_value(str(exc)) or type(exc).__name__


def _refusals(refused: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(
        f"{address}: {code} {_header_value(reason.decode('utf-8', 'replace'))}"
        for address, (code, reason) in sorted(refused.items())
    )
