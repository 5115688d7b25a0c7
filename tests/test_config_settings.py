"""The typed settings (digest/config/): one line per problem, secrets that never show, and feeds/sources.toml read
the same way by `digest config check` and by the service's start-up."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from digest import health, resources
from digest.cli import main
from digest.config import ConfigError, FeedsError, load_settings, read_feed_sources
from digest.service.process import Service
from tests.conftest import make_settings

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
SECRET_PARTS = ("secret-key-value", "admin-token-value", "feed-token-value", "alice-token", "bob-token")
SECRET_PARTS += ("discord-token-value", "smtp-password-value", "git-token-value")
SWITCHED_ON = (
    '[discord]\nchannel_id = 42\nmaintainer_user_ids = [7]\n\n[smtp]\nhost = "127.0.0.1"\nusername = "digest"\n'
    'recipients = ["list@example.org"]\n\n[publish]\nrepository = "https://example.org/owner/list.git"\n'
)
VARIABLES = ("DIGEST_CONFIG", "DIGEST_DATA_DIR", "DIGEST_DATABASE_URL", "DIGEST_GIT_SSH_KEY", *SECRETS)


def shown_secrets(text: str) -> list[str]:
    return [part for part in SECRET_PARTS if part in text]


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


# -- feeds/sources.toml ---------------------------------------------------------------------------------------------
def malformed_feeds(folder: Path) -> tuple[Path, str]:
    """A feeds folder whose sources.toml has an [[api]] query with a wordy max_results; the line both should say."""
    feeds = folder / "feeds"
    feeds.mkdir(parents=True)
    shutil.copy(resources.feeds_dir() / "rules.toml", feeds / "rules.toml")
    sources = feeds / "sources.toml"
    sources.write_text(
        'feeds = ["https://rss.arxiv.org/rss/cs.CV"]\n\n[[api]]\nsearch_query = "abs:probing"\nmax_results = "many"\n',
        encoding="utf-8",
    )
    return feeds, f"{sources}: api.max_results of item 1 (search_query 'abs:probing') must be an integer, not 'many'"


def feeds_config(folder: Path, feeds: Path) -> Path:
    config = folder / "config.toml"
    config.write_text(f'feeds_dir = "{feeds}"\n', encoding="utf-8")
    return config


def test_the_bundled_sources_fit_the_model() -> None:
    sources = read_feed_sources(resources.feeds_dir())
    assert sources.feeds and all(feed.startswith("https://rss.arxiv.org/") for feed in sources.feeds)


def test_config_check_reports_a_malformed_sources_file_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    feeds, line = malformed_feeds(tmp_path)
    config = feeds_config(tmp_path, feeds)
    assert main(["--config", str(config), "--data-dir", str(tmp_path / "data"), "config", "check"]) == 1
    problems = [text for text in capsys.readouterr().out.splitlines() if text.startswith("problem: ")]
    assert problems == [f"problem: {line}"]
    (feeds / "sources.toml").write_text('feeds = "https://rss.arxiv.org/rss/cs.CV"\n', encoding="utf-8")
    assert main(["--config", str(config), "--data-dir", str(tmp_path / "data"), "config", "check"]) == 1
    assert f"problem: {feeds / 'sources.toml'}: feeds must be a list, not " in capsys.readouterr().out


def test_a_wrong_api_query_is_named_by_its_place_and_its_search(tmp_path: Path) -> None:
    """Four [[api]] queries, three wrong: each line said only "api.max_results must be between 1 and 2000" or
    "api.search_query is required", and which query it was the maintainer had to find. Expected: its place, and its
    search when it has one."""
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "sources.toml").write_text(
        'feeds = ["https://rss.arxiv.org/rss/cs.CV"]\n\n[[api]]\nsearch_query = "abs:probing"\n\n'
        '[[api]]\nsearch_query = "abs:steering"\nmax_results = 0\n\n[[api]]\nsearch_query = ""\ncolour = 1\n\n'
        '[[api]]\nmax_results = "many"\n',
        encoding="utf-8",
    )
    with pytest.raises(FeedsError) as caught:
        read_feed_sources(feeds)
    where = f"{feeds / 'sources.toml'}: "
    assert caught.value.problems == [
        f"{where}api.max_results of item 2 (search_query 'abs:steering') must be between 1 and 2000, not 0",
        f"{where}api.search_query of item 3 must not be empty",
        f"{where}unknown setting api.colour of item 3",
        f"{where}api.search_query of item 4 is required",
        f"{where}api.max_results of item 4 must be an integer, not 'many'",
    ]


@pytest.mark.asyncio
async def test_the_service_stops_at_start_up_with_the_same_line(tmp_path: Path) -> None:
    feeds, line = malformed_feeds(tmp_path)
    settings = make_settings(tmp_path / "data", f'feeds_dir = "{feeds}"\n')
    service = Service(settings)
    with pytest.raises(FeedsError) as caught:
        await service.start(serve_web=False)
    await service.stop()
    assert caught.value.problems == [line]
    assert not (tmp_path / "data").exists()  # refused before the data folder was touched


@pytest.mark.asyncio
async def test_a_sources_file_broken_while_the_service_runs_fails_the_poll_in_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    feeds, line = malformed_feeds(tmp_path)
    broken = (feeds / "sources.toml").read_text(encoding="utf-8")
    shutil.copy(resources.feeds_dir() / "sources.toml", feeds / "sources.toml")
    service = Service(make_settings(tmp_path / "data", f'feeds_dir = "{feeds}"\n'))
    await service.start(schedule=False, serve_web=False)
    try:
        (feeds / "sources.toml").write_text(broken, encoding="utf-8")
        assert await service.poll("a test") == "failed"
    finally:
        await service.stop()
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [f"poll: not polling: {line}"]
    assert [c.message for c in health.components() if c.name == "poll"] == [f"not polling: {line}"]


@pytest.mark.asyncio
@pytest.mark.parametrize("max_results", [0, 2001, 50000])
async def test_an_api_query_asking_more_than_arxiv_gives_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], max_results: int
) -> None:
    """arXiv's API gives at most 2000 results a request (the backfill's --page-size stops there), but an [[api]]
    query with max_results = 50000 passed config check and the start, and each poll asked arXiv for what it refuses.
    Now both say so in one line naming the file and the key, as for the other problems of sources.toml."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    shutil.copy(resources.feeds_dir() / "rules.toml", feeds / "rules.toml")
    sources = feeds / "sources.toml"
    sources.write_text(f'[[api]]\nsearch_query = "abs:probing"\nmax_results = {max_results}\n', encoding="utf-8")
    line = f"{sources}: api.max_results of item 1 (search_query 'abs:probing') must be between 1 and 2000, "
    line += f"not {max_results}"
    config = feeds_config(tmp_path, feeds)
    assert main(["--config", str(config), "--data-dir", str(tmp_path / "data"), "config", "check"]) == 1
    assert [text for text in capsys.readouterr().out.splitlines() if text.startswith("problem: ")] == [
        f"problem: {line}"
    ]
    service = Service(make_settings(tmp_path / "data", f'feeds_dir = "{feeds}"\n'))
    with pytest.raises(FeedsError) as caught:
        await service.start(serve_web=False)
    await service.stop()
    assert caught.value.problems == [line]
    sources.write_text('[[api]]\nsearch_query = "abs:probing"\nmax_results = 2000\n', encoding="utf-8")
    assert read_feed_sources(feeds).api[0].max_results == 2000


