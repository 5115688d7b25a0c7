"""The web's secrets, from the environment only and held as `SecretStr`, so no repr, log line or error shows them.

A secret not set is generated once into the data folder when the service starts (config/secretstore.py).
"""

from __future__ import annotations

import hmac

from pydantic import SecretStr, field_validator, model_validator

from digest.config.admin_tokens import SPACE_INSIDE, AdminTokensError, has_space_inside, parse_admin_tokens
from digest.config.declarations import from_environment
from digest.config.problems import problem
from digest.config.sections import Section
from digest.config.values import trimmed_secret, utf8_secret


def one_word_token(value: object) -> object:
    """A token (trimmed before) refused when white space of any kind is inside it."""
    if isinstance(value, str) and has_space_inside(value):
        raise problem(SPACE_INSIDE)
    return value


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
        return trimmed_secret(value)

    @field_validator("admin_token", "feed_token", mode="after")
    @classmethod
    def _one_word(cls, value: SecretStr | None) -> SecretStr | None:
        one_word_token(value.get_secret_value() if value is not None else None)
        return value

    @field_validator("admin_tokens")
    @classmethod
    def _named_tokens(cls, value: SecretStr | None) -> SecretStr | None:
        utf8_secret(value.get_secret_value() if value else "")
        try:
            parse_admin_tokens(value.get_secret_value() if value else None)
        except AdminTokensError as exc:  # names the pair by its place, never its token
            raise problem("\n".join(exc.problems)) from None
        return value

    @model_validator(mode="after")
    def _each_its_own(self) -> Secrets:
        """The feed token travels in an address that feed readers keep and /review shows, and the key signs what the
        tokens only open: one value given to two of them hands the stronger power to whoever holds the weaker."""
        key, feed = _value(self.secret_key), _value(self.feed_token)
        admins = [("DIGEST_ADMIN_TOKEN", _value(self.admin_token))]
        named = parse_admin_tokens(_value(self.admin_tokens) or None)
        admins += [(f"{token.name}'s token in DIGEST_ADMIN_TOKENS", token.token) for token in named]
        own = "give each its own random value"
        problems = [
            f"DIGEST_FEED_TOKEN is also {where}: the feed's address, which feed readers keep, would sign in on "
            f"/review; {own}"
            for where, token in admins
            if _same(feed, token)
        ]
        if _same(key, feed):
            problems.append(
                f"DIGEST_SECRET_KEY is also DIGEST_FEED_TOKEN: whoever holds the feed's address could sign approval "
                f"links and sessions; {own}"
            )
        # Which to change: a new token ends only the sessions it opened, a new key voids every approval link sent too.
        problems += [
            f"DIGEST_SECRET_KEY is also {where}: whoever holds that token could sign approval links and sessions; give "
            f"{where} a new random value (that ends only its sessions; a new DIGEST_SECRET_KEY would also void every "
            "approval link already sent)"
            for where, token in admins
            if _same(key, token)
        ]
        # A named token wins over the shared one when both match: every holder of the shared token would sign in,
        # and decide, as that maintainer.
        problems += [
            f"DIGEST_ADMIN_TOKEN is also {token.name}'s token in DIGEST_ADMIN_TOKENS: whoever holds the shared "
            f"token would sign in as {token.name}; {own}"
            for token in named
            if _same(_value(self.admin_token), token.token)
        ]
        if problems:
            raise problem("\n".join(problems))
        return self


def _value(secret: SecretStr | None) -> str:
    return secret.get_secret_value() if secret is not None else ""


def _same(one: str, other: str) -> bool:
    """Both set and equal (compared in constant time, as every token is)."""
    return bool(one) and bool(other) and hmac.compare_digest(one.encode("utf-8"), other.encode("utf-8"))


class StartedSecrets(Secrets):
    """The secrets once the service has started: each of the three is set (from the environment or generated)."""

    secret_key: SecretStr
    admin_token: SecretStr
    feed_token: SecretStr
