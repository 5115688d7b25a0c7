"""Typed settings from a TOML file and the environment, declared once each; passed in, never read at import.

`load_settings` builds the immutable `Settings`; `check_configuration` (cli/config_check.py) reports every problem of a
configuration and of the feeds files; secrets are `SecretStr` and come from the environment only.
"""

from digest.config.credentials import Secrets, StartedSecrets
from digest.config.feeds import FeedsError, FeedSources, read_feed_sources
from digest.config.loading import load_settings
from digest.config.problems import MIN_SECRET_LENGTH, ConfigError
from digest.config.publish import PublishSettings, repository_slug
from digest.config.relevance import RelevanceSettings
from digest.config.section_emojis import DEFAULT_SECTION_EMOJIS
from digest.config.sections import (
    ArxivSettings,
    DiscordSettings,
    WebSettings,
    WeeklySettings,
)
from digest.config.settings import Settings, default_database_url
from digest.config.smtp import SmtpSettings
from digest.config.sources import environment_fields
from digest.config.web_address import address_url

__all__ = [
    "DEFAULT_SECTION_EMOJIS",
    "MIN_SECRET_LENGTH",
    "ArxivSettings",
    "ConfigError",
    "DiscordSettings",
    "FeedSources",
    "FeedsError",
    "PublishSettings",
    "RelevanceSettings",
    "Secrets",
    "Settings",
    "SmtpSettings",
    "StartedSecrets",
    "WebSettings",
    "WeeklySettings",
    "address_url",
    "default_database_url",
    "environment_fields",
    "load_settings",
    "read_feed_sources",
    "repository_slug",
]