def test_digest_run_stops_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    feeds, line = malformed_feeds(tmp_path)
    config = feeds_config(tmp_path, feeds)
    environment = {key: value for key, value in os.environ.items() if key not in VARIABLES}
    environment["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "digest", "--config", str(config), "--data-dir", str(tmp_path / "data"), "run"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr == f"digest: configuration: {line}\n"


def test_a_feed_address_holding_a_password_in_the_sources_file_is_refused_without_echoing_it(tmp_path: Path) -> None:
    """The [arxiv] sources setting refused a login in its addresses, but the same address in feeds/sources.toml went
    into the log, the poll's records and the database with its password; and a web address written without its
    scheme ("user:password@host") was echoed whole by its refusal."""
    from digest.config.feeds import FeedsError, read_feed_sources

    login = "digest:pw-in-the-url"
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "sources.toml").write_text(f'feeds = ["https://{login}@mirror.example.org/rss/cs.CV"]\n', encoding="utf-8")
    with pytest.raises(FeedsError) as caught:
        read_feed_sources(feeds)
    assert "must not hold a user or password" in str(caught.value) and "pw-in-the-url" not in str(caught.value)
    with pytest.raises(ConfigError) as refused:
        make_settings(tmp_path / "data", f'[web]\nbase_url = "{login}@digest.example.org"\n')
    assert "must start with http:// or https://" in str(refused.value) and "pw-in-the-url" not in str(refused.value)


