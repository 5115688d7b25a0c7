"""The email policy the weekly message is written with: email.policy.default, but with the mailing-list headers
(RFC 2369, RFC 2919) written as mail programs and filters read them."""

from __future__ import annotations

from email.policy import EmailPolicy
from typing import Any


class _ListHeadersWhole(EmailPolicy):
    """The default policy, but List-Unsubscribe is never folded: a <URL> longer than a header line would otherwise be
    written as encoded words, where RFC 2047 allows none and RFC 2369 wants the URL as it is, so no mail client would
    offer the Unsubscribe. `digest.addresses.unsubscribe_problem` keeps the line within SMTP's 998 characters.
    List-Id goes as `digest.addresses.list_id` wrote it (ASCII, its phrase encoded or quoted), folded between its
    words: the email library would decode its encoded words and encode again only those outside ASCII, leaving a
    title's '<LMM>' bare before the identifier."""

    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        if name.lower() == "list-id" and isinstance(value, str) and value.isascii() and value.isprintable():
            return (name, value)
        stored: tuple[str, Any] = EmailPolicy.header_store_parse(self, name, value)
        return stored

    def fold(self, name: str, value: str) -> str:
        if name.lower() == "list-id" and _as_written(value):
            return _folded_between_words(name, value, self.linesep, self.max_line_length or 78)
        folded: str = EmailPolicy.fold(self._whole(name), name, value)
        return folded

    def fold_binary(self, name: str, value: str) -> bytes:
        if name.lower() == "list-id" and _as_written(value):
            return self.fold(name, value).encode("ascii")
        return EmailPolicy.fold_binary(self._whole(name), name, value)

    def _whole(self, name: str) -> EmailPolicy:
        return self.clone(max_line_length=0) if name.lower() == "list-unsubscribe" else self


def _as_written(value: str) -> bool:
    """A value stored as written (see header_store_parse), not a header object the library parsed."""
    return not hasattr(value, "name")


def _folded_between_words(name: str, value: str, linesep: str, width: int) -> str:
    """`name: value` on lines of at most `width` characters where its words allow, broken only between words."""
    lines = [f"{name}:"]
    for word in value.split():
        if len(lines[-1]) + 1 + len(word) > width and lines[-1] != f"{name}:":
            lines.append("")
        lines[-1] += f" {word}"
    return linesep.join(lines) + linesep


MAIL_POLICY = _ListHeadersWhole()  # email.policy.default's settings
# RFC 2045 (6.7) holds a quoted-printable line to 76 characters; the library encodes a body to the policy's header
# width, 78. 74 leaves room for the two characters "=46rom" adds to a line opening with "From " (mailer._FROM_LINE).
BODY_POLICY = MAIL_POLICY.clone(max_line_length=74)
