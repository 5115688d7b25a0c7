"""The web's secrets, from the environment only and held as `SecretStr`, so no repr, log line or error shows them.

A secret not set is generated once into the data folder when the service starts (config/secretstore.py).
"""

from __future__ import annotations

import re

from pydantic import SecretStr, field_validator

from digest.config.declarations import from_environment
from digest.config.problems import MIN_SECRET_LENGTH, problem
from digest.config.sections import Section

MAINTAINER_NAME = re.compile(r"[A-Za-z0-9_.-]{1,40}")


class Secrets(Section):
    secret_key: SecretStr | None = from_environment("DIGEST_SECRET_KEY", "signs sessions and approval links")
    admin_token: SecretStr | None = from_environment("DIGEST_ADMIN_TOKEN", "signs a maintainer in on /review")
    feed_token: SecretStr | None = from_environment("DIGEST_FEED_TOKEN", "opens the private candidates feed")
    admin_tokens: SecretStr | None = from_environment(
        "DIGEST_ADMIN_TOKENS", "named maintainers' tokens: name:token pairs separated by commas"
    )

    @field_validator("admin_tokens")
    @classmethod
    def _named_tokens(cls, value: SecretStr | None) -> SecretStr | None:
        problems = admin_tokens_problems(value.get_secret_value()) if value else []
        if problems:
            raise problem("\n".join(problems))
        return value


class StartedSecrets(Secrets):
    """The secrets once the service has started: each of the three is set (from the environment or generated)."""

    secret_key: SecretStr
    admin_token: SecretStr
    feed_token: SecretStr


def admin_tokens_problems(text: str) -> list[str]:
    """What is wrong with a DIGEST_ADMIN_TOKENS value, one line each; a line names a pair by its place and its
    maintainer, never by its token."""
    problems = []
    names: set[str] = set()
    for place, pair in enumerate(text.split(","), start=1):
        name, colon, token = pair.strip().partition(":")
        where = f"DIGEST_ADMIN_TOKENS pair {place}"
        if not colon:
            problems.append(f"{where} is not name:token")
            continue
        if not MAINTAINER_NAME.fullmatch(name):
            problems.append(f"{where}: the name must be 1 to 40 of A-Z a-z 0-9 _ . -")
        elif name in names:
            problems.append(f"{where}: {name} is named twice")
        names.add(name)
        if len(token.strip()) < MIN_SECRET_LENGTH:
            problems.append(f"{where}: the token is too short: use at least {MIN_SECRET_LENGTH} random characters")
    return problems
