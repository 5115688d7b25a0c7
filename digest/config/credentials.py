"""The web's secrets, from the environment only and held as `SecretStr`, so no repr, log line or error shows them.

A secret not set is generated once into the data folder when the service starts (config/secretstore.py).
"""

from __future__ import annotations

from pydantic import SecretStr, field_validator

from digest.config.admin_tokens import AdminTokensError, parse_admin_tokens
from digest.config.declarations import from_environment
from digest.config.problems import problem
from digest.config.sections import Section


class Secrets(Section):
    secret_key: SecretStr | None = from_environment("DIGEST_SECRET_KEY", "signs sessions and approval links")
    admin_token: SecretStr | None = from_environment("DIGEST_ADMIN_TOKEN", "signs a maintainer in on /review")
    feed_token: SecretStr | None = from_environment("DIGEST_FEED_TOKEN", "opens the private candidates feed")
    admin_tokens: SecretStr | None = from_environment(
        "DIGEST_ADMIN_TOKENS", "named maintainers' tokens: name:token pairs separated by commas"
    )

    @field_validator("secret_key", "admin_token", "feed_token", mode="before")
    @classmethod
    def _without_surrounding_space(cls, value: object) -> object:
        """A value read from a file or a container's secret often ends in a newline, which nobody can type back:
        the space around it is not part of the secret."""
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        return value.strip() or None if isinstance(value, str) else value

    @field_validator("admin_tokens")
    @classmethod
    def _named_tokens(cls, value: SecretStr | None) -> SecretStr | None:
        try:
            parse_admin_tokens(value.get_secret_value() if value else None)
        except AdminTokensError as exc:  # names the pair by its place, never its token
            raise problem("\n".join(exc.problems)) from None
        return value


class StartedSecrets(Secrets):
    """The secrets once the service has started: each of the three is set (from the environment or generated)."""

    secret_key: SecretStr
    admin_token: SecretStr
    feed_token: SecretStr