@pytest.mark.parametrize(
    ("shared", "problem"),
    [
        (
            {"DIGEST_FEED_TOKEN": SECRETS["DIGEST_ADMIN_TOKEN"]},
            "DIGEST_FEED_TOKEN is also DIGEST_ADMIN_TOKEN: the feed's address, which feed readers keep, would sign in "
            "on /review; give each its own random value",
        ),
        (
            {"DIGEST_FEED_TOKEN": "bob-token-0123456789abcdef"},
            "DIGEST_FEED_TOKEN is also bob.b's token in DIGEST_ADMIN_TOKENS: the feed's address, which feed readers "
            "keep, would sign in on /review; give each its own random value",
        ),
        (
            {"DIGEST_SECRET_KEY": SECRETS["DIGEST_FEED_TOKEN"]},
            "DIGEST_SECRET_KEY is also DIGEST_FEED_TOKEN: whoever holds the feed's address could sign approval links "
            "and sessions; give each its own random value",
        ),
        (
            {"DIGEST_SECRET_KEY": "alice-token-0123456789abcdef"},
            "DIGEST_SECRET_KEY is also alice's token in DIGEST_ADMIN_TOKENS: whoever holds that token could sign "
            "approval links and sessions; give alice's token in DIGEST_ADMIN_TOKENS a new random value (that ends "
            "only its sessions; a new DIGEST_SECRET_KEY would also void every approval link already sent)",
        ),
        (
            {"DIGEST_ADMIN_TOKEN": SECRETS["DIGEST_SECRET_KEY"]},
            "DIGEST_SECRET_KEY is also DIGEST_ADMIN_TOKEN: whoever holds that token could sign approval links and "
            "sessions; give DIGEST_ADMIN_TOKEN a new random value (that ends only its sessions; a new "
            "DIGEST_SECRET_KEY would also void every approval link already sent)",
        ),
    ],
)
def test_one_value_for_two_web_secrets_is_refused_naming_the_variables_only(
    tmp_path: Path, shared: dict[str, str], problem: str
) -> None:
    """The feed token travels in the address given to feed readers (and shown on /review); when it was also the admin
    token, that address signed anyone in; when it was the signing key, it forged approval links. When the key was an
    admin token, the line did not say which to change: a new token only ends sessions, a new key voids every approval
    link already sent, so it names the token."""
    web = {name: value for name, value in SECRETS.items() if name.startswith("DIGEST_")}
    with pytest.raises(ConfigError) as caught:
        make_settings(tmp_path / "data", environ={**web, **shared})
    assert caught.value.problems == [problem]
    assert shown_secrets(str(caught.value)) == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root gives a file to another user")
def test_a_secret_generated_as_root_leaves_the_secrets_file_its_users(tmp_path: Path) -> None:
    """A command run as root (`sudo digest weekly`) that generated a secret the file lacked replaced the service
    user's secrets.json with root's, owner-only: the service, as its user, could no longer read it and would not start.
    The new file keeps the owner and group of the one it replaces."""
    from digest.config.secretstore import ensure_secrets

    data = tmp_path / "data"
    data.mkdir()
    stored = data / "secrets.json"
    stored.write_text(json.dumps({"secret_key": "k" * 43, "admin_token": "a" * 43}), encoding="utf-8")  # no feed's
    stored.chmod(0o600)
    os.chown(stored, 4321, 4322)  # the service's user and group: numbers, no account needed
    started = ensure_secrets(make_settings(data))
    assert (stored.stat().st_uid, stored.stat().st_gid, stored.stat().st_mode & 0o777) == (4321, 4322, 0o600)
    assert json.loads(stored.read_text(encoding="utf-8"))["feed_token"] == started.feed_token.get_secret_value()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root gives a file to another user")
