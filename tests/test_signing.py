"""Signed approval links and session cookies: genuine ones pass, forged, altered, expired and malformed ones say why."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from digest.review.signing import (
    ApprovalLink,
    LinkError,
    csrf_matches,
    csrf_token,
    read_session,
    sign_link,
    sign_session,
    token_matches,
    token_tag,
    verify_link,
)

KEY = "k" * 43
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LINK = ApprovalLink(candidate_id=7, action="approve", section="Sparse Autoencoder", expires_at=NOW + timedelta(days=14))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _edit_payload(token: str, old: str, new: str) -> str:
    payload, mac = token.split(".")
    edited = _unb64(payload).decode().replace(old, new)
    return f"{_b64(edited.encode())}.{mac}"


def _reason(token: str, now: datetime = NOW) -> str:
    with pytest.raises(LinkError) as caught:
        verify_link(KEY, token, now)
    return caught.value.reason


def test_a_genuine_link_round_trips() -> None:
    token = sign_link(KEY, LINK)
    assert verify_link(KEY, token, NOW) == ApprovalLink(7, "approve", "Sparse Autoencoder", LINK.expires_at)
    reject = sign_link(KEY, ApprovalLink(7, "reject", None, LINK.expires_at))
    assert verify_link(KEY, reject, NOW).section is None


def test_a_section_holding_the_separator_survives() -> None:
    link = ApprovalLink(3, "approve", "A | B: (Beyond) Logit Lens", LINK.expires_at)
    assert verify_link(KEY, sign_link(KEY, link), NOW).section == "A | B: (Beyond) Logit Lens"


def test_a_link_made_with_another_key_is_forged() -> None:
    assert _reason(sign_link("another key entirely, 32 chars+", LINK)) == "forged"


def test_changing_the_candidate_is_forged_and_changing_action_section_or_expiry_is_altered() -> None:
    token = sign_link(KEY, LINK)
    assert _reason(_edit_payload(token, "|approve|", "|reject|")) == "altered"
    assert _reason(_edit_payload(token, "Sparse Autoencoder", "Probing")) == "altered"
    expires = str(int(LINK.expires_at.timestamp()))
    assert _reason(_edit_payload(token, expires, str(int(expires) + 86400 * 365))) == "altered"
    assert _reason(_edit_payload(token, "l2|7|", "l2|8|")) == "forged"


def test_an_expired_link_is_refused_only_after_its_expiry() -> None:
    token = sign_link(KEY, LINK)
    assert verify_link(KEY, token, LINK.expires_at - timedelta(seconds=1)).candidate_id == 7
    assert _reason(token, LINK.expires_at) == "expired"
    assert _reason(token, NOW + timedelta(days=30)) == "expired"


@pytest.mark.parametrize(
    "token",
    ["", "nodot", "a.b.c", "!!!.???", "x" * 5000, _b64(b"l1|seven|approve|1|AAAA|") + "." + _b64(b"0" * 32)],
)
def test_garbage_is_malformed(token: str) -> None:
    assert _reason(token) == "malformed"


def test_a_truncated_link_is_refused() -> None:
    token = sign_link(KEY, LINK)
    for cut in range(1, 8):  # within the signature: cut off, never "altered" (its origin tag is genuine)
        assert _reason(token[:-cut]) == "malformed"
    assert _reason(token.split(".")[0]) == "malformed"


def test_sessions_and_csrf_tokens() -> None:
    tag = token_tag(KEY, "the-admin-token-0123456789")
    assert tag != token_tag(KEY, "the-admin-token-0123456789x") and "the-admin-token" not in tag
    value = sign_session(KEY, "nonce123", NOW + timedelta(hours=12), tag)
    claim = read_session(KEY, value, NOW)
    assert (claim.nonce, claim.tag, claim.maintainer) == ("nonce123", tag, None)
    named = read_session(KEY, sign_session(KEY, "nonce9", NOW + timedelta(hours=1), tag, "alice"), NOW)
    assert (named.nonce, named.tag, named.maintainer) == ("nonce9", tag, "alice")
    with pytest.raises(LinkError) as expired:
        read_session(KEY, value, NOW + timedelta(hours=13))
    assert expired.value.reason == "expired"
    with pytest.raises(LinkError) as forged:
        read_session("some other key of decent length", value, NOW)
    assert forged.value.reason == "forged"
    # An approval link is no session and a session is no approval link.
    with pytest.raises(LinkError):
        read_session(KEY, sign_link(KEY, LINK), NOW)
    assert _reason(value) in ("forged", "malformed")
    csrf = csrf_token(KEY, value)
    assert csrf_matches(KEY, value, csrf)
    assert not csrf_matches(KEY, value, "")
    assert not csrf_matches(KEY, sign_session(KEY, "other", NOW + timedelta(hours=1), tag), csrf)
    assert token_matches("secret-token", "secret-token")
    assert not token_matches("secret-token", "secret-tokeN")
    assert not token_matches("secret-token", "ünïcode")
