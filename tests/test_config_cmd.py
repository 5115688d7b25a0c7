"""`digest config check` and `digest config show` through the real command line, on files under tmp_path: the
report as a whole, what `show` prints, and values refused (schedules, limits, the review budget, the title)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from digest.cli import main
from digest.config import load_settings
from tests.config_cmd import ROOT, run, write
from tests.config_cmd import clean_environment as clean_environment  # the fixture, shared


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


def test_show_of_a_secrets_file_it_cannot_read_names_the_check_of_the_same_data_folder(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`config show --data-dir D` of a damaged secrets.json said "see `digest config check`": run as printed from a
    maintainer's shell, that checked ./data there, which has no such file, and said nothing of it. It names the same
    invocation, and run as printed the check says why the file cannot be read."""
    from tests.printed import printed_command

    data = write(clean_environment / "srv" / "data" / "secrets.json", "{not json").parent
    status, out = run(capsys, "--data-dir", str(data), "config", "show")
    check = f"digest --data-dir {data} config check"
    assert (
        status == 0
        and f"#   DIGEST_ADMIN_TOKEN: not set ({data / 'secrets.json'} cannot be read: see `{check}`)" in out
    ), out
    status, out = run(capsys, *printed_command(out.split("DIGEST_ADMIN_TOKEN")[1].splitlines()[0], "config check")[1:])
    assert status == 1 and f"cannot read {data / 'secrets.json'}" in out, out
