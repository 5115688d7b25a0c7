"""Email addresses, a leaf: the one rule for what the settings accept and the mailer sends (a plain address, a sender
with a display name, an internationalised domain as its ASCII A-label) and for a List-Unsubscribe target. The
settings check with these functions and the message is built with them, so `digest config check` and the weekly job
cannot disagree. Also the list's List-Id (RFC 2919)."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from contextlib import suppress
from dataclasses import dataclass
from email.header import Header

from digest.text import has_invisible, one_line, url_problem

# Characters no plain address here holds: they would end the address in a header or the SMTP envelope.
_NOT_IN_ADDRESS = set('<>,;"()[]\\')
# A header line as RFC 5322 advises (78), less the space that starts a folded line.
_LIST_ID_LINE = 77
# SMTP's 998 characters a line, less "List-Unsubscribe: <" and ">".
UNSUBSCRIBE_LENGTH_LIMIT = 998 - len("List-Unsubscribe: <>")
# A display name as RFC 5322 writes it, words and quoted strings (a quoted one may hold '<', '>' and escaped quotes),
# then <address>.
_MAILBOX = re.compile(r'^(?P<name>(?:"(?:[^"\\]|\\.)*"|[^<>"])*)<(?P<address>[^<>]*)>$')


class AddressError(ValueError):
    """An address or target that cannot be used; one line saying why."""


def plain_address(value: str) -> str:
    """`user@example.org`, trimmed. The domain may be internationalised (`bücher.example`): it is sent as its
    A-label. AddressError when it is not one address."""
    value = value.strip()
    local, at, domain = value.rpartition("@")
    if (
        not at
        or not local
        or not domain
        or any(not ch.isprintable() or ch.isspace() or ch in _NOT_IN_ADDRESS for ch in value)
    ):
        raise AddressError(f"{value!r} is not an email address (user@example.org)")
    mistyped = _mistyped(local, domain)
    if mistyped:  # the server alone would refuse it, a week later, at the first send
        raise AddressError(f"{value!r} is not an email address (user@example.org): it has {mistyped}")
    ascii_domain(domain)
    return value


def _mistyped(local: str, domain: str) -> str | None:
    """What makes an address that looks like one unusable (RFC 5321's dot-atom), or None. A quoted name
    ("a@b"@example.org) may hold '@' and dots anywhere."""
    if not (local.startswith('"') and local.endswith('"') and len(local) > 1):
        if "@" in local:
            return "two '@'"
        if local.startswith(".") or local.endswith(".") or ".." in local:
            return "a dot at the start or end of its name, or two dots together"
    if "" in domain.split("."):
        return "an empty part of its domain"
    return None


def ascii_domain(domain: str) -> str:
    """The domain as DNS and an SMTP server without SMTPUTF8 know it: an internationalised one as its A-label
    (IDNA 2008 with the UTS 46 mapping: bücher.example is xn--bcher-kva.example); an ASCII one as it is."""
    if domain.isascii():
        return domain
    import idna  # here: only a domain in another script needs it, and the settings check every address at start

    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError:
        raise AddressError(f"the domain {domain!r} is not a valid internationalised domain name") from None


def envelope_address(address: str) -> str:
    """The plain address with its domain's A-label: pure ASCII unless its local part is not (only a server that
    offers SMTPUTF8 takes that)."""
    local, _, domain = plain_address(address).rpartition("@")
    return f"{local}@{ascii_domain(domain)}"


@dataclass(frozen=True)
class Mailbox:
    """A sender: a display name (may be empty) and a plain address."""

    display_name: str
    address: str

    @property
    def envelope(self) -> str:
        return envelope_address(self.address)

    @property
    def domain(self) -> str:
        """The address's domain as its A-label."""
        return self.envelope.rpartition("@")[2]


def mailbox(value: str) -> Mailbox:
    """`Awesome Digest <digest@example.org>` (the usual From: a display name, quoted or not; a quoted one may hold
    angle brackets, `"Awesome <LMM> Digest" <digest@example.org>`) or a plain address.
    AddressError when it is neither."""
    value = value.strip()
    match = _MAILBOX.match(value)
    if match is None:
        return _sendable(Mailbox("", plain_address(value)))
    name = match["name"].strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = re.sub(r"\\(.)", r"\1", name[1:-1])
    # By the text policy: a control, line break or bidi character is refused; the joiners of a Persian name or an
    # emoji sequence (U+200C, U+200D) are kept, as in a title.
    if has_invisible(name):
        raise AddressError(f"{value!r} has a control or bidi character in its display name")
    return _sendable(Mailbox(" ".join(name.split()), plain_address(match["address"])))


