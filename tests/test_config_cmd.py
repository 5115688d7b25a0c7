"""`digest config check` and `digest config show` through the real command line, on files under tmp_path."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from digest import resources
from digest.cli import main
from digest.config import load_settings

ROOT = Path(__file__).resolve().parent.parent
VARIABLES = (
    "DIGEST_CONFIG",
    "DIGEST_DATA_DIR",
    "DIGEST_DATABASE_URL",
    "DIGEST_SECRET_KEY",
    "DIGEST_ADMIN_TOKEN",
    "DIGEST_FEED_TOKEN",
    "DISCORD_TOKEN",
    "SMTP_PASSWORD",
)


@pytest.fixture
def clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No digest variable from the real environment, and a working folder without a .env file."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = main(list(argv))
    return status, capsys.readouterr().out


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_example_config_is_valid_and_says_what_is_off(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = clean_environment / "data"
    status, out = run(capsys, "--config", str(ROOT / "config.example.toml"), "--data-dir", str(data), "config", "check")
    assert status == 0, out
    assert "configuration OK" in out
    assert "discord: off" in out and "set DISCORD_TOKEN in the environment" in out
    assert "email: off" in out and "set [smtp] host and recipients" in out
    assert "listening on 127.0.0.1:8080" in out
    assert not data.exists()  # checking creates nothing


def test_every_problem_is_reported_at_once(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write(
        clean_environment / "bad.toml",
        '[web]\nport = 70000\ntrusted_proxies = ["10.0.0.0/8", "the proxy"]\n\n[weekly]\ncron = "every monday"\n\n'
        '[smtp]\nhots = "smtp.example.org"\n',
    )
    monkeypatch.setenv("DIGEST_SECRET_KEY", "short")
    status, out = run(capsys, "--config", str(config), "config", "check")
    assert status == 1
    problems = [line for line in out.splitlines() if line.startswith("problem: ")]
    assert len(problems) == 5, out
    assert "web.port must be between 1 and 65535, not 70000" in out
    assert "web.trusted_proxies item 2: 'the proxy' is not an IP address or network" in out
    assert "weekly.cron is not a valid crontab expression ('every monday')" in out
    assert "unknown setting smtp.hots" in out
    assert "DIGEST_SECRET_KEY is too short" in out
    assert "5 problems" in out


def test_a_schedule_that_never_runs_is_a_problem(clean_environment: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A day no month has (the 31st of February, the 30th in poll_cron's month field) is a crontab APScheduler takes:
    `config check` said "configuration OK" and the service logged "poll next runs at None", then never polled again
    nor sent a weekly digest. Each is a problem now; a day some months lack (the 31st) still runs in the others."""
    config = write(
        clean_environment / "config.toml", '[arxiv]\npoll_cron = "30 0 30 2 *"\n[weekly]\ncron = "0 8 31 2 *"\n'
    )
    status, out = run(capsys, "--config", str(config), "config", "check")
    problems = [line for line in out.splitlines() if line.startswith("problem: ")]
    assert status == 1 and problems == [
        "problem: arxiv.poll_cron never runs within a year ('30 0 30 2 *'): check its day of the month, month and "
        "weekday",
        "problem: weekly.cron never runs within a year ('0 8 31 2 *'): check its day of the month, month and weekday",
    ], out
    write(clean_environment / "config.toml", '[weekly]\ncron = "0 8 31 * *"\n')
    status, out = run(capsys, "--config", str(config), "config", "check")
    assert status == 0 and "configuration OK" in out, out


