"""Signed values: one-click approval links and the review session cookie, HMAC-SHA256 over the service's key.

Pure: the key and the current time are passed in. A link that fails says why in one word (`LinkError.reason`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

LINK_ACTIONS = ("approve", "reject")
# Why a link or cookie was refused, as shown to the person who opened it.
FORGED = "forged"
ALTERED = "altered"
EXPIRED = "expired"
MALFORMED = "malformed"
# l2 links name the paper (its arXiv ID) beside the candidate's number; l1 links, made by earlier releases, name the
# number alone and are still read until they expire.
_LINK_VERSION = "l2"
_UNBOUND_LINK_VERSION = "l1"
# The session's version, expiry, nonce and the tag of the admin token that opened it; a named token's session ends
# with the maintainer's name. Versions s1 and s2 carried no token tag: such cookies are refused (sign in again).
_SESSION_VERSION = "s3"
_NAMED_SESSION_VERSION = "s4"
_ORIGIN_BYTES = 12
_MAC_BYTES = hashlib.sha256().digest_size
_MAX_TOKEN_CHARS = 2048
_BASE64_URL_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-_")


class LinkError(Exception):
    """A signed value that must be refused; `reason` is forged, altered, expired or malformed."""

    def __init__(self, reason: str, detail: str, link: ApprovalLink | None = None) -> None:
        super().__init__(detail)
        self.reason = reason
        self.link = link  # a genuine link that expired: what it was for, to say how to do it still


@dataclass(frozen=True)
class ApprovalLink:
    candidate_id: int
    action: str  # approve | reject
    section: str | None
    expires_at: datetime
    # The paper the link was made for: a candidate's number can name another paper later (a database restored from a
    # backup gives the next candidate a number already sent out), and the link must not approve that one. Empty in an
    # l1 link.
    arxiv_id: str = ""


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    """The bytes of `text` as `_b64encode` writes them, and only so: the decoder alone skips characters outside the
    alphabet, takes padding, and ignores the spare bits of the last character, so an edited token would read as the
    genuine one."""
    if not set(text) <= _BASE64_URL_CHARACTERS:
        raise LinkError(MALFORMED, "the link is not a well-formed token")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise LinkError(MALFORMED, "the link is not a well-formed token") from exc
    if _b64encode(data) != text:
        raise LinkError(MALFORMED, "the link is not a well-formed token")
    return data


def _mac(key: str, purpose: str, data: bytes) -> bytes:
    # The purpose is mixed in so a session cookie can never be replayed as an approval link, or the reverse.
    return hmac.new(key.encode("utf-8"), purpose.encode("ascii") + b"\x00" + data, hashlib.sha256).digest()


def _origin_tag(key: str, candidate_id: int) -> bytes:
    """A short MAC over the candidate alone: it tells an edited genuine link (altered) from a made-up one."""
    return _mac(key, "link-origin", str(candidate_id).encode("ascii"))[:_ORIGIN_BYTES]


def sign_link(key: str, link: ApprovalLink) -> str:
    if link.action not in LINK_ACTIONS:
        raise ValueError(f"unknown link action {link.action!r}")
    if "|" in link.arxiv_id:
        raise ValueError(f"not an arXiv ID: {link.arxiv_id!r}")
    expires = int(link.expires_at.timestamp())
    origin = _b64encode(_origin_tag(key, link.candidate_id))
    # The section goes last: it is free text and may hold the separator.
    fields = (_LINK_VERSION, str(link.candidate_id), link.action, str(expires), origin, link.arxiv_id, link.section)
    payload = "|".join(field or "" for field in fields).encode("utf-8")
    return f"{_b64encode(payload)}.{_b64encode(_mac(key, 'approval-link', payload))}"


EMAILED = "?via=email"  # marks a link sent by email, so the audit log names that channel (it authorises nothing)


def approval_signer(
    base_url: str, key: str, candidate_id: int, arxiv_id: str, expires_at: datetime, *, emailed: bool = False
) -> Callable[[str, str | None], str]:
    """The candidate's approval links: `sign(action, section)` gives the absolute URL of /approve/<token>, the page
    that shows the paper and one button (the private feed and the weekly digest both link there). An `emailed` link
    carries EMAILED after the token."""

    def sign(action: str, section: str | None) -> str:
        link = ApprovalLink(candidate_id, action, section, expires_at, arxiv_id)
        return base_url.rstrip("/") + "/approve/" + sign_link(key, link) + (EMAILED if emailed else "")

    return sign


def verify_link(key: str, token: str, now: datetime) -> ApprovalLink:
    """The link's content when its signature holds and it has not expired; raises LinkError saying why not."""
    if len(token) > _MAX_TOKEN_CHARS or token.count(".") != 1:
        raise LinkError(MALFORMED, "the link is not a well-formed token")
    payload_text, mac_text = token.split(".")
    payload = _b64decode(payload_text)
    mac = _b64decode(mac_text)
    if len(mac) != _MAC_BYTES:
        # A link that lost its last characters (a wrapped line, a selection one short) keeps a genuine origin tag:
        # it was cut off, not edited, and must not be called altered.
        raise LinkError(MALFORMED, "the link's signature is cut off")
    try:
        version, cid_text, action, expires_text, origin_text, rest = payload.decode("utf-8").split("|", 5)
        arxiv_id, section = rest.split("|", 1) if version == _LINK_VERSION else ("", rest)
        candidate_id = int(cid_text)
        expires = int(expires_text)
        origin = _b64decode(origin_text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise LinkError(MALFORMED, "the link's content cannot be read") from exc
    if version not in (_LINK_VERSION, _UNBOUND_LINK_VERSION) or action not in LINK_ACTIONS or candidate_id < 0:
        raise LinkError(MALFORMED, "the link's content cannot be read")
    if not hmac.compare_digest(mac, _mac(key, "approval-link", payload)):
        if hmac.compare_digest(origin, _origin_tag(key, candidate_id)):
            raise LinkError(ALTERED, "the link was changed after it was made (action, section or expiry edited)")
        raise LinkError(FORGED, "the link was not made by this service")
    try:
        expires_at = datetime.fromtimestamp(expires, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise LinkError(MALFORMED, "the link's expiry cannot be read") from exc
    link = ApprovalLink(candidate_id, action, section or None, expires_at, arxiv_id)
    if now >= expires_at:
        raise LinkError(EXPIRED, f"the link expired on {expires_at:%Y-%m-%d %H:%M} UTC", link)
    return link


def token_tag(key: str, token: str) -> str:
    """What a session keeps of the admin token that opened it: a keyed hash, so that replacing the token ends the
    sessions it opened, while the cookie never holds the token nor anything to guess it from."""
    return _b64encode(_mac(key, "session-token", token.encode("utf-8"))[:12])


def sign_session(key: str, nonce: str, expires_at: datetime, tag: str, maintainer: str | None = None) -> str:
    """The review session cookie's value: a random nonce, an expiry, the opening token's tag (`token_tag`) and the
    maintainer's name (a named admin token's; none for the shared one), signed. Never the token itself."""
    fields = [_SESSION_VERSION, str(int(expires_at.timestamp())), nonce, tag]
    if maintainer is not None:
        fields = [_NAMED_SESSION_VERSION, *fields[1:], maintainer]
    payload = "|".join(fields).encode("ascii")
    return f"{_b64encode(payload)}.{_b64encode(_mac(key, 'review-session', payload))}"


@dataclass(frozen=True)
class SessionClaim:
    nonce: str
    expires_at: datetime
    tag: str  # token_tag of the admin token that opened the session
    maintainer: str | None = None  # the named admin token's name; None for the shared token


def read_session(key: str, value: str, now: datetime) -> SessionClaim:
    """The session's nonce and expiry when the cookie is genuine and unexpired; raises LinkError otherwise."""
    if len(value) > _MAX_TOKEN_CHARS or value.count(".") != 1:
        raise LinkError(MALFORMED, "the session cookie is not well-formed")
    payload_text, mac_text = value.split(".")
    payload = _b64decode(payload_text)
    if not hmac.compare_digest(_b64decode(mac_text), _mac(key, "review-session", payload)):
        raise LinkError(FORGED, "the session cookie was not made by this service")
    try:
        version, expires_text, rest = payload.decode("ascii").split("|", 2)
        expires = int(expires_text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise LinkError(MALFORMED, "the session cookie cannot be read") from exc
    nonce, _, tag = rest.partition("|")
    maintainer = None
    if version == _NAMED_SESSION_VERSION:
        tag, _, maintainer = tag.partition("|")
    if version not in (_SESSION_VERSION, _NAMED_SESSION_VERSION) or not nonce or not tag or maintainer == "":
        raise LinkError(MALFORMED, "the session cookie cannot be read")
    if now.timestamp() >= expires:
        raise LinkError(EXPIRED, "the session has expired: sign in again")
    try:
        expires_at = datetime.fromtimestamp(expires, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise LinkError(MALFORMED, "the session cookie cannot be read") from exc
    return SessionClaim(nonce=nonce, expires_at=expires_at, tag=tag, maintainer=maintainer)


def session_digest(nonce: str) -> str:
    """What the database keeps of a revoked session: a hash, so the table never holds a session id."""
    return hashlib.sha256(b"review-session\x00" + nonce.encode("utf-8")).hexdigest()


def csrf_token(key: str, session_value: str) -> str:
    """The form token tied to one session: a page from another site cannot know it."""
    return _b64encode(_mac(key, "csrf", session_value.encode("utf-8")))


def csrf_matches(key: str, session_value: str, presented: str) -> bool:
    return hmac.compare_digest(csrf_token(key, session_value).encode("ascii"), presented.encode("utf-8"))


def token_matches(expected: str, presented: str) -> bool:
    """Constant-time comparison of a presented admin or feed token with the configured one."""
    return hmac.compare_digest(expected.encode("utf-8"), presented.encode("utf-8"))
