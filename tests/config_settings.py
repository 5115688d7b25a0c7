"""The set-up of the settings tests: a value for each secret the environment can hold (and their parts, to find one
shown), the variables a test clears, and the repository's root."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRETS = {
    "DIGEST_SECRET_KEY": "secret-key-value-0123456789abcdef",
    "DIGEST_ADMIN_TOKEN": "admin-token-value-0123456789abcdef",
    "DIGEST_FEED_TOKEN": "feed-token-value-0123456789abcdef",
    "DIGEST_ADMIN_TOKENS": "alice:alice-token-0123456789abcdef,bob.b:bob-token-0123456789abcdef",
    "DISCORD_TOKEN": "discord-token-value-0123456789",
    "SMTP_PASSWORD": "smtp-password-value-0123456789",
    "DIGEST_GIT_TOKEN": "git-token-value-0123456789abcdef",
}
SECRET_PARTS: tuple[str, ...] = ("secret-key-value", "admin-token-value", "feed-token-value", "alice-token")
SECRET_PARTS += ("bob-token", "discord-token-value", "smtp-password-value", "git-token-value")
VARIABLES = ("DIGEST_CONFIG", "DIGEST_DATA_DIR", "DIGEST_DATABASE_URL", "DIGEST_GIT_SSH_KEY", *SECRETS)


def shown_secrets(text: str) -> list[str]:
    return [part for part in SECRET_PARTS if part in text]