def test_files_and_folders_named_by_the_settings_are_checked(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feeds = clean_environment / "feeds"
    write(feeds / "rules.toml", "[modality]\nterms = [\n")  # cut off mid-file
    write(clean_environment / "not-a-folder", "a file where the data folder's parent should be")
    config = write(
        clean_environment / "config.toml",
        f'feeds_dir = "{feeds}"\ntemplates_dir = "{clean_environment}"\n'
        '[weekly]\nlist_unsubscribe = "unsubscribe@example.org"\n',
    )
    data = clean_environment / "not-a-folder" / "data"
    status, out = run(capsys, "--config", str(config), "--data-dir", str(data), "config", "check", "--json")
    assert status == 1
    report = json.loads(out)
    assert report["valid"] is False
    text = "\n".join(report["problems"])
    assert f"feeds file {feeds / 'rules.toml'} is not valid TOML" in text
    assert f"data_dir {data} cannot be created" in text
    assert "weekly.list_unsubscribe 'unsubscribe@example.org' must be a mailto: address" in text


def test_a_rules_file_that_is_no_toml_is_one_problem_not_two(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """README: config check lists every problem 'one line each'. A rules.toml cut off mid-file was two problems, the
    same TOML error said twice ('feeds file ... cannot be read as TOML' and 'keyword rules: ... not valid TOML')."""
    feeds = clean_environment / "feeds"
    write(feeds / "sources.toml", (ROOT / "feeds" / "sources.toml").read_text(encoding="utf-8"))
    write(feeds / "rules.toml", "[modality]\nterms = [\n")
    config = write(clean_environment / "config.toml", f'feeds_dir = "{feeds}"\n')
    status, out = run(capsys, "--config", str(config), "config", "check", "--json")
    assert status == 1
    problems = json.loads(out)["problems"]
    assert [line for line in problems if "rules.toml" in line] == [
        f"feeds file {feeds / 'rules.toml'} is not valid TOML: Invalid value (at end of document)"
    ], problems


def test_a_configured_folder_that_does_not_exist(clean_environment: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write(clean_environment / "config.toml", 'templates_dir = "/nonexistent/templates"\n')
    status, out = run(capsys, "--config", str(config), "config", "check")
    assert status == 1
    assert "problem: templates_dir /nonexistent/templates does not exist" in out


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


def test_show_masks_secrets_and_prints_toml_that_loads_back(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write(
        clean_environment / "config.toml",
        'list_title = "A \\"quoted\\" list"\n[discord]\nchannel_id = 42\nmaintainer_user_ids = [7]\n'
        '[discord.section_emojis]\n"Sparse Autoencoder" = "🧩"\n',
    )
    secrets = {"DISCORD_TOKEN": "discord-secret-value", "DIGEST_SECRET_KEY": "signing-secret-value-0123456789"}
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    data = clean_environment / "data"
    status, out = run(capsys, "--config", str(config), "--data-dir", str(data), "config", "show")
    assert status == 0
    assert all(value not in out for value in secrets.values())
    assert "DISCORD_TOKEN: set (hidden)" in out and "SMTP_PASSWORD: not set" in out
    shown = write(clean_environment / "shown.toml", out)
    assert tomllib.loads(out)["discord"]["section_emojis"] == {"Sparse Autoencoder": "🧩"}
    environ = dict(secrets)
    original = load_settings(config, data, environ=environ, load_dotenv_file=False)
    again = load_settings(shown, data, environ=environ, load_dotenv_file=False)
    assert again.model_copy(update={"config_path": config}) == original


def test_show_hides_the_database_password(clean_environment: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write(
        clean_environment / "config.toml", 'database_url = "postgresql+psycopg://digest:hunter22@db/digest"\n'
    )
    status, out = run(capsys, "--config", str(config), "config", "show", "--json")
    assert status == 0
    assert "hunter22" not in out
    assert json.loads(out)["settings"]["database_url"] == "postgresql+psycopg://digest:***@db/digest"


@pytest.mark.parametrize("command", [("config", "show"), ("config", "check"), ("candidates",)])
def test_a_database_password_given_as_a_query_parameter_is_hidden_too(
    clean_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: tuple[str, ...],
) -> None:
    """libpq takes the password as `?password=` as well as before the '@': written so, `config show` and `config
    check` printed it whole, and so did every command that could not reach the server ("cannot open the database
    postgresql+psycopg://digest@127.0.0.1:1/digest?password=..."). It is hidden as the other one is."""
    url = "postgresql+psycopg://digest@127.0.0.1:1/digest?sslmode=disable&password=hunter22"
    monkeypatch.setenv("DIGEST_DATABASE_URL", url)
    main(["--data-dir", str(clean_environment / "data"), *command])
    captured = capsys.readouterr()
    shown = captured.out + captured.err
    assert "hunter22" not in shown
    assert "postgresql+psycopg://digest@127.0.0.1:1/digest?" in shown and "sslmode=disable" in shown


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


def test_dotenv_file_in_the_working_folder_is_read(tmp_path: Path) -> None:
    """A person's shell: `.env` beside them holds the Discord token (a subprocess, so .env cannot leak into tests)."""
    write(tmp_path / ".env", "DISCORD_TOKEN=from-the-dotenv-file\n")
    write(tmp_path / "config.toml", "[discord]\nchannel_id = 42\nmaintainer_user_ids = [7]\n")
    environment = {key: value for key, value in os.environ.items() if key not in VARIABLES}
    environment["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "digest", "--config", "config.toml", "config", "check", "--json"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    features = {feature["name"]: feature for feature in json.loads(result.stdout)["features"]}
    assert features["discord"]["on"]


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("postgresql+psycopg://digest:pa@ss-rest-of-it@127.0.0.1:9/digest", "holds '@'"),
        ("postgresql+psycopg://digest:ss-rest-of-it@127.0.0.1:port/digest", "port is not a number"),
    ],
)
@pytest.mark.parametrize("command", [("config", "check"), ("config", "show"), ("candidates",)])
def test_a_database_url_that_cannot_be_read_is_one_line_that_shows_no_password(
    clean_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    url: str,
    said: str,
    command: tuple[str, ...],
) -> None:
    """A password holding an unescaped '@' ends there for SQLAlchemy, which reads the rest as the host: every command
    printed the rest of the password ("cannot open the database ...:***@ss-rest-of-it@127.0.0.1: failed to resolve
    host"), and `config check` listed it as the database. A port that is not a number was a traceback."""
    monkeypatch.setenv("DIGEST_DATABASE_URL", url)
    status = main(["--data-dir", str(clean_environment / "data"), *command])
    captured = capsys.readouterr()
    shown = captured.out + captured.err
    assert status in (1, 2) and "Traceback" not in shown
    assert "ss-rest-of-it" not in shown and said in shown, shown
    assert len([line for line in shown.splitlines() if said in line and "DIGEST_DATABASE_URL" in line]) == 1


@pytest.mark.parametrize("command", [("config", "check"), ("candidates",)])
def test_a_database_url_with_an_empty_port_is_one_line_not_a_traceback(
    clean_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: tuple[str, ...],
) -> None:
    """A URL written from a template whose port variable was empty ("host:/digest"): SQLAlchemy cannot read it either
    ("invalid literal for int()"), and every command ended in a traceback."""
    monkeypatch.setenv("DIGEST_DATABASE_URL", "postgresql+psycopg://digest:pw-in-the-url@127.0.0.1:/digest")
    status = main(["--data-dir", str(clean_environment / "data"), *command])
    captured = capsys.readouterr()
    shown = captured.out + captured.err
    assert status in (1, 2) and "Traceback" not in shown and "pw-in-the-url" not in shown, shown
    assert len([line for line in shown.splitlines() if "port" in line and "DIGEST_DATABASE_URL" in line]) == 1, shown


def test_a_missing_file_is_reported_beside_the_other_problems(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A settings file with a wrong port and a seed list that is not there: `config check` said only the port; the
    missing file came out on the next run, after the port was mended ("every problem at once" was two rounds). Now
    both, and a relative path says which folder it was looked for in."""
    config = write(
        clean_environment / "config.toml",
        'seed_list = "lists/mine.md"\nfeeds_dir = "my-feeds"\n[web]\nport = "8080"\n',
    )
    status, out = run(capsys, "--config", str(config), "config", "check")
    assert status == 1
    assert "problem: web.port must be an integer, not '8080'" in out
    assert f"problem: seed_list lists/mine.md does not exist (looked for {clean_environment / 'lists/mine.md'}" in out
    assert f"problem: feeds_dir my-feeds does not exist (looked for {clean_environment / 'my-feeds'}" in out


@pytest.mark.parametrize("command", [("config", "check"), ("candidates",)])
def test_a_postgresql_url_without_its_driver_says_which_to_write(
    clean_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: tuple[str, ...],
) -> None:
    """`postgresql://` (as most hosts print it) means SQLAlchemy's psycopg2, which awesome-digest[postgres] does not
    install: every command ended in a ModuleNotFoundError traceback, and `config check` advised installing the extra,
    which changes nothing. Now one line says to write postgresql+psycopg://."""
    pytest.importorskip("psycopg")
    if importlib.util.find_spec("psycopg2") is not None:
        pytest.skip("psycopg2 is installed here: postgresql:// has its driver")
    monkeypatch.setenv("DIGEST_DATABASE_URL", "postgresql://digest:pw-in-the-url@127.0.0.1:9/digest")
    status = main(["--data-dir", str(clean_environment / "data"), *command])
    captured = capsys.readouterr()
    shown = captured.out + captured.err
    assert status == 1 and "Traceback" not in shown and "pw-in-the-url" not in shown, shown
    lines = [line for line in shown.splitlines() if "psycopg2" in line]
    assert len(lines) == 1 and "write postgresql+psycopg://" in lines[0], shown


@pytest.mark.parametrize("command", [("config", "check"), ("candidates",)])
def test_a_database_path_instead_of_a_url_is_a_problem_of_its_own(
    clean_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: tuple[str, ...],
) -> None:
    """DIGEST_DATABASE_URL=data/digest.sqlite3 (a path, not a URL): `config check` printed no report at all, only
    "the database could not be written or read: Could not parse SQLAlchemy URL", as if a database had failed."""
    monkeypatch.setenv("DIGEST_DATABASE_URL", "data/digest.sqlite3")
    status = main(["--data-dir", str(clean_environment / "data"), *command])
    captured = capsys.readouterr()
    shown = captured.out + captured.err
    assert status in (1, 2) and "could not be written or read" not in shown, shown
    assert "DIGEST_DATABASE_URL is not a database URL: write sqlite:////" in shown, shown
    assert not (clean_environment / "data").exists()


def test_a_feeds_folder_that_watches_nothing_is_said_by_config_check_and_the_poll(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A copy of feeds/ whose sources.toml was emptied (`feeds = []`, every line being edited): `config check` said
    "configuration OK" and every poll "ok: 0 sources (none)", so the service watched nothing, weekday after weekday,
    with /healthz green. Now both say that nothing is watched and where to add the feeds."""
    feeds = clean_environment / "feeds"
    write(feeds / "sources.toml", "feeds = []\n")
    write(feeds / "rules.toml", (ROOT / "feeds" / "rules.toml").read_text(encoding="utf-8"))
    config = write(clean_environment / "config.toml", f'feeds_dir = "{feeds}"\n')
    data = str(clean_environment / "data")
    status, out = run(capsys, "--config", str(config), "--data-dir", data, "config", "check")
    assert status == 0, out
    assert f"warning: {feeds / 'sources.toml'} lists no feeds and no [[api]] queries: polls watch nothing" in out
    status, out = run(capsys, "--config", str(config), "--data-dir", data, "poll")
    assert "nothing to poll: no feeds or API queries" in out, out


@pytest.mark.parametrize(
    ("name", "text", "said"),
    [
        (
            "sources.toml",
            'feeds = ["  ", "https://rss.arxiv.org/rss/cs.CL"]\n',
            "sources.toml: feeds item 1 ('  ') is empty",
        ),
        ("sources.toml", 'feeds = [""]\n', "sources.toml: feeds item 1 ('') is empty"),
        (
            "config.toml",
            '[arxiv]\nsources = ["https://rss.arxiv.org/rss/cs.CL", ""]\n',
            "arxiv.sources item 2 ('') is empty",
        ),
    ],
)
def test_a_blank_feed_address_is_a_problem_not_a_source_that_fails_every_poll(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, said: str
) -> None:
    """A blank line in the feeds' list (a feed cut out, its quotes left) passed config check, yet watched nothing: the
    empty address is the working folder, and every poll failed on it as ' : a folder, not a regular file'. It is one
    problem naming the item, which the warning for a list of no feeds does not cover (the list is not empty)."""
    feeds = clean_environment / "feeds"
    write(feeds / "sources.toml", text if name == "sources.toml" else 'feeds = ["https://rss.arxiv.org/rss/cs.LG"]\n')
    write(feeds / "rules.toml", (ROOT / "feeds" / "rules.toml").read_text(encoding="utf-8"))
    settings = text if name == "config.toml" else ""
    config = write(clean_environment / "config.toml", f'feeds_dir = "{feeds}"\n{settings}')
    status, out = run(capsys, "--config", str(config), "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 1, out
    problems = [line for line in out.splitlines() if line.startswith("problem:")]
    assert len(problems) == 1 and said in problems[0], out


def test_a_template_of_your_own_that_cannot_be_read_is_found_by_config_check(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A copy of the weekly digest's template with an `{% if %}` left open: `config check` said "configuration OK",
    and `digest weekly` (and the service's weekly job) ended in a jinja2 traceback. A copy saved under a name the
    service never reads (weekly/digest.md) changed nothing, silently. Now `config check` names the file and line of
    the first and warns of the second, and `digest weekly` says the first in one line."""
    templates = clean_environment / "templates"
    bundled = (ROOT / "templates" / "weekly" / "digest.md.j2").read_text(encoding="utf-8")
    broken = write(templates / "weekly" / "digest.md.j2", bundled + "{% if papers %}\n")
    write(templates / "weekly" / "digest.md", bundled)
    config = write(clean_environment / "config.toml", f'templates_dir = "{templates}"\n')
    data = str(clean_environment / "data")
    status, out = run(capsys, "--config", str(config), "--data-dir", data, "config", "check")
    assert status == 1, out
    line = bundled.count("\n") + 1
    assert f"problem: template {broken}:{line}: Unexpected end of template" in out, out
    assert "warning: templates_dir holds weekly/digest.md, which is not a template the service reads" in out, out
    status = main(["--config", str(config), "--data-dir", data, "weekly", "--dry-run"])
    err = capsys.readouterr().err
    assert status == 1 and "Traceback" not in err, err
    assert f"digest: template {broken}:{line}: Unexpected end of template" in err, err


def test_section_emojis_for_sections_the_list_lacks_are_warned_of(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A list of one's own (seed_list) with Discord on: the example's [discord.section_emojis] name the bundled list's
    sections, so every candidate's message offered eleven section emoji, each for a section the review refuses ("no
    section named ... in the list"); `config check` said "configuration OK". Now it says which names the list lacks;
    a name the list has in another spelling ("Dataset" for "Datasets") is no warning."""
    mine = write(
        clean_environment / "mine.md",
        "# My list\n\n## Datasets\n\n+ [Attention Is All You Need](https://arxiv.org/abs/1706.03762) (June. 12, 2017)\n"
        "\n## Methods\n\n+ [BERT](https://arxiv.org/abs/1810.04805) (Oct. 11, 2018)\n",
    )
    config = write(
        clean_environment / "config.toml",
        f'seed_list = "{mine}"\n[discord]\nchannel_id = 42\nmaintainer_role_ids = [7]\n'
        '[discord.section_emojis]\n"Dataset" = "📚"\n"Probing" = "🔍"\n"Steering" = "🕹️"\n',
    )
    monkeypatch.setenv("DISCORD_TOKEN", "a-discord-token")
    status, out = run(capsys, "--config", str(config), "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 0, out
    assert (
        "warning: discord.section_emojis names sections the list does not have: Probing, Steering"
        " (its sections: Datasets, Methods)"
    ) in out, out


def test_a_section_emoji_for_a_section_without_papers_yet_is_no_warning(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A list of one's own whose Tools section holds a line of text and no entry yet: `config check` warned that the
    Tools emoji "approve nothing" and asked to rename it, while a reaction approves into Tools (the review takes
    every section but prose). It now warns of the names the review cannot place, and lists the sections it can."""
    from digest.service.wiring import open_service_database
    from tests.factories import insert_candidate, real_papers

    mine = write(
        clean_environment / "mine.md",
        "# My list\n\n## Papers\n\n+ [Attention Is All You Need](https://arxiv.org/abs/1706.03762) (June. 12, 2017)\n"
        "\n## Tools\n\nNone yet: send us yours.\n",
    )
    config = write(
        clean_environment / "config.toml",
        f'seed_list = "{mine}"\n[discord]\nchannel_id = 42\nmaintainer_role_ids = [7]\n'
        '[discord.section_emojis]\n"Tools" = "🛠️"\n"Probing" = "🔍"\n',
    )
    data = clean_environment / "data"
    database = open_service_database(load_settings(config, data, environ={}, load_dotenv_file=False))
    try:
        candidate = insert_candidate(database, real_papers()[0])
    finally:
        database.dispose()
    monkeypatch.setenv("DISCORD_TOKEN", "a-discord-token")
    status, out = run(capsys, "--config", str(config), "--data-dir", str(data), "config", "check")
    assert status == 0, out
    assert (
        "warning: discord.section_emojis names sections the list does not have: Probing (its sections: Papers, Tools)"
    ) in out, out
    status, out = run(
        capsys, "--config", str(config), "--data-dir", str(data), "approve", str(candidate), "--section", "Tools"
    )
    assert status == 0 and "approved into Tools" in out, out


def test_a_web_template_of_your_own_may_use_the_web_pages_own_filters(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A copy of the review card (web/_paper.html) that shows the authors with the pages' own `authors` filter, as the
    bundled one does, outside its `{% if %}`: `config check` refused it ("No filter named 'authors'"), read with the
    weekly digest's filters alone, while the service rendered it. Each template is read with its pages' filters."""
    bundled = (ROOT / "templates" / "web" / "_paper.html").read_text(encoding="utf-8")
    shown = "{% if candidate.authors %}{{ candidate.authors|authors }} · {% endif %}"
    assert shown in bundled
    templates = clean_environment / "templates"
    write(templates / "web" / "_paper.html", bundled.replace(shown, "{{ candidate.authors|authors }} · "))
    config = write(clean_environment / "config.toml", f'templates_dir = "{templates}"\n')
    status, out = run(capsys, "--config", str(config), "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 0 and "problem" not in out, out


def test_a_templates_folder_kept_in_git_is_no_warning(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Templates of one's own kept in a git repository (as operators keep their settings): `config check` warned of
    every file under .git ("templates_dir holds .git/HEAD, which is not a template the service reads", some 25 lines
    after one commit, one more for every object later), burying the warnings that matter. Hidden files and folders
    are not templates, nor mistakes: they are passed over."""
    templates = clean_environment / "templates"
    write(templates / "weekly" / "digest.md.j2", (ROOT / "templates" / "weekly" / "digest.md.j2").read_text("utf-8"))
    write(templates / ".gitignore", "*.bak\n")
    environment = {"PATH": os.environ["PATH"], "HOME": str(clean_environment), "GIT_CONFIG_NOSYSTEM": "1"}
    for command in (["init", "-q"], ["add", "-A"], ["-c", "user.name=M", "-c", "user.email=m@x", "commit", "-qm", "x"]):
        subprocess.run(["git", *command], cwd=templates, env=environment, check=True)
    write(templates / "weekly" / "digest.md", "a copy under a name never read")
    config = write(clean_environment / "config.toml", f'templates_dir = "{templates}"\n')
    status, out = run(capsys, "--config", str(config), "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 0, out
    held = [line for line in out.splitlines() if "templates_dir holds" in line]
    assert held == ["warning: templates_dir holds weekly/digest.md, which is not a template the service reads"], out


def test_a_secret_set_to_a_value_the_secrets_file_keeps_is_found_by_config_check(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Moving from generated secrets to the environment (a .env for compose), the feed token's value from secrets.json
    copied into DIGEST_ADMIN_TOKEN: `config check` said "configuration OK", then `digest run` refused to start. It now
    says what the start says, without the value."""
    from digest.config.secretstore import ensure_secrets

    data = clean_environment / "data"
    ensure_secrets(load_settings(None, data, environ={}, load_dotenv_file=False))  # as the first start does
    feed_token = json.loads((data / "secrets.json").read_text(encoding="utf-8"))["feed_token"]
    monkeypatch.setenv("DIGEST_ADMIN_TOKEN", feed_token)
    status, out = run(capsys, "--data-dir", str(data), "config", "check")
    assert status == 1, out
    assert (
        "problem: DIGEST_FEED_TOKEN is also DIGEST_ADMIN_TOKEN: the feed's address, which feed readers keep, would "
        f"sign in on /review; give each its own random value (the other one is kept in {data / 'secrets.json'})"
    ) in out, out
    assert feed_token not in out


def test_the_review_pages_script_of_your_own_is_not_read_as_a_template(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """web/review.js is served as it is, never rendered: a copy of one's own holding `{#` (a class field written
    `{#pressed = 0}`) was refused by `config check` as a template ("Missing end of comment tag") although the page
    serves it whole. It is no template, and is not read as one."""
    script = (ROOT / "templates" / "web" / "review.js").read_text(encoding="utf-8") + "class Keys {#pressed = 0}\n"
    templates = clean_environment / "templates"
    write(templates / "web" / "review.js", script)
    config = write(clean_environment / "config.toml", f'templates_dir = "{templates}"\n')
    status, out = run(capsys, "--config", str(config), "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 0 and "problem" not in out and "review.js" not in out, out


def test_a_web_template_of_your_own_using_the_authors_filter_passes_config_check(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A copy of the paper card that shows `{{ candidate.authors|authors }}` outside its `{% if %}`: the pages render
    it (the web's own filter), but `config check` parsed it with the weekly digest's filters only and said "problem:
    No filter named 'authors'", exit 1, of a template that works."""
    templates = clean_environment / "templates"
    bundled = (ROOT / "templates" / "web" / "_paper.html").read_text(encoding="utf-8")
    own = bundled.replace("{% if candidate.authors %}{{ candidate.authors|authors }} · {% endif %}", "")
    assert own != bundled
    write(templates / "web" / "_paper.html", "<p>{{ candidate.authors|authors }}</p>\n" + own)
    config = write(clean_environment / "config.toml", f'templates_dir = "{templates}"\n')
    data = str(clean_environment / "data")
    status, out = run(capsys, "--config", str(config), "--data-dir", data, "config", "check")
    assert "authors" not in out, out
    assert status == 0, out


def test_your_own_keyboard_script_is_not_parsed_as_a_template_by_config_check(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """web/review.js sits among the templates but is served as it is, never rendered: a copy of one's own whose code
    holds "{%" (a string, a minified block) was "problem: template web/review.js: ...", exit 1, of a file that works."""
    templates = clean_environment / "templates"
    bundled = (ROOT / "templates" / "web" / "review.js").read_text(encoding="utf-8")
    write(templates / "web" / "review.js", 'const marker = "{%";\n' + bundled)
    config = write(clean_environment / "config.toml", f'templates_dir = "{templates}"\n')
    data = str(clean_environment / "data")
    status, out = run(capsys, "--config", str(config), "--data-dir", data, "config", "check")
    assert "review.js" not in out, out
    assert status == 0, out


@pytest.mark.parametrize("written", ["sqlite:///{path}\n", " sqlite:///{path}", "\tsqlite:///{path} \r\n"])
def test_a_database_url_with_white_space_around_it_names_the_same_file(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], written: str
) -> None:
    """DIGEST_DATABASE_URL read from a secret file ends in a newline; one pasted into `.env` may start with a space.
    The newline went into the database's file name ("digest.sqlite3\\n", made beside the real one, empty), and the
    leading space was "not a database URL". The white space around the URL is no part of it."""
    database = clean_environment / "elsewhere" / "digest.sqlite3"
    database.parent.mkdir()
    monkeypatch.setenv("DIGEST_DATABASE_URL", written.format(path=database))
    status = main(["--data-dir", str(clean_environment / "data"), "candidates"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    names = [path.name for path in database.parent.iterdir()]
    assert "digest.sqlite3" in names and all(name == name.strip() for name in names), names


def test_show_says_a_generated_secret_comes_from_the_secrets_file_and_creates_nothing(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the first start generated the web's secrets, `config show` said "DIGEST_ADMIN_TOKEN: not set" while the
    service signed in with the value kept in secrets.json. It now says where each one comes from, never the value,
    and `not set` only when neither the environment nor the file has one; show and check create nothing."""
    from digest.config.secretstore import ensure_secrets

    fresh = clean_environment / "fresh"
    for action in ("show", "check"):
        run(capsys, "--data-dir", str(fresh), "config", action)
    assert not fresh.exists()
    status, out = run(capsys, "--data-dir", str(fresh), "config", "show")
    assert status == 0 and "#   DIGEST_ADMIN_TOKEN: not set" in out, out

    data = clean_environment / "data"
    ensure_secrets(load_settings(None, data, environ={}, load_dotenv_file=False))  # as the first start does
    stored = json.loads((data / "secrets.json").read_text(encoding="utf-8"))
    monkeypatch.setenv("DIGEST_FEED_TOKEN", "feed-token-from-the-environment")
    status, out = run(capsys, "--data-dir", str(data), "config", "show")
    assert status == 0, out
    kept = f"not set; the generated one in {data / 'secrets.json'} is used (hidden)"
    assert f"#   DIGEST_ADMIN_TOKEN: {kept}" in out and f"#   DIGEST_SECRET_KEY: {kept}" in out, out
    assert "#   DIGEST_FEED_TOKEN: set (hidden)" in out and "#   DIGEST_ADMIN_TOKENS: not set" in out, out
    assert all(value not in out for value in stored.values()) and "feed-token-from-the-environment" not in out
    status, out = run(capsys, "--data-dir", str(data), "config", "show", "--json")
    assert json.loads(out)["secrets"]["DIGEST_ADMIN_TOKEN"] == kept


def test_a_review_budget_that_cannot_be_meant_is_refused_in_one_line_each(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """TOML's inf, and a budget above the papers a day brings (1e9, or 1500 read as a share of the day), passed the
    check; the service then sent every paper naming the topic to review, or (papers_per_day = inf) never one."""
    for text, expected in (
        ("daily_budget = inf", "relevance.daily_budget must be a finite number, not inf"),
        ("papers_per_day = inf", "relevance.papers_per_day must be a finite number, not inf"),
        ("second_tier_per_week = inf", "relevance.second_tier_per_week must be a finite number, not inf"),
        ("daily_budget = 1e9", "relevance.daily_budget (1e+09 a day) is more than papers_per_day (1500)"),
        (
            "daily_budget = 20\npapers_per_day = 10",
            "relevance.daily_budget (20 a day) is more than papers_per_day (10)",
        ),
        ("second_tier_per_week = 9000", "relevance.second_tier_per_week (9000) is more than a week's papers (7500"),
    ):
        config = write(clean_environment / "budget.toml", f"[relevance]\n{text}\n")
        status, out = run(capsys, "--config", str(config), "config", "check")
        problems = [line for line in out.splitlines() if line.startswith("problem: ")]
        assert status == 1 and len(problems) == 1, (text, out)
        assert problems[0].startswith(f"problem: {expected}"), (text, problems)
    # The limits themselves; and a narrow feed's small day under the default budgets, which worked before the checks.
    for text in ("daily_budget = 1500", "second_tier_per_week = 0", "daily_budget = 0.01", "papers_per_day = 5"):
        config = write(clean_environment / "budget.toml", f"[relevance]\n{text}\n")
        status, out = run(capsys, "--config", str(config), "config", "check")
        assert status == 0 and "configuration OK" in out, (text, out)


def test_an_old_config_with_several_values_now_refused_hears_of_all_of_them_at_once(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An operator upgrading with a config the release before accepted (a daily budget above papers_per_day and a
    List-Unsubscribe outside ASCII) heard of the budget only: the unsubscribe target was checked only once the rest
    loaded, so it came up after the budget was fixed, or at the first weekly email. README: every problem at once."""
    config = write(
        clean_environment / "config.toml",
        "[relevance]\ndaily_budget = 50\npapers_per_day = 20\n"
        '[weekly]\nlist_unsubscribe = "mailto:désabonner@example.org"\n',
    )
    status, out = run(capsys, "--config", str(config), "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 1
    assert "relevance.daily_budget (50 a day) is more than papers_per_day (20)" in out, out
    assert "weekly.list_unsubscribe 'mailto:désabonner@example.org' holds characters outside ASCII" in out, out
    assert "2 problems" in out, out


@pytest.mark.parametrize(
    ("key", "written"),
    [
        ("channel_id", "-5"),
        ("channel_id", "0"),
        ("guild_id", str(2**64)),
        ("maintainer_role_ids", "[7, -1]"),
        ("maintainer_user_ids", '["-7"]'),
        ("channel_id", f'"{"9" * 5000}"'),  # was pydantic's int() message quoting all 5,000 digits
    ],
)
def test_a_discord_id_that_is_no_snowflake_is_one_line_naming_the_key(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], key: str, written: str
) -> None:
    """Discord ids are positive 64-bit numbers: `channel_id = -5` passed config check, and the bot then watched a
    channel that cannot be, its candidates never posted."""
    ids = {"channel_id": "42", "maintainer_user_ids": "[7]", key: written}
    config = write(clean_environment / "config.toml", "[discord]\n" + "".join(f"{k} = {v}\n" for k, v in ids.items()))
    status, out = run(capsys, "--config", str(config), "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 1, out
    problems = [line for line in out.splitlines() if line.startswith("problem:")]
    assert len(problems) == 1 and f"discord.{key}" in problems[0] and len(problems[0]) < 200, out
    assert "not a Discord id (a positive number below 2**64)" in problems[0], out


@pytest.mark.parametrize("written", ['"²"', '"1²"', '"１２３"', '"١٢٣"', '["٧"]'])
def test_a_discord_id_in_digits_other_than_0_to_9_is_one_line_naming_the_key(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], written: str
) -> None:
    """A Discord id written as a string of superscript digits (`channel_id = "²"`, a paste from a formatted page) was
    pydantic's "Value error, invalid literal for int() with base 10"; one of fullwidth or Arabic-Indic digits was
    taken for another number without a word. Each is now one line naming the key and the digits to write it in."""
    key = "maintainer_user_ids" if written.startswith("[") else "channel_id"
    ids = {"channel_id": "42", "maintainer_user_ids": "[7]", key: written}
    config = write(clean_environment / "config.toml", "[discord]\n" + "".join(f"{k} = {v}\n" for k, v in ids.items()))
    status, out = run(capsys, "--config", str(config), "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 1, out
    problems = [line for line in out.splitlines() if line.startswith("problem:")]
    assert len(problems) == 1 and f"discord.{key}" in problems[0], out
    assert "Value error" not in problems[0] and "int()" not in problems[0], out
    assert "is not a Discord id: write it in the digits 0-9" in problems[0], out


def test_a_discord_token_of_spaces_is_not_set(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DISCORD_TOKEN="  " (a variable left blank in a compose file or a secret file of a newline) switched Discord
    on, and the bot then failed to sign in: like DIGEST_ADMIN_TOKEN, a blank token is not set, and Discord is off."""
    config = write(clean_environment / "config.toml", "[discord]\nchannel_id = 42\nmaintainer_user_ids = [7]\n")
    data = clean_environment / "data"
    monkeypatch.setenv("DISCORD_TOKEN", " \t\n")
    status, out = run(capsys, "--config", str(config), "--data-dir", str(data), "config", "check", "--json")
    assert status == 0, out
    report = json.loads(out)
    features = {feature["name"]: feature for feature in report["features"]}
    assert not features["discord"]["on"], features["discord"]
    assert "[discord] ids are set but DISCORD_TOKEN is not: Discord review stays off" in report["warnings"]
    status, out = run(capsys, "--config", str(config), "--data-dir", str(data), "config", "show")
    assert status == 0 and "DISCORD_TOKEN: not set" in out, out
    monkeypatch.setenv("DISCORD_TOKEN", "a-discord-token\n")  # read from a secret file: the newline is not the token
    status, out = run(capsys, "--config", str(config), "--data-dir", str(data), "config", "check", "--json")
    assert status == 0 and {f["name"]: f["on"] for f in json.loads(out)["features"]}["discord"], out


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
    assert problems == ["problem: smtp.username is set but SMTP_PASSWORD is not set (absent or blank)"], out
    monkeypatch.setenv("SMTP_PASSWORD", " a password ")
    status, out = run(capsys, "--config", str(config), "--data-dir", str(data), "config", "check")
    assert status == 0, out
    from digest.config import load_settings

    settings = load_settings(config, data_dir=data)
    assert settings.smtp.password is not None and settings.smtp.password.get_secret_value() == " a password "


@pytest.mark.parametrize(
    ("emojis", "said"),
    [
        ('"Probing" = "🔍"\n"Steering" = "🔍\ufe0f"\n', '🔍 is given to both "Probing" and "Steering"'),
        ('"Probing" = "✅"\n', '"Probing" is ✅, the reaction that approves into the suggested section'),
        ('"Probing" = "❌"\n', '"Probing" is ❌, the reaction that rejects'),
        ('"Probing" = " "\n', '"Probing" has no emoji'),
    ],
)
def test_a_section_emoji_a_reaction_cannot_tell_apart_is_one_problem(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], emojis: str, said: str
) -> None:
    """Two sections given one emoji (a line copied and renamed) passed config check: the legend offered '🔍 Probing ·
    🔍 Steering' and a maintainer's 🔍 always approved into Probing; a section given ✅ or ❌ was offered as its own
    reaction, which approves into the suggested section or rejects instead. Each is refused in one line."""
    config = write(
        clean_environment / "config.toml",
        "[discord]\nchannel_id = 42\nmaintainer_user_ids = [7]\n[discord.section_emojis]\n" + emojis,
    )
    status, out = run(capsys, "--config", str(config), "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 1, out
    problems = [line for line in out.splitlines() if line.startswith("problem:")]
    assert len(problems) == 1 and problems[0].startswith("problem: discord.section_emojis"), out
    assert said in problems[0], out


@pytest.mark.parametrize("given", ["variable", "option", "dotenv"])
def test_a_settings_file_named_from_the_home_folder_is_read(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    """`~` is the home folder in every path, but DIGEST_CONFIG=~/awesome/config.toml (written in a .env file or a
    compose file, where no shell expands it) and a quoted --config '~/...' were refused: 'config file
    ~/awesome/config.toml does not exist', though it did."""
    home = clean_environment / "home"
    write(home / "awesome" / "config.toml", 'list_title = "From the home folder"\n')
    monkeypatch.setenv("HOME", str(home))
    argv = ["--data-dir", str(clean_environment / "data")]
    if given == "variable":
        monkeypatch.setenv("DIGEST_CONFIG", "~/awesome/config.toml")
    elif given == "option":
        argv += ["--config", "~/awesome/config.toml"]
    else:
        write(clean_environment / ".env", "DIGEST_CONFIG=~/awesome/config.toml\n")
        monkeypatch.setenv("DIGEST_CONFIG", "")  # set by the .env file alone, and taken away again after the test
        monkeypatch.delenv("DIGEST_CONFIG")
    status, out = run(capsys, *argv, "config", "show")
    assert status == 0, capsys.readouterr().err
    assert 'list_title = "From the home folder"' in out, out
    status, out = run(capsys, *argv, "config", "check")
    assert status == 0 and f"configuration: {home / 'awesome' / 'config.toml'}\n" in out, out


def test_a_bad_database_url_from_the_environment_is_named_by_its_variable(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DIGEST_DATABASE_URL with a typo, over a settings file whose database_url is right: the line said 'database_url is
    not a database URL', sending the operator to a file that holds a good one. It names the variable the value came
    from, as it does a secret's."""
    good = f"sqlite:///{clean_environment / 'data' / 'digest.sqlite3'}"
    config = write(clean_environment / "config.toml", f'database_url = "{good}"\n')
    monkeypatch.setenv("DIGEST_DATABASE_URL", "postgres//digest@db/digest")
    status, out = run(capsys, "--config", str(config), "config", "check")
    assert status == 1, out
    problems = [line for line in out.splitlines() if line.startswith("problem:")]
    assert len(problems) == 1 and problems[0].startswith("problem: DIGEST_DATABASE_URL is not a database URL"), out


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


def test_settings_that_leave_the_service_useless_are_refused_by_config_check(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Discord on and posting nothing, pages titled by nothing, every feed refused as too large: each a line."""
    config = write(
        clean_environment / "digest.toml",
        'list_title = "  "\n[arxiv]\nmax_response_bytes = 10\n[discord]\npost_cap_per_run = 0\n',
    )
    status, out = run(capsys, "--config", str(config), "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 1
    assert "problem: list_title is empty: the pages, the feeds and the weekly digest are titled by it" in out
    assert "problem: arxiv.max_response_bytes must be between 1048576 (1 MiB) and 1073741824 (1 GiB), not 10" in out
    assert "problem: discord.post_cap_per_run must be between 1 and 100000, not 0" in out
    assert "3 problems" in out


@pytest.mark.parametrize("title", ["\\u200b\\u200d", "\\ufeff \\u2060"])
def test_a_list_title_of_characters_that_draw_nothing_is_refused_in_one_line(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], title: str
) -> None:
    """A list_title of zero-width characters (pasted from a page, a byte order mark) passed config check, and the
    pages, the feeds and the weekly digest's subject read empty, as a blank one, which is refused, would."""
    config = write(clean_environment / "digest.toml", f'list_title = "{title}"\n')
    status, out = run(capsys, "--config", str(config), "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 1
    assert [line for line in out.splitlines() if line.startswith("problem:")] == [
        "problem: list_title shows nothing (only characters that draw nothing, as U+200B): the pages, the feeds and "
        "the weekly digest are titled by it; leave it out for the default"
    ], out


def test_a_blank_data_folder_variable_is_not_set(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A compose file's `DIGEST_DATA_DIR: " "` counts as unset, as an empty one does: not a folder named by spaces."""
    monkeypatch.setenv("DIGEST_DATA_DIR", "  ")
    monkeypatch.setenv("DIGEST_CONFIG", " ")
    status, out = run(capsys, "config", "check")
    assert status == 0, out
    assert "configuration: no settings file: built-in defaults" in out
    assert f"data folder: {clean_environment / 'data'}\n" in out
    assert f"database: sqlite:///{clean_environment / 'data' / 'digest.sqlite3'}\n" in out


def test_a_blank_data_folder_in_the_env_file_beside_the_settings_is_not_set(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read from the `.env` beside the settings file, a blank value is not a folder of spaces in that file's folder."""
    monkeypatch.setenv("DIGEST_DATA_DIR", "restored-after-the-test")
    monkeypatch.delenv("DIGEST_DATA_DIR")  # the .env below sets it in this process: undone after the test
    site = clean_environment / "site"
    write(site / ".env", 'DIGEST_DATA_DIR="  "\n')
    config = write(site / "digest.toml", 'list_title = "Site"\n')
    status, out = run(capsys, "--config", str(config), "config", "check")
    assert status == 0, out
    assert f"data folder: {clean_environment / 'data'}\n" in out


def test_paths_in_variables_are_read_without_the_space_around_them(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`DIGEST_DATA_DIR: " /srv/data "` (a value pasted into a compose file, or quoted in a `.env`) named a folder
    ' /srv/data ' inside the working folder, and the service started on a new, empty one; DIGEST_CONFIG so was 'a
    file that does not exist'. A path is read without the space around it, in the environment and in a `.env`."""
    data, key = clean_environment / "srv" / "data", write(clean_environment / "keys" / "deploy", "a key\n")
    key.chmod(0o600)  # as ssh wants a private key: others may not read it
    config = write(clean_environment / "site" / "digest.toml", 'list_title = "Site"\n')
    monkeypatch.setenv("DIGEST_DATA_DIR", f" {data} ")
    monkeypatch.setenv("DIGEST_CONFIG", f"{config}\n")
    monkeypatch.setenv("DIGEST_GIT_SSH_KEY", f" {key}\t")
    status, out = run(capsys, "config", "check")
    assert status == 0, out
    assert f"configuration: {config}\n" in out and f"data folder: {data}\n" in out
    assert f"database: sqlite:///{data / 'digest.sqlite3'}\n" in out
    assert load_settings(None, None).publish.ssh_key == str(key)
    monkeypatch.delenv("DIGEST_DATA_DIR")  # now from the `.env` beside the settings file, written there in quotes
    write(config.parent / ".env", f'DIGEST_DATA_DIR=" {clean_environment / "site-data"} "\n')
    status, out = run(capsys, "--config", str(config), "config", "check")
    assert status == 0, out
    assert f"data folder: {clean_environment / 'site-data'}\n" in out


def test_a_database_given_alone_says_the_data_folder_is_the_working_folders(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DIGEST_DATABASE_URL set alone (PostgreSQL, say) left the data folder at ./data in the working folder, unsaid:
    a command run from another folder kept the list's file and generated secrets (signing links) of its own there.
    config check says so, and says nothing once the data folder is named too."""
    elsewhere = clean_environment / "db" / "digest.sqlite3"
    monkeypatch.setenv("DIGEST_DATABASE_URL", f"sqlite:///{elsewhere}")
    status, out = run(capsys, "config", "check")
    assert status == 0, out
    assert [line for line in out.splitlines() if "data folder" in line] == [
        f"data folder: {clean_environment / 'data'}",
        f"warning: the data folder is the default, ./data in the working folder ({clean_environment / 'data'}), "
        "though the database is elsewhere: the list's file, the generated secrets, the model and the weekly digests "
        "are kept there, and a command run from another folder keeps them in another; set DIGEST_DATA_DIR (or "
        "data_dir) to the service's data folder",
    ], out
    monkeypatch.setenv("DIGEST_DATA_DIR", str(clean_environment / "service-data"))
    status, out = run(capsys, "config", "check")
    assert status == 0 and "warning: the data folder" not in out, out
    monkeypatch.delenv("DIGEST_DATA_DIR")
    monkeypatch.delenv("DIGEST_DATABASE_URL")  # the default: the database is in the data folder, wherever that is
    status, out = run(capsys, "config", "check")
    assert status == 0 and "warning: the data folder" not in out, out


def test_a_env_file_not_utf8_or_holding_a_nul_is_one_problem_naming_it(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A `.env` saved in Latin-1 (`DIGEST_DATA_DIR=/srv/café`), or one holding a NUL byte (a binary file saved under
    that name), ended every command, config check too, in a traceback: each is one problem naming it, and not read."""
    env = clean_environment / ".env"
    for content, said in (
        (b"DIGEST_DATA_DIR=/srv/caf\xe9\n", f"{env} is not UTF-8 text (byte 25): save it as UTF-8 (not read)"),
        (
            b"EDITOR=vi\nDIGEST_DATA_DIR=/srv/a\x00b\n",
            f"{env} line 2 holds a NUL byte, which no setting does: is it the right file? (not read)",
        ),
    ):
        env.write_bytes(content)
        status, out = run(capsys, "--data-dir", str(clean_environment / "data"), "config", "check")
        assert status == 1, out
        assert [line for line in out.splitlines() if line.startswith("problem:")] == [f"problem: {said}"], out


def test_a_path_left_empty_in_the_settings_file_is_refused(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`data_dir = ""` (a template's blank) made the working folder the data folder: the database, list.md and
    secrets.json were written among whatever was there; `[weekly] out_dir = ""` so with the digests, and
    `feeds_dir = ""` was 'cannot read the sources in sources.toml'. Each is refused in one line, as --data-dir "" is."""
    config = write(
        clean_environment / "site" / "digest.toml",
        'data_dir = ""\nfeeds_dir = " "\nseed_list = ""\n[weekly]\nout_dir = ""\n',
    )
    said = "is empty, which names the working folder: leave it out for the default, or write the path"
    status, out = run(capsys, "--config", str(config), "config", "check")
    assert status == 1, out
    assert [line for line in out.splitlines() if line.startswith("problem:")] == [
        f"problem: {key} {said}" for key in ("data_dir", "feeds_dir", "seed_list", "weekly.out_dir")
    ], out
    assert main(["--config", str(config), "candidates"]) == 2
    assert not (clean_environment / "digest.sqlite3").exists() and not list(clean_environment.glob("secrets*"))


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


def test_a_data_folder_that_is_a_file_is_said_without_a_line_about_secrets_in_it(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--data-dir naming a file also said "cannot read FILE/secrets.json ...; fix or delete it": there is no such
    file to fix or delete, only the data folder to choose again."""
    placed = write(clean_environment / "notes.txt", "not a folder\n")
    status, out = run(capsys, "--data-dir", str(placed), "config", "check")
    assert status == 1
    assert f"problem: data_dir {placed} cannot be created: {placed} is not a folder\n" in out
    assert "secrets.json" not in "".join(line for line in out.splitlines(True) if line.startswith("problem: "))
    assert "weekly.out_dir" not in out and "\n1 problem: fix it" in out  # its folder in the data folder: one cause


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


def test_config_show_names_the_data_folder_in_full(clean_environment: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`digest config show` printed every path in full but the data folder, as `data_dir = "data"`: its output, kept
    as a settings file (in /etc, say), was refused by `config check` (a relative path in a file is read from the
    file's folder) or, where that folder had a data/, named another data folder. It now shows the folder in full."""
    (clean_environment / "data").mkdir()
    status, out = run(capsys, "config", "show")
    assert status == 0, out
    shown = tomllib.loads(out)
    assert shown["data_dir"] == str(clean_environment / "data")
    kept = write(clean_environment / "etc" / "config.toml", out)
    status, out = run(capsys, "--config", str(kept), "config", "check")
    assert status == 0 and f"data folder: {clean_environment / 'data'}" in out, out


@pytest.mark.parametrize(
    "variable",
    [
        "DIGEST_SECRET_KEY",
        "DIGEST_ADMIN_TOKEN",
        "DIGEST_FEED_TOKEN",
        "DIGEST_ADMIN_TOKENS",
        "DISCORD_TOKEN",
        "SMTP_PASSWORD",
        "DIGEST_GIT_TOKEN",
    ],
)
def test_a_secret_variable_holding_bytes_that_are_not_utf8_is_one_problem_naming_it(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    """A secret set from a file saved in Latin-1 (DIGEST_SECRET_KEY="clé...", byte 0xe9) passed config check, and the
    first approval link or sign-in then failed on "'utf-8' codec can't encode character '\\udce9'" (the feed's link,
    an SMTP login, Discord's header likewise). Each such variable is now a problem naming it, its value unsaid."""
    secret = ("alice:" if variable == "DIGEST_ADMIN_TOKENS" else "") + "Secret0123456789abcdefXYZ"
    monkeypatch.setenv(variable, secret + "\udce9")  # how Python holds byte 0xe9 of an environment that is not UTF-8
    status, out = run(capsys, "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 1, out
    problems = [line for line in out.splitlines() if line.startswith("problem:") and variable in line]
    assert len(problems) == 1 and "not UTF-8" in problems[0], out
    assert "Secret0123456789" not in out and "\udce9" not in out


def test_a_response_limit_past_what_python_can_read_is_a_problem_not_a_traceback(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`max_response_bytes = 99999999999999999999` (TOML reads any whole number) passed config check, and every poll
    of a local file then ended in "OverflowError: cannot fit 'int' into an index-sized integer" (a traceback); a
    limit past 1 GiB, which no feed comes near and memory must hold, is one problem line."""
    feed = write(clean_environment / "feed.xml", "<rss/>")
    config = write(clean_environment / "config.toml", "[arxiv]\nmax_response_bytes = 99999999999999999999\n")
    data = str(clean_environment / "data")
    status, out = run(capsys, "--config", str(config), "--data-dir", data, "config", "check")
    assert status == 1, out
    between = "arxiv.max_response_bytes must be between 1048576 (1 MiB) and 1073741824 (1 GiB)"
    assert f"problem: {between}, not 99999999999999999999" in out
    assert main(["--config", str(config), "--data-dir", data, "poll", "--source", str(feed)]) == 2  # as any problem
    err = capsys.readouterr().err
    assert (
        "Traceback" not in err
        and "arxiv.max_response_bytes must be between 1048576 (1 MiB) and 1073741824 (1 GiB)" in err
    ), err


@pytest.mark.parametrize("written", ["21", "1000000", "99999999999999999999"])
def test_retries_that_would_hold_a_poll_for_days_are_a_problem(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], written: str
) -> None:
    """`max_retries = 1000000` passed config check: a poll meeting arXiv down then retried every 10 minutes for
    years, holding the data folder's poll lock (every later poll skipped) and the service's stop; past 20 retries
    (hours of back-off) it is one problem line."""
    config = write(clean_environment / "config.toml", f"[arxiv]\nmax_retries = {written}\n")
    status, out = run(capsys, "--config", str(config), "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 1, out
    assert f"problem: arxiv.max_retries must be between 0 and 20, not {written}" in out, out


@pytest.mark.parametrize(
    ("name", "spoil", "said"),
    [
        ("rules.toml", "folder", "cannot be read: Is a directory"),
        ("rules.toml", b"\xff", "is not UTF-8 text (byte 1): save it as UTF-8"),
        ("sources.toml", b"\xff", "is not UTF-8 text (byte 1): save it as UTF-8"),
        ("sources.toml", "folder", "cannot be read: Is a directory"),
    ],
)
def test_a_feeds_file_that_cannot_be_read_is_said_as_the_settings_file_is(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], name: str, spoil: bytes | str, said: str
) -> None:
    """A rules.toml that was a folder was "cannot be read as TOML: [Errno 21] Is a directory: 3", and a feeds file
    saved as Latin-1 "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte", where the settings file
    is said in plain words; each feeds file is now said in those words, once. The polls, the service's at start-up
    too, said the rules in words of their own ('rules.toml: not UTF-8 (invalid start byte at byte 0)'): the same."""
    feeds = clean_environment / "feeds"
    shutil.copytree(resources.feeds_dir(), feeds)
    path = feeds / name
    path.unlink()
    if spoil == "folder":
        path.mkdir()
    else:
        path.write_bytes(bytes(spoil) if isinstance(spoil, bytes) else b"")
    config = write(clean_environment / "config.toml", f'feeds_dir = "{feeds}"\n')
    status, out = run(capsys, "--config", str(config), "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 1, out
    problems = [line for line in out.splitlines() if line.startswith("problem:")]
    assert problems == [f"problem: feeds file {path} {said}"], out
    if name == "rules.toml":  # the service's polls (its start-up's too) read the rules: in the same words
        feed = write(clean_environment / "feed.xml", "<rss/>")
        data = str(clean_environment / "data")
        main(["--config", str(config), "--data-dir", data, "poll", "--source", str(feed)])
        captured = capsys.readouterr()
        assert f"the relevance rules cannot be used: feeds file {path} {said}" in captured.out + captured.err, captured


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (("[penalties]", "[penalty]"), "[penalty] is not a table the rules read"),
        (('\nterms = ["survey"', '\nterm = ["survey"'), "[general] term is not a key the rules read"),
    ],
)
def test_a_misspelt_table_or_key_in_the_rules_is_a_problem_not_rules_dropped(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], edit: tuple[str, str], said: str
) -> None:
    """rules.toml with [penalty] for [penalties] (or `term =` for `terms =`) passed config check, and every poll then
    scored without those terms, nothing said (settings.toml's own unknown tables are a problem); it is one now."""
    feeds = clean_environment / "feeds"
    shutil.copytree(resources.feeds_dir(), feeds)
    rules = feeds / "rules.toml"
    text = rules.read_text(encoding="utf-8")
    assert edit[0] in text
    rules.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    config = write(clean_environment / "config.toml", f'feeds_dir = "{feeds}"\n')
    status, out = run(capsys, "--config", str(config), "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 1, out
    problems = [line for line in out.splitlines() if line.startswith("problem:")]
    assert len(problems) == 1 and said in problems[0] and str(rules) in problems[0], out


def test_a_data_folder_and_database_from_the_environment_are_named_by_their_variables(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deployment's `.env` beside its settings file gave DIGEST_DATA_DIR and DIGEST_DATABASE_URL; `digest config
    check` said "problem: data_dir ..." and "problem: database_url needs the driver ...", keys the settings file holds
    with other, good values: the operator looked there. Each line now names the variable the value came from."""
    for name in ("DIGEST_DATA_DIR", "DIGEST_DATABASE_URL"):  # what the `.env` sets is taken away afterwards
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    placed = write(clean_environment / "notes.txt", "not a folder\n")
    config = write(clean_environment / "etc" / "config.toml", f'data_dir = "{clean_environment / "data"}"\n')
    write(config.parent / ".env", f"DIGEST_DATA_DIR={placed}\nDIGEST_DATABASE_URL=mysql://digest@db.internal/digest\n")
    status, out = run(capsys, "--config", str(config), "config", "check")
    assert status == 1, out
    assert [line for line in out.splitlines() if line.startswith("problem: ")] == [
        f"problem: DIGEST_DATA_DIR {placed} cannot be created: {placed} is not a folder",
        "problem: DIGEST_DATABASE_URL needs the driver MySQLdb, which is not installed: install it, or use SQLite or "
        "PostgreSQL (postgresql+psycopg://)",
    ], out


def test_secrets_all_from_the_environment_are_said_without_others_generated(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With DIGEST_SECRET_KEY, DIGEST_ADMIN_TOKEN and DIGEST_FEED_TOKEN all set, config check said "3 of 3 from the
    environment; the others are generated once and kept in .../secrets.json": there are no others, and an operator
    who keeps secrets in a manager went looking for a file nothing writes. The others are named only when there are."""
    secrets = {"DIGEST_SECRET_KEY": "k" * 20, "DIGEST_ADMIN_TOKEN": "a" * 20, "DIGEST_FEED_TOKEN": "f" * 20}
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    status, out = run(capsys, "config", "check")
    assert status == 0, out
    assert [line for line in out.splitlines() if line.startswith("secrets:")] == [
        "secrets: 3 of 3 from the environment"
    ]
    monkeypatch.delenv("DIGEST_FEED_TOKEN")
    status, out = run(capsys, "config", "check")
    assert "secrets: 2 of 3 from the environment; the others are generated once and kept in data/secrets.json\n" in out


def test_a_data_folder_that_is_a_symlink_loop_is_one_problem_not_a_traceback(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--data-dir data` where data was a symbolic link leading round to itself (a link made pointing at a link to it)
    ended every command, config check too, in a traceback ("RuntimeError: Symlink loop from ..."); it is one line."""
    loop = clean_environment / "data"
    loop.symlink_to(clean_environment / "other")
    (clean_environment / "other").symlink_to(loop)
    status, out = run(capsys, "--data-dir", str(loop), "config", "check")
    assert status == 1, out
    problems = [line for line in out.splitlines() if line.startswith("problem:")]
    assert problems == [f"problem: data_dir {str(loop)!r} is a symbolic link that leads round in a loop: give a folder"]
    assert main(["--data-dir", str(loop), "candidates"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "leads round in a loop" in err and err.count("\n") == 1, err


def test_a_settings_file_named_with_a_line_break_is_named_on_one_line(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """DIGEST_CONFIG or --config holding a line break (two paths pasted, a variable read with its newline and more) was
    named raw, splitting its problem over two lines, the second taken for another; it is quoted with its escapes."""
    named = clean_environment / "config.toml\nstray"
    status, out = run(capsys, "--config", str(named), "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 1, out
    assert f"configuration: {str(named)!r}\n" in out, out
    assert f"problem: config file {str(named)!r} does not exist\n" in out, out


@pytest.mark.parametrize(
    ("variable", "pasted"),
    [
        ("DIGEST_SECRET_KEY", "\n"),
        ("DIGEST_ADMIN_TOKEN", "\t"),
        ("DIGEST_FEED_TOKEN", "\r\n"),
        ("DIGEST_ADMIN_TOKENS", "\x1b"),
    ],
)
def test_a_secret_variable_holding_a_control_character_is_one_problem_naming_it(
    clean_environment: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    pasted: str,
) -> None:
    """A token pasted with a line break or tab inside it (two lines of a password manager, a terminal's escape) passed
    config check: the feed's address then held it raw, and the admin token could never be typed into the sign-in
    form. Each such variable is one problem naming it, its value unsaid."""
    secret = ("alice:" if variable == "DIGEST_ADMIN_TOKENS" else "") + "Secret0123456789" + pasted + "abcdefXYZ"
    monkeypatch.setenv(variable, secret)
    status, out = run(capsys, "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 1, out
    problems = [line for line in out.splitlines() if line.startswith("problem:") and variable in line]
    assert len(problems) == 1 and "control character" in problems[0], out
    assert "Secret0123456789" not in out and "abcdefXYZ" not in out