def _sendable(sender: Mailbox) -> Mailbox:
    """The sender, whose name before '@' must be ASCII: the email library cannot write another in a From header
    (nor could a server without SMTPUTF8 take it). The domain may be internationalised (it goes as its A-label)."""
    if not sender.address.rpartition("@")[0].isascii():
        raise AddressError(
            f"{sender.address!r}: a sender's name before '@' must be ASCII (the email's From cannot carry it)"
        )
    return sender


def unsubscribe_problem(target: str) -> str | None:
    """Why the target is not one a List-Unsubscribe header can carry, or None: a mailto: with a plain address, or an
    http(s) URL the URL policy (digest.text) accepts, so no white space (write a space as %20); on one header line
    (the header is never folded: a folded <URL> reaches no mail client as a link)."""
    if len(target) > UNSUBSCRIBE_LENGTH_LIMIT:
        return f"is longer than the {UNSUBSCRIBE_LENGTH_LIMIT} characters one header line can carry"
    if not target.isascii():  # the header would go as encoded words, which no mail client reads as a link
        return (
            "holds characters outside ASCII, which the header cannot carry: write them percent-encoded (é as %C3%A9;"
            " a domain in its xn-- form)"
        )
    if target.startswith("mailto:"):
        address, _, _query = target.removeprefix("mailto:").partition("?")
        if any(ch.isspace() or not ch.isprintable() or ch in "<>" for ch in target):
            return "contains white space or a character a header cannot carry (write a space as %20)"
        try:
            plain_address(address)
        except AddressError as exc:
            return f"has no plain address after mailto: ({exc})"
        return None
    if not target.startswith(("https://", "http://")):
        return "must be a mailto: address or an http(s) URL"
    found = url_problem(target)
    return None if found is None else f"{found} (write a space as %20)" if "white space" in found else found


def list_id(title: str, web_host: str | None, sender_domain: str) -> str:
    """The List-Id of the readers' edition (RFC 2919): the list's title (as encoded words outside ASCII or with a word
    longer than a header line, quoted when it holds a special such as '<'), then <label.namespace>, the label made of
    the title's letters and digits and the namespace the web address's host name, else the sender's domain (its
    A-label; `localhost` is the RFC's namespace for a list without a domain)."""
    namespace = ascii_domain(sender_domain)
    if web_host and "." in web_host and not _is_ip(web_host):
        with suppress(AddressError):  # a host name that is not one: the sender's domain names the list
            namespace = ascii_domain(web_host.lower())
    # The identifier must fit one folded header line: a longer one is written as encoded words by the email library,
    # where RFC 2047 allows none and no filter finds it.
    room = max(_LIST_ID_LINE - len(" <.>") - len(namespace), 1)
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    words = "-".join(re.findall(r"[a-z0-9]+", ascii_title.lower()))
    label = words[: min(60, room)].strip("-") or "weekly-digest"[:room].strip("-") or "w"
    phrase = one_line(title)  # the joiners of an emoji sequence or a Persian word stay, as in the Subject
    # A word no header line holds (1,000 letters of a pasted address) would go out on a line past SMTP's 998
    # characters, which a server refuses: encoded words carry it in pieces, read back as the one word.
    if not phrase.isascii() or any(len(word) > _LIST_ID_LINE - 2 for word in phrase.split()):
        # The whole phrase as encoded words, each within a header line (RFC 2047: '<' and ':' encoded too). The email
        # library would encode only the words outside ASCII and leave a title's '<LMM>' bare before the identifier,
        # where a mail program taking the first <...> reads it as the list's id.
        phrase = " ".join(Header(phrase, "utf-8").encode(maxlinelen=_LIST_ID_LINE - 2).split())
    elif re.search(r'[()<>\[\]:;@\\,."]', phrase):
        phrase = '"' + phrase.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{phrase} <{label}.{namespace}>".strip()


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