def test_secrets_generated_as_root_leave_the_service_user_able_to_generate_the_next() -> None:
    """Root (`sudo digest weekly`) generating a secret in the service user's data folder made its lock file, and a
    new secrets.json, root's: the service, as its user, could then neither read the secrets nor, to generate the one
    root's command did not need, open the lock, and would not start. Both are the data folder owner's."""
    from digest.config.secretstore import ensure_secrets

    as_user = [shutil.which("setpriv") or "setpriv", "--reuid", "4321", "--regid", "4322", "--clear-groups"]
    probe = [*as_user, sys.executable, "-c", "import digest"]  # numbers, no account needed
    try:
        subprocess.run(probe, env={"PYTHONPATH": str(ROOT)}, cwd="/", capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip(f"setpriv cannot run {sys.executable} as another user")
    folder = Path(tempfile.mkdtemp(prefix="digest-secrets-"))
    try:
        folder.chmod(0o755)  # pytest's own folder is root's alone: the service's user enters this one
        data = folder / "data"
        data.mkdir(mode=0o700)
        os.chown(data, 4321, 4322)
        ensure_secrets(make_settings(data, environ={"DIGEST_FEED_TOKEN": "f" * 43}))  # root's, needing no feed token
        for path in (data / "secrets.json", data / ".secrets.json.lock"):
            assert (path.stat().st_uid, path.stat().st_gid) == (4321, 4322), path
        program = (
            "from pathlib import Path; from digest.config import load_settings; "
            "from digest.config.secretstore import ensure_secrets; "
            f"ensure_secrets(load_settings(None, Path({str(data)!r}), environ={{}}, load_dotenv_file=False))"
        )
        service = subprocess.run(
            [*as_user, sys.executable, "-c", program],
            env={"PYTHONPATH": str(ROOT)},
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert service.returncode == 0, service.stderr
        assert set(json.loads((data / "secrets.json").read_text(encoding="utf-8"))) == {
            "secret_key",
            "admin_token",
            "feed_token",
        }
    finally:
        shutil.rmtree(folder)


def test_a_secret_set_to_a_generated_ones_value_stops_the_start_in_one_line(tmp_path: Path) -> None:
    from digest.config.secretstore import SecretStoreError, ensure_secrets

    generated = ensure_secrets(make_settings(tmp_path / "data")).admin_token.get_secret_value()
    copied = make_settings(tmp_path / "data", environ={"DIGEST_FEED_TOKEN": generated})
    with pytest.raises(SecretStoreError) as caught:
        ensure_secrets(copied)
    assert str(caught.value) == (
        "DIGEST_FEED_TOKEN is also DIGEST_ADMIN_TOKEN: the feed's address, which feed readers keep, would sign in on "
        f"/review; give each its own random value (the other one is kept in {tmp_path / 'data' / 'secrets.json'})"
    )
    assert generated not in str(caught.value)


def refused_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, line: str) -> None:
    """The settings `text` are refused with exactly `line`, by loading and by `config check` (exit 1)."""
    with pytest.raises(ConfigError) as caught:
        make_settings(tmp_path / "data", text)
    assert caught.value.problems == [line]
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    assert main(["--config", str(config), "--data-dir", str(tmp_path / "data"), "config", "check"]) == 1
    assert f"problem: {line}" in capsys.readouterr().out.splitlines()


@pytest.mark.parametrize(
    ("contact", "line"),
    [
        ("", 'arxiv.contact is empty: write the address arXiv can write to, e.g. contact = "you@your-lab.org"'),
        ("   ", 'arxiv.contact is empty: write the address arXiv can write to, e.g. contact = "you@your-lab.org"'),
        (
            "me@example.org\\r\\nX-Injected: 1",
            "arxiv.contact holds a control character (a newline, a tab, ...): write one address on one line",
        ),
        (
            "me@example.org\\u0000",
            "arxiv.contact holds a control character (a newline, a tab, ...): write one address on one line",
        ),
    ],
)
def test_an_empty_contact_or_one_with_control_characters_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], contact: str, line: str
) -> None:
    """`[arxiv] contact = ""` sent a User-Agent ending "(mailto:)", and a contact holding a newline passed `config
    check` and went into the header of every request to arXiv. Both are now refused in one line saying what to write."""
    refused_in_one_line(tmp_path, capsys, f'[arxiv]\ncontact = "{contact}"\n', line)


