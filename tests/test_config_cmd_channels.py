"""`digest config check` on the ways out: the web site's address and TLS, the email's server and recipients, and
publishing to a git repository (its token, its ssh key), through the real command line."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from digest.cli import main
from digest.config import load_settings
from tests.config_cmd import ROOT, run, write
from tests.config_cmd import clean_environment as clean_environment  # the fixture, shared


def test_discord_and_email_switched_on(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write(
        clean_environment / "config.toml",
        "[discord]\nchannel_id = 42\nmaintainer_role_ids = [7]\n\n"
        '[smtp]\nhost = "smtp.example.org"\nusername = "digest"\nrecipients = ["readers@example.org"]\n'
        'maintainer_recipients = ["ada@example.org", "bo@example.org"]\n',
    )
    monkeypatch.setenv("DISCORD_TOKEN", "a-discord-token")
    monkeypatch.setenv("SMTP_PASSWORD", "an-smtp-password")
    status, out = run(capsys, "--config", str(config), "config", "check", "--json")
    assert status == 0, out
    features = {feature["name"]: feature for feature in json.loads(out)["features"]}
    assert features["discord"]["on"] and "channel 42" in features["discord"]["detail"]
    assert features["email"]["on"] and features["email"]["detail"] == (
        "via smtp.example.org:587 (starttls); readers' edition to 1 recipient, maintainers' edition to 2"
    )
    assert "a-discord-token" not in out and "an-smtp-password" not in out
    assert not [line for line in json.loads(out)["warnings"] if "maintainer_recipients" in line]


def test_email_without_maintainer_recipients_warns_that_their_edition_is_only_written(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(
        clean_environment / "config.toml",
        '[smtp]\nhost = "smtp.example.org"\nrecipients = ["readers@example.org", "ada@example.org"]\n',
    )
    status, out = run(capsys, "--config", str(config), "config", "check")
    assert status == 0, out
    assert "readers' edition to 2 recipients, maintainers' edition to 0" in out
    assert "smtp.maintainer_recipients is empty: the maintainers' edition" in out
    both = config.read_text(encoding="utf-8") + 'maintainer_recipients = ["ada@example.org"]\n'
    status, out = run(capsys, "--config", str(write(config, both)), "config", "check")
    assert status == 0, out
    assert "smtp.recipients and smtp.maintainer_recipients share addresses" in out
    assert "smtp.maintainer_recipients is empty" not in out
    bad = '[smtp]\nhost = "smtp.example.org"\nmaintainer_recipients = ["ada@example.org", "the maintainers"]\n'
    status, out = run(capsys, "--config", str(write(config, bad)), "config", "check")
    assert status == 1 and "smtp.maintainer_recipients" in out and "is not an email address" in out, out


@pytest.mark.parametrize(
    ("base_url", "warned"),
    [
        ("http://digest.example.org", True),
        ("http://192.168.1.20:8080", True),
        ("https://digest.example.org", False),
        ("http://127.0.0.1:8080", False),
        ("http://localhost:8080", False),
    ],
)
def test_a_site_offered_to_other_machines_without_tls_is_warned_of(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], base_url: str, warned: bool
) -> None:
    """`[web] host = "0.0.0.0"` and an http:// base_url, as the note about serving others reads: the admin token is
    posted, the session cookie sent (without Secure) and every approval link followed in clear text over the network,
    and `config check` said "configuration OK" where it warns of an SMTP password sent unencrypted. It warns here too.
    """
    config = write(clean_environment / "config.toml", f'[web]\nhost = "0.0.0.0"\nbase_url = "{base_url}"\n')
    status, out = run(capsys, "--config", str(config), "config", "check")
    assert status == 0
    warning = [line for line in out.splitlines() if line.startswith("warning: web.base_url") and "unencrypted" in line]
    assert len(warning) == (1 if warned else 0), out


def test_an_smtp_password_of_spaces_is_not_set(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SMTP_PASSWORD="  " (a variable left blank in a compose file) passed `config check` with smtp.username set, and
    the weekly send then failed to log in, its error showing each space of the server's answer as "[password]". As
    DISCORD_TOKEN: a password of spaces only is not set, and the missing password is said up front. A password that
    only begins or ends with a space is still the password."""
    config = write(
        clean_environment / "config.toml",
        '[smtp]\nhost = "smtp.example.org"\nusername = "digest"\nrecipients = ["readers@example.org"]\n',
    )
    data = clean_environment / "data"
    monkeypatch.setenv("SMTP_PASSWORD", " \t\n")
    status, out = run(capsys, "--config", str(config), "--data-dir", str(data), "config", "check")
    assert status == 1, out
    problems = [line for line in out.splitlines() if "SMTP_PASSWORD" in line]
    assert problems == [
        "problem: smtp.username is set but SMTP_PASSWORD is not set (absent or blank): set SMTP_PASSWORD in the "
        "environment, or remove [smtp] username if the mail server takes mail without a login"
    ], out
    monkeypatch.setenv("SMTP_PASSWORD", " a password ")
    status, out = run(capsys, "--config", str(config), "--data-dir", str(data), "config", "check")
    assert status == 0, out
    from digest.config import load_settings

    settings = load_settings(config, data_dir=data)
    assert settings.smtp.password is not None and settings.smtp.password.get_secret_value() == " a password "


