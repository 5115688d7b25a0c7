"""The typed settings (digest/config/): one line per problem, secrets that never show, and which source wins. The
sources file is in test_config_settings_feeds.py, the web's secrets in _web_secrets, arXiv's contact and Discord's
addresses in _addresses."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.config import ConfigError, load_settings
from tests.config_settings import SECRETS, shown_secrets
from tests.conftest import make_settings

SWITCHED_ON = (
    '[discord]\nchannel_id = 42\nmaintainer_user_ids = [7]\n\n[smtp]\nhost = "127.0.0.1"\nusername = "digest"\n'
    'recipients = ["list@example.org"]\n\n[publish]\nrepository = "https://example.org/owner/list.git"\n'
)


def test_no_repr_or_str_of_the_settings_shows_a_secret(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", SWITCHED_ON, dict(SECRETS))
    assert settings.discord.enabled and settings.smtp.enabled and settings.publish.enabled
    assert settings.secrets.admin_tokens is not None
    assert settings.secrets.admin_tokens.get_secret_value() == SECRETS["DIGEST_ADMIN_TOKENS"]
    for text in (repr(settings), str(settings), repr(settings.discord), str(settings.secrets), f"{settings.publish}"):
        assert shown_secrets(text) == [], text


def test_a_config_error_never_shows_a_secret(tmp_path: Path) -> None:
    environ = dict(SECRETS, DIGEST_ADMIN_TOKENS="alice:short,bob.b:bob-token-0123456789abcdef,carol")
    config = '[web]\nport = "8080"\n\n[discord]\nguild_id = "not an id"\n\n[smtp]\nrecipients = ["a@example.org", 7]\n'
    with pytest.raises(ConfigError) as caught:
        make_settings(tmp_path / "data", config, environ)
    assert caught.value.problems == [
        "discord.guild_id holds 'not an id', which is not a Discord id (a positive number below 2**64)",
        "web.port must be an integer, not '8080'",
        "smtp.recipients item 2 must be a string, not 7",
        "DIGEST_ADMIN_TOKENS: pair 1 of 3: its token is too short: use 16 or more random characters",
        "DIGEST_ADMIN_TOKENS: pair 3 of 3 has no ':': write name:token pairs separated by commas",
    ]
    for text in (str(caught.value), repr(caught.value), *caught.value.problems):
        assert shown_secrets(text) == [] and "short" not in text.replace("too short", ""), text
    assert caught.value.__cause__ is None and caught.value.__suppress_context__  # no chained pydantic error


def test_maintainer_names_and_token_lengths_are_checked_one_line_each(tmp_path: Path) -> None:
    token = "t" * 16
    environ = {"DIGEST_ADMIN_TOKENS": f"al ice:{token}, {'n' * 41}:{token},bob:{token},bob:{token}"}
    with pytest.raises(ConfigError) as caught:
        make_settings(tmp_path / "data", environ=environ)
    assert caught.value.problems == [
        "DIGEST_ADMIN_TOKENS: pair 1 of 4: a name is 1 to 40 letters, digits, '_', '.' or '-'",
        "DIGEST_ADMIN_TOKENS: pair 2 of 4: a name is 1 to 40 letters, digits, '_', '.' or '-'",
        "DIGEST_ADMIN_TOKENS: pair 4 of 4: its name is given to an earlier pair too",
    ]
    assert make_settings(tmp_path / "ok", environ={"DIGEST_ADMIN_TOKENS": f"a_1.b-c:{token}"}).secrets.admin_tokens


def test_a_secret_in_the_settings_file_is_refused_without_echoing_it(tmp_path: Path) -> None:
    config = '[discord]\ntoken = "a-token-in-the-file"\n\n[publish]\ntoken = "another-token-in-the-file"\n'
    with pytest.raises(ConfigError) as caught:
        make_settings(tmp_path / "data", config)
    assert caught.value.problems == [
        "discord.token is read from the environment only: set DISCORD_TOKEN, not the config file",
        "publish.token is read from the environment only: set DIGEST_GIT_TOKEN, not the config file",
    ]
    assert "in-the-file" not in str(caught.value)
    # The web's secrets belong to a table no file shows: written at the top of the file they were "unknown settings".
    config = 'secret_key = "a-key-in-the-file-0123456789"\n\n[secrets]\nadmin_token = "a-token-in-the-file-012345"\n'
    with pytest.raises(ConfigError) as caught:
        make_settings(tmp_path / "data", config)
    assert sorted(caught.value.problems) == [
        "secret_key is read from the environment only: set DIGEST_SECRET_KEY, not the config file",
        "secrets.admin_token is read from the environment only: set DIGEST_ADMIN_TOKEN, not the config file",
    ]
    assert "in-the-file" not in str(caught.value)


def test_an_address_holding_a_password_is_refused_without_echoing_it(tmp_path: Path) -> None:
    """web.base_url = "https://user:password@host" (a site behind a proxy's login) was taken as it was: every link in
    the public feeds, the weekly email and Discord carried the password to each reader; the API and feed addresses
    went with theirs into `digest config show`, the log and the database, as publish.repository's would not."""
    login = "digest:pw-in-the-url"
    config = (
        f'[web]\nbase_url = "https://{login}@digest.example.org"\n\n[arxiv]\n'
        f'sources = ["feeds/cs.CV.xml", "https://{login}@mirror.example.org/rss/cs.CV"]\n'
        f'api_url = "https://{login}@mirror.example.org/api/query"\n\n[discord]\n'
        f'api_base = "https://{login}@discord.example.org/api/v10"\n\n[publish]\n'
        f'api_url = "https://{login}@forge.example.org/api/v1"\n'
    )
    with pytest.raises(ConfigError) as caught:
        make_settings(tmp_path / "data", config)
    keys = ["arxiv.sources item 2", "arxiv.api_url", "discord.api_base", "web.base_url", "publish.api_url"]
    assert sorted(caught.value.problems) == sorted(
        f"{key} must not hold a user or password: the address is shown in logs and `digest config show`, "
        "and the web's in every feed and email; secrets come from the environment"
        for key in keys
    )
    assert "pw-in-the-url" not in str(caught.value)


def test_a_wrong_item_of_a_list_setting_is_named_by_its_place_and_value(tmp_path: Path) -> None:
    """A list of twenty feeds, one wrong: "arxiv.sources is not an address: its host cannot be read", and which of them
    it was, the maintainer had to find. Expected: its place and value named (a value that may hold a password not)."""
    config = (
        '[arxiv]\nsources = ["https://rss.arxiv.org/rss/cs.CV", "https://[::1/rss/cs.LG", '
        '"https://u:pw-in-the-url@mirror.example.org/rss"]\n\n[web]\ntrusted_proxies = ["10.0.0.0/8", "proxy"]\n'
    )
    with pytest.raises(ConfigError) as caught:
        make_settings(tmp_path / "data", config)
    assert caught.value.problems == [
        "arxiv.sources item 2 ('https://[::1/rss/cs.LG') is not an address: its host cannot be read (an IPv6 "
        "address goes whole in brackets: http://[::1]:80/)",
        "arxiv.sources item 3 must not hold a user or password: the address is shown in logs and `digest config "
        "show`, and the web's in every feed and email; secrets come from the environment",
        "web.trusted_proxies item 2: 'proxy' is not an IP address or network (e.g. \"10.0.0.0/8\")",
    ]
    assert "pw-in-the-url" not in str(caught.value)


def test_the_environment_wins_over_the_file_and_the_arguments_over_both(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'data_dir = "{tmp_path / "from-file"}"\ndatabase_url = "sqlite:///file.db"\n', encoding="utf-8")
    environ = {"DIGEST_DATA_DIR": str(tmp_path / "from-env"), "DIGEST_CONFIG": str(config)}
    settings = load_settings(None, None, environ=environ, load_dotenv_file=False)
    assert (settings.config_path, settings.data_dir, settings.database_url) == (
        config,
        tmp_path / "from-env",
        f"sqlite:///{tmp_path / 'file.db'}",  # a relative path in the file is read from the file's folder
    )
    given = load_settings(None, tmp_path / "given", environ=environ, load_dotenv_file=False)
    assert given.data_dir == tmp_path / "given"
