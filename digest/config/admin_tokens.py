"""Named admin tokens for the web (DIGEST_ADMIN_TOKENS = "alice:TOKEN,bob:TOKEN"): parsing, and who a presented
token signs in. Pure; a token is never part of an error message, and every comparison takes constant time.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from digest.text import has_invisible
from digest.vocab import SHARED_MAINTAINER

VARIABLE = "DIGEST_ADMIN_TOKENS"
MIN_TOKEN_LENGTH = 16
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,40}", re.ASCII)
# A token is typed into the sign-in form and carried in the private feed's address: a space inside one (two words
# pasted, a no-break space from a document) is cut or encoded away by feed readers and mail clients on the way. The
# one rule for every token, named or not (config.credentials).
SPACE_INSIDE = (
    "holds a space inside it (two words pasted, or a no-break space?): a token is one run of random characters"
)


def has_space_inside(token: str) -> bool:
    """Whether white space of any kind is inside `token` (trimmed before)."""
    return any(char.isspace() for char in token)


class AdminTokensError(ValueError):
    """DIGEST_ADMIN_TOKENS cannot be read: one line a problem, naming the pair by its position, never its content (a
    token written without its name would be shown as the name)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class NamedToken:
    name: str
    token: str = field(repr=False)


def parse_admin_tokens(raw: str | None) -> tuple[NamedToken, ...]:
    """The maintainers' named tokens; none when the value is unset or blank. AdminTokensError lists every malformed
    pair at once."""
    pairs = [pair.strip() for pair in (raw or "").split(",")]
    pairs = [pair for pair in pairs if pair]  # a trailing comma or blank line is harmless
    found: list[NamedToken] = []
    problems: list[str] = []
    for position, pair in enumerate(pairs, start=1):
        where = f"{VARIABLE}: pair {position} of {len(pairs)}"
        name, colon, token = pair.partition(":")
        name, token = name.strip(), token.strip()
        if not colon:
            problems.append(f"{where} has no ':': write name:token pairs separated by commas")
        elif not _NAME.fullmatch(name):
            problems.append(f"{where}: a name is 1 to 40 letters, digits, '_', '.' or '-'")
        elif has_invisible(token):
            problems.append(f"{where}: its token holds a control character (a line break or tab pasted inside it?)")
        elif has_space_inside(token):
            problems.append(f"{where}: its token {SPACE_INSIDE}")
        elif len(token) < MIN_TOKEN_LENGTH:
            problems.append(f"{where}: its token is too short: use {MIN_TOKEN_LENGTH} or more random characters")
        elif any(known.name == name for known in found):
            problems.append(f"{where}: its name is given to an earlier pair too")
        elif any(hmac.compare_digest(known.token.encode(), token.encode()) for known in found):
            problems.append(f"{where}: its token is also an earlier pair's; give each maintainer their own")
        else:
            found.append(NamedToken(name, token))
    if problems:
        raise AdminTokensError(problems)
    return tuple(found)


def maintainer_for(named: Sequence[NamedToken], shared: str | None, presented: str) -> str | None:
    """Who the presented token signs in: a named maintainer, SHARED_MAINTAINER for the single admin token, or None.

    Every configured token is compared, in constant time, whichever matches: the time taken says nothing of which.
    """
    given = presented.encode("utf-8")
    match: str | None = None
    for candidate in named:
        if hmac.compare_digest(candidate.token.encode("utf-8"), given) and match is None:
            match = candidate.name
    if shared and hmac.compare_digest(shared.encode("utf-8"), given) and match is None:
        match = SHARED_MAINTAINER
    return match