def test_a_site_on_every_address_without_base_url_is_told_where_its_links_lead(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`[web] host = "0.0.0.0"` without base_url: `config check` said the links in feeds and emails used
    http://0.0.0.0:8080, while the service writes http://127.0.0.1:8080 (a wildcard opens nothing): it says what the
    service uses, and that other machines cannot open it."""
    config = write(clean_environment / "config.toml", '[web]\nhost = "0.0.0.0"\n')
    status, out = run(capsys, "--config", str(config), "config", "check")
    assert status == 0, out
    assert "web: listening on 0.0.0.0:8080; links in feeds and emails use http://127.0.0.1:8080\n" in out, out
    warnings = [line for line in out.splitlines() if line.startswith("warning: web.")]
    assert warnings == [
        "warning: web.base_url is http://127.0.0.1:8080, which other machines cannot open: set [web] base_url to the "
        "address people use"
    ], out


def test_addresses_and_hosts_are_read_without_the_space_around_them(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A base_url pasted with its line break (`"https://digest.example.org\\n"`) passed config check and put the
    break into every link of the feeds and emails; `[web] host = " 0.0.0.0"` passed and failed the start, named
    ' 0.0.0.0' (its derived base_url 'http:// 0.0.0.0:8080'), and a spaced smtp.host failed each weekly send."""
    config = write(
        clean_environment / "digest.toml",
        '[web]\nhost = " 0.0.0.0"\nbase_url = "https://digest.example.org/\\n"\n'
        '[smtp]\nhost = " smtp.example.org "\nrecipients = ["readers@example.org"]\n'
        '[discord]\napi_base = " https://discord.com/api/v10\\n"\n',
    )
    status, out = run(capsys, "--config", str(config), "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 0, out
    assert "web: listening on 0.0.0.0:8080; links in feeds and emails use https://digest.example.org\n" in out
    assert "email: on, via smtp.example.org:587 (starttls)" in out
    settings = load_settings(config, clean_environment / "data", environ={}, load_dotenv_file=False)
    assert settings.web.base_url == "https://digest.example.org" and settings.web.host == "0.0.0.0"
    assert settings.smtp.host == "smtp.example.org" and settings.discord.api_base == "https://discord.com/api/v10"
    write(config, '[web]\nhost = " 0.0.0.0 "\n')  # no base_url: the one derived from the host
    settings = load_settings(config, clean_environment / "data", environ={}, load_dotenv_file=False)
    assert settings.web.base_url == "http://127.0.0.1:8080"


@pytest.mark.parametrize(
    ("table", "key", "value", "said"),
    [
        ("web", "base_url", "http://[2001:db8::1/", "its host cannot be read"),
        ("arxiv", "api_url", "http://[::1/api/query", "its host cannot be read"),
        ("arxiv", "sources", '["http://[::1/rss/cs.CV"]', "its host cannot be read"),
        ("publish", "repository", "https://[2001:db8::7/list.git", "its host cannot be read"),
    ],
)
def test_an_address_whose_host_cannot_be_read_is_one_line_naming_its_key(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], table: str, key: str, value: str, said: str
) -> None:
    """An IPv6 address missing a bracket ended `digest config check` in a traceback for
    web.base_url, and was 'arxiv: Value error, Invalid IPv6 URL ({...})', the whole table printed back, for
    arxiv.sources, arxiv.api_url and publish.repository. Each is one line naming its key now."""
    written = value if value.startswith("[") else f'"{value}"'
    config = write(clean_environment / "config.toml", f"[{table}]\n{key} = {written}\n")
    status = main(["--config", str(config), "config", "check"])
    captured = capsys.readouterr()
    shown = captured.out + captured.err
    assert status in (1, 2) and "Traceback" not in shown and "Value error" not in shown, shown
    line = captured.out.splitlines()[-2]  # a list's item is named by its place and value
    assert line.startswith(f"problem: {table}.{key} ") and f"is not an address: {said}" in line, shown


def test_config_check_says_whether_publishing_is_on(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """README (Publishing): with `[publish] repository` set the service commits approvals there. `config check`, which
    says what is on and off, named Discord and email but not publishing: set up from the README's own snippet, nothing
    confirmed it, and with it unset nothing said how to switch it on."""
    monkeypatch.delenv("DIGEST_GIT_TOKEN", raising=False)
    monkeypatch.delenv("DIGEST_GIT_SSH_KEY", raising=False)
    status, out = run(capsys, "--config", str(ROOT / "config.example.toml"), "config", "check")
    assert status == 0, out
    assert "publish: off" in out and "set [publish] repository" in out
    config = write(
        clean_environment / "publish.toml",
        '[publish]\nrepository = "https://github.com/you/awesome-list.git"\nbranch = "main"\npath = "README.md"\n'
        'author = "awesome-digest <bot@example.org>"\nbatch_seconds = 60\n',
    )
    status, out = run(capsys, "--config", str(config), "config", "check")
    assert status == 0, out
    line = next(line for line in out.splitlines() if line.startswith("publish: "))
    assert line.startswith("publish: on") and "https://github.com/you/awesome-list.git" in line and "main" in line
    assert "DIGEST_GIT_TOKEN" in out  # no credential set: said how to give one
    monkeypatch.setenv("DIGEST_GIT_TOKEN", "github_pat_" + "x" * 30)
    status, out = run(capsys, "--config", str(config), "config", "check")
    assert status == 0 and "x" * 30 not in out
    assert "token from DIGEST_GIT_TOKEN" in out


def test_config_check_does_not_name_a_token_the_ssh_address_never_sends(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DIGEST_GIT_TOKEN set with an ssh publish.repository (git@github.com:...): config check said 'publish: on, ...;
    token from DIGEST_GIT_TOKEN', a token git never sends over ssh. It now says the token goes with https alone."""
    monkeypatch.delenv("DIGEST_GIT_SSH_KEY", raising=False)
    monkeypatch.setenv("DIGEST_GIT_TOKEN", "github_pat_" + "y" * 30)
    config = write(clean_environment / "publish.toml", '[publish]\nrepository = "git@github.com:you/list.git"\n')
    status, out = run(capsys, "--config", str(config), "config", "check")
    assert status == 0 and "y" * 30 not in out, out
    line = next(line for line in out.splitlines() if line.startswith("publish: "))
    assert "token from DIGEST_GIT_TOKEN" not in line, out
    assert "DIGEST_GIT_TOKEN goes with an https:// address alone" in out, out


def test_config_check_does_not_name_a_key_the_https_address_never_uses(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DIGEST_GIT_SSH_KEY set with an https publish.repository: config check said '...; ssh key K from
    DIGEST_GIT_SSH_KEY', a key git never uses over https. It now says the key goes with an ssh address alone."""
    monkeypatch.delenv("DIGEST_GIT_TOKEN", raising=False)
    key = write(clean_environment / "deploy_key", "a key\n")
    key.chmod(0o600)
    monkeypatch.setenv("DIGEST_GIT_SSH_KEY", str(key))
    config = write(clean_environment / "publish.toml", '[publish]\nrepository = "https://github.com/you/list.git"\n')
    status, out = run(capsys, "--config", str(config), "config", "check")
    assert status == 0, out
    line = next(line for line in out.splitlines() if line.startswith("publish: "))
    assert "from DIGEST_GIT_SSH_KEY" not in line and "DIGEST_GIT_SSH_KEY goes with an ssh address alone" in out, out


def test_config_check_warns_of_an_ssh_key_behind_a_passphrase(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DIGEST_GIT_SSH_KEY naming a key protected by a passphrase (a maintainer's own key): the service's ssh runs in
    batch mode with no one to type it, so every publish of the service failed with 'the repository refused the login:
    check that DIGEST_GIT_SSH_KEY is a key it accepts, with write access', of a key the repository accepts, and config
    check said 'publish: on'. It now warns (an ssh agent holding the key serves `digest publish` in a shell)."""
    config = write(clean_environment / "publish.toml", '[publish]\nrepository = "git@github.com:you/list.git"\n')
    keys = {}
    for name, passphrase in (("locked", "correct horse"), ("open", "")):
        key = clean_environment / name
        done = subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-f", str(key)], capture_output=True, check=False
        )
        assert done.returncode == 0, done.stderr
        keys[name] = key
    monkeypatch.setenv("DIGEST_GIT_SSH_KEY", str(keys["locked"]))
    status, out = run(capsys, "--config", str(config), "config", "check")
    assert status == 0, out
    warned = [line for line in out.splitlines() if "passphrase" in line]
    assert len(warned) == 1 and str(keys["locked"]) in warned[0] and "ssh-keygen -p" in warned[0], out
    monkeypatch.setenv("DIGEST_GIT_SSH_KEY", str(keys["open"]))
    status, out = run(capsys, "--config", str(config), "config", "check")
    assert status == 0 and "passphrase" not in out, out


def test_an_smtp_username_without_its_password_is_warned_of_while_email_is_off(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """[smtp] username set, SMTP_PASSWORD not, and email off (no host): `config check` said nothing, and the missing
    password came to light only the day email was switched on. It is a warning now, not a problem (nothing sends)."""
    config = write(clean_environment / "config.toml", '[smtp]\nusername = "digest"\n')
    status, out = run(capsys, "--config", str(config), "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 0, out
    assert [line for line in out.splitlines() if line.startswith("warning: smtp.username")] == [
        "warning: smtp.username is set but SMTP_PASSWORD is not set (absent or blank): set SMTP_PASSWORD in the "
        "environment, or remove [smtp] username if the mail server takes mail without a login (email is off: this is "
        "needed once smtp.host and recipients are set)"
    ], out
