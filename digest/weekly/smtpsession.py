"""The weekly email's SMTP session: connecting as [smtp] security says, and logging in (a UTF-8 name or password). A
server that does not fit the settings (a plain-text greeting where TLS was expected, a TLS port asked to greet in
plain text, no login offered) is said so in one line with what to set, not in OpenSSL's or smtplib's words; the
password is kept out of what the server replies."""

from __future__ import annotations

import base64
import re
import smtplib
import ssl

from digest.config import SmtpSettings
from digest.text import one_line
from digest.weekly.connectionwatch import ConnectionWatch
from digest.weekly.smtpaddress import opened


class MismatchError(OSError):
    """The server does not speak as [smtp] security says; one line saying what to set."""


class NoLoginError(Exception):
    """The server offers no AUTH, and a username is set; one line saying what to set."""


def no_login_offered(where: str, *, encrypted: bool) -> str:
    """Most servers offer AUTH only once the connection is encrypted (RFC 4954 advises it): a plain connection to one
    finds none."""
    if not encrypted:
        return (
            f"the SMTP server {where} offers no login (AUTH) on an unencrypted connection and [smtp] username is set:"
            ' most servers offer it only over TLS (set [smtp] security = "starttls", or "tls"); unset username if this'
            " one needs no login"
        )
    return f"the SMTP server {where} offers no login (AUTH) and [smtp] username is set: unset it if it needs none"


def connect(
    settings: SmtpSettings, context: ssl.SSLContext | None, address: str, watch: ConnectionWatch | None = None
) -> smtplib.SMTP:
    """A connection to the server at `address` (SmtpSettings.route's: the host, or the loopback address a plain-text
    login was checked at), encrypted as [smtp] security says: TLS at once ("tls"), or plain text then STARTTLS
    ("starttls"), or none. Its lookups wait timeout_seconds at most, and not past the stop `watch` reads, which shuts
    the connection (weekly/smtpaddress.py, weekly/connectionwatch.py)."""
    context = context or ssl.create_default_context()
    watch = watch or ConnectionWatch(None)
    seconds = settings.timeout_seconds
    try:
        if settings.security == "tls":
            return opened(address, settings.port, seconds, context, watch)
        client = opened(address, settings.port, seconds, None, watch)
    except ssl.SSLError as exc:
        # OpenSSL reads a plain-text greeting ("220 ...") as a TLS record of an unknown version.
        if exc.reason == "WRONG_VERSION_NUMBER":
            raise MismatchError(
                "it answered in plain text, not TLS: a server that offers STARTTLS (usually port 587 or 25) needs"
                ' [smtp] security = "starttls"'
            ) from exc
        raise
    except smtplib.SMTPServerDisconnected as exc:
        # Connected, and no greeting came: a server of TLS at once waits for the handshake.
        if isinstance(exc.__context__, TimeoutError):
            raise MismatchError(
                f"it took the connection and said nothing for {settings.timeout_seconds:g} s: a server that"
                ' expects TLS at once (usually port 465) needs [smtp] security = "tls"'
            ) from exc
        raise
    try:
        if settings.security == "starttls":
            client.starttls(context=context)  # smtplib refuses a server that does not offer it: nothing goes in clear
    except smtplib.SMTPNotSupportedError as exc:
        client.close()
        raise MismatchError(
            "it offers no STARTTLS, so nothing was sent over the unencrypted connection: set [smtp] security ="
            ' "tls" for a server of TLS at once (usually port 465), or "none" for a relay on this machine'
        ) from exc
    except BaseException:
        client.close()
        raise
    return client