@pytest.mark.parametrize(
    ("agent", "line"),
    [
        (
            "my-digest/1.0\\r\\nX-Injected: 1",
            "arxiv.user_agent holds a control character (a newline, a tab, ...): write it on one line",
        ),
        (
            "",
            "arxiv.user_agent is empty: arXiv asks each client to name itself; leave it out for the default",
        ),
    ],
)
def test_a_user_agent_with_a_newline_or_nothing_in_it_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], agent: str, line: str
) -> None:
    """`[arxiv] user_agent` goes whole into the header of every request to arXiv, as the contact does: a newline in it
    passed `config check` and would start a header of its own, and an empty one named no client."""
    refused_in_one_line(tmp_path, capsys, f'[arxiv]\nuser_agent = "{agent}"\n', line)


@pytest.mark.parametrize(
    ("key", "value", "line"),
    [
        (
            "api_base",
            "http://discord.example.org/api/v10",
            "discord.api_base is plain http:// to another machine: DISCORD_TOKEN would cross the network unencrypted; "
            "use its https:// address (http:// is kept for this machine only)",
        ),
        (
            "gateway_url",
            "ws://gateway.example.org/",
            "discord.gateway_url is plain ws:// to another machine: DISCORD_TOKEN would cross the network "
            "unencrypted; use its wss:// address (ws:// is kept for this machine only)",
        ),
        (
            "gateway_url",
            "https://gateway.discord.gg/",
            "discord.gateway_url must start with wss://, not 'https://gateway.discord.gg/'",
        ),
        ("gateway_url", "gateway.discord.gg", "discord.gateway_url must start with wss://, not 'gateway.discord.gg'"),
        (
            "api_base",
            "ftp://discord.com/api/v10",
            "discord.api_base must start with https://, not 'ftp://discord.com/api/v10'",
        ),
    ],
)
def test_a_discord_address_the_token_would_cross_the_network_to_in_the_clear_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str, value: str, line: str
) -> None:
    """[discord] api_base = "http://<another host>" (or gateway_url = "ws://...") was taken: the bot's token went
    readable in every request's header and the gateway's first frame, where publish.api_url refuses plain http; and
    gateway_url was not checked at all, so "https://..." or a bare host failed only inside discord.py at start."""
    text = f'[discord]\n{key} = "{value}"\n'
    refused_in_one_line(tmp_path, capsys, text, line)
    environment = {name: found for name, found in os.environ.items() if name not in VARIABLES}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "digest",
            "--config",
            str(tmp_path / "config.toml"),
            "--data-dir",
            str(tmp_path / "d"),
            "run",
        ],
        cwd=tmp_path,
        env=dict(environment, PYTHONPATH=str(ROOT), DISCORD_TOKEN=SECRETS["DISCORD_TOKEN"]),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stderr) == (2, f"digest: configuration: {line}\n")


def test_a_discord_on_this_machine_may_be_plain_http_and_ws(tmp_path: Path) -> None:
    """The tests' fake Discord (and one on the maintainer's own machine) is loopback: nothing crosses a network."""
    text = '[discord]\napi_base = "http://localhost:8099/api/v10/"\ngateway_url = "ws://[::1]:8099/gateway"\n'
    discord = make_settings(tmp_path / "data", text).discord
    assert (discord.api_base, discord.gateway_url) == ("http://localhost:8099/api/v10", "ws://[::1]:8099/gateway")
    remote = make_settings(tmp_path / "b", '[discord]\ngateway_url = "wss://gateway.example.org/"\n').discord
    assert remote.gateway_url == "wss://gateway.example.org/"