def login(client: smtplib.SMTP, username: str, password: str, *, where: str, encrypted: bool) -> None:
    """Logs in. smtplib sends AUTH as ASCII (a UnicodeEncodeError for "Grüße"), so a non-ASCII name or password goes
    as UTF-8 by AUTH PLAIN (RFC 4616 defines it as UTF-8) or, if only that is offered, AUTH LOGIN. A server that offers
    no AUTH is said so with what to set (smtplib's own line names neither the setting nor the fix)."""
    client.ehlo_or_helo_if_needed()
    if not client.has_extn("auth"):
        raise NoLoginError(no_login_offered(where, encrypted=encrypted))
    if username.isascii() and password.isascii():
        client.login(username, password)
        return
    offered = str(client.esmtp_features.get("auth", "")).upper().split()
    name, secret = username.encode(), password.encode()
    if "PLAIN" in offered:
        code, reply = client.docmd("AUTH", "PLAIN " + base64.b64encode(b"\0" + name + b"\0" + secret).decode())
    elif "LOGIN" in offered:
        code, reply = client.docmd("AUTH", "LOGIN " + base64.b64encode(name).decode())
        if code == 334:
            code, reply = client.docmd(base64.b64encode(secret).decode())
    else:
        raise smtplib.SMTPAuthenticationError(504, b"no AUTH PLAIN or LOGIN offered, which a non-ASCII password needs")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def needing_smtputf8(client: smtplib.SMTP, envelope: dict[str, str]) -> dict[str, tuple[int, bytes]]:
    """The recipients whose local part is not ASCII, refused here when the server does not offer SMTPUTF8, which
    they need (smtplib would fail the whole message for them): the other recipients still get it."""
    client.ehlo_or_helo_if_needed()
    if client.has_extn("smtputf8"):
        return {}
    reason = b"5.6.7 a non-ASCII address needs SMTPUTF8, which the server does not offer"
    return {address: (553, reason) for address in envelope if not address.isascii()}


def mail_refused(client: smtplib.SMTP, settings: SmtpSettings, where: str, reason: str) -> str | None:
    """The line for a sender refused with 530 (RFC 3207, RFC 4954: encryption or a login needed first) when the
    settings are what the server asks to change, with what to set; None for another refusal (the server's words)."""
    if not reason.startswith("530"):
        return None
    if settings.security == "none" and client.has_extn("starttls"):
        encrypted = f"the SMTP server {where} takes mail only over an encrypted connection ({reason})"
        return f'{encrypted}: set [smtp] security = "starttls"'
    if not settings.username and client.has_extn("auth"):
        login = f"the SMTP server {where} takes mail only from a login ({reason})"
        return f"{login}: set [smtp] username, and its password in the SMTP_PASSWORD variable"
    return None


# A password at least this long is scrubbed wherever it occurs; a shorter one only where it stands apart (a
# password "a" replaced inside every word made a server's reply unreadable; inside a word it reveals nothing).
SCRUBBED_ANYWHERE = 6


def scrubbed(text: str, secret: str) -> str:
    """The text without the secret, should a server or a library ever echo it."""
    if not secret:
        return text
    if len(secret) >= SCRUBBED_ANYWHERE:
        return text.replace(secret, "[password]")
    # Apart: no letter or digit next to it, nor one beyond a dot (an enhanced status code "5.7.8", an address).
    apart = rf"(?<![^\W_])(?<![^\W_]\.){re.escape(secret)}(?!\.?[^\W_])"
    return re.sub(apart, "[password]", text)


# RFC 3463's enhanced codes for conditions that pass of themselves, which some servers send with a 5xx all the same:
# X.2.2 mailbox full, X.3.1 mail system full, X.4.5 congestion (Gmail's "550 5.4.5 Daily user sending quota exceeded").
_PASSING = re.compile(rb"\s*5\.(2\.2|3\.1|4\.5)(?!\d)")


def for_now(code: int, text: bytes) -> bool:
    """Whether a reply refuses for now: a 4xx, or a 5xx whose enhanced code names a condition that passes (a quota
    that resets, a full mailbox), which the back-off tries again rather than giving the week up."""
    return 400 <= code < 500 or (500 <= code < 600 and _PASSING.match(text) is not None)


def _said(exc: smtplib.SMTPResponseException) -> bytes:
    return exc.smtp_error if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error).encode()


def for_good(exc: BaseException) -> bool:
    """Whether the server refused with a 5xx reply (to the greeting, MAIL FROM, AUTH, STARTTLS or DATA) that names no
    passing condition (for_now)."""
    return (
        isinstance(exc, smtplib.SMTPResponseException)
        and 500 <= exc.smtp_code < 600
        and not for_now(exc.smtp_code, _said(exc))
    )


def reply_line(exc: BaseException) -> str:
    """The server's reply (or the failure) in one line."""
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {one_line(error)}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    if isinstance(exc, UnicodeError):
        return f"text that cannot be sent as {exc.encoding if isinstance(exc, UnicodeEncodeError) else 'text'}"
    return one_line(str(exc)) or type(exc).__name__
