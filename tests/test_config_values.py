"""Settings' values as operators write them: numbers past what the code can use (and the largest it can), `~` in
paths (and a user without a home folder), an IPv6 listening address, and a password in an ssh repository URL."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from digest.config import ConfigError
from tests.config_runs import ROOT, VARIABLES, run_digest, settings_from


@pytest.mark.parametrize(
    "toml",
    [
        "[web]\napproval_link_days = 1000000000\n",  # a timedelta that overflows when a link is made
        '[smtp]\nhost = "h"\nrecipients = ["a@b.org"]\ntimeout_seconds = inf\n',  # a socket refuses it
        "[arxiv]\ntimeout_seconds = inf\n",
    ],
)
def test_numbers_the_service_cannot_use_are_refused_in_one_line(tmp_path: Path, toml: str) -> None:
    with pytest.raises(ConfigError) as refused:
        settings_from(tmp_path, toml)
    assert len(refused.value.problems) == 1


@pytest.mark.parametrize(
    ("toml", "line"),
    [
        (
            "[weekly]\npending_top = 99999999999999999999\n",  # a LIMIT SQLite cannot bind: OverflowError
            "weekly.pending_top must be between 0 and 100000, not 99999999999999999999",
        ),
        (
            "[relevance]\ncalibration_window = 99999999999999999999\n",
            "relevance.calibration_window must be between 100 and 100000, not 99999999999999999999",
        ),
        ("[web]\nfeed_items = 99999999999999999999\n", "web.feed_items must be between 1 and 100000"),
        ("[discord]\npost_cap_per_run = 99999999999999999999\n", "discord.post_cap_per_run must be between 1 and"),
        ("[arxiv]\nmin_interval_seconds = inf\n", "arxiv.min_interval_seconds must be between 0 and 3600, not inf"),
        ("[arxiv]\ntimeout_seconds = 1e300\n", "arxiv.timeout_seconds must be between 0.001 and 86400, not 1e+300"),
        ("[smtp]\ntimeout_seconds = 1e300\n", "smtp.timeout_seconds must be between 0.001 and 86400, not 1e+300"),
        ("[publish]\nbatch_seconds = inf\n", "publish.batch_seconds must be between 0 and 604800, not inf"),
    ],
)
def test_a_number_too_large_to_use_is_refused_by_config_check_and_every_command(
    tmp_path: Path, toml: str, line: str
) -> None:
    """Each passed `config check` ("configuration OK"); then a count past SQLite's integers failed `digest weekly`,
    `digest score` and the polls with an OverflowError traceback, a timeout of 1e300 s failed every SMTP connection
    (time_t overflows), and an infinite pause or batch hung every poll's second request or held every decision back
    from publishing, without a word."""
    config = tmp_path / "config.toml"
    config.write_text(toml, encoding="utf-8")
    check = run_digest(tmp_path, "--config", str(config), "--data-dir", str(tmp_path / "data"), "config", "check")
    problems = [row for row in check.stdout.splitlines() if row.startswith("problem: ")]
    assert check.returncode == 1 and len(problems) == 1, check.stdout
    assert problems[0].startswith(f"problem: {line}"), problems
    weekly = run_digest(tmp_path, "--config", str(config), "--data-dir", str(tmp_path / "data"), "weekly", "--dry-run")
    said = weekly.stderr.strip().splitlines()
    assert weekly.returncode == 2 and len(said) == 1, weekly.stderr[-600:]
    assert said[0].startswith(f"digest: configuration: {line}"), said


def test_the_largest_counts_allowed_can_be_used(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[weekly]\npending_top = 100000\nsecond_tier_top = 100000\n", encoding="utf-8")
    weekly = run_digest(tmp_path, "--config", str(config), "--data-dir", str(tmp_path / "data"), "weekly", "--dry-run")
    assert weekly.returncode == 0, weekly.stderr[-600:]


def test_the_longest_approval_links_allowed_can_be_made(tmp_path: Path) -> None:
    settings = settings_from(tmp_path, "[web]\napproval_link_days = 3650\n")
    assert datetime.now(UTC) + timedelta(days=settings.web.approval_link_days) > datetime.now(UTC)


def test_a_calibration_window_past_what_can_be_scored_is_refused_naming_its_range(tmp_path: Path) -> None:
    """`calibration_window = 100000000000000000000` (no bound) made `digest score` and every poll end in a traceback
    ('OverflowError: Python int too large to convert to SQLite INTEGER'), and a billion kept every paper ever polled,
    all scored again in memory after each decision. It is one line naming the setting and its range."""
    (tmp_path / "config.toml").write_text("[relevance]\ncalibration_window = 100000000000000000000\n")
    (tmp_path / "papers.jsonl").write_text('{"arxiv_id": "2401.00001", "title": "A", "abstract": "B"}\n')
    done = run_digest(tmp_path, "--config", "config.toml", "--data-dir", "data", "score", "papers.jsonl")
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr[-600:]
    assert done.stderr.strip() == (
        "digest: configuration: relevance.calibration_window must be between 100 and 100000, not 100000000000000000000"
    )
    assert settings_from(tmp_path, "[relevance]\ncalibration_window = 100000\n").relevance.calibration_window == 100_000


def test_a_tilde_means_home_in_every_path_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`out_dir = "~/weekly"` wrote into a folder literally named `~` in the working folder."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home" / "feeds").mkdir(parents=True)
    for name in ("rules.toml", "sources.toml"):
        (tmp_path / "home" / "feeds" / name).write_bytes((ROOT / "feeds" / name).read_bytes())
    settings = settings_from(tmp_path, 'feeds_dir = "~/feeds"\n[weekly]\nout_dir = "~/weekly"\n')
    assert settings.weekly_dir == tmp_path / "home" / "weekly"
    assert settings.feeds_dir == tmp_path / "home" / "feeds"


def test_a_base_url_made_from_an_ipv6_host_is_a_url(tmp_path: Path) -> None:
    settings = settings_from(tmp_path, '[web]\nhost = "::1"\n')
    assert urlsplit(settings.web.base_url).hostname == "::1" and urlsplit(settings.web.base_url).port == 8080


def test_a_password_in_an_ssh_repository_url_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="must not hold a password"):
        settings_from(tmp_path, '[publish]\nrepository = "ssh://git:hunter2-token@example.org/o/l.git"\n')


def test_a_tilde_path_for_a_user_without_a_home_folder_is_one_line_not_a_traceback() -> None:
    """A container run as a user the image does not know (docker run --user 1000, HOME unset, as cron and some
    supervisors leave it): `data_dir = "~/digest"`, `--data-dir ~/data` or DIGEST_CONFIG=~/digest.toml ended every
    command, config check too, in a traceback (RuntimeError: Could not determine home directory.)."""
    setpriv = shutil.which("setpriv")  # util-linux's: runs the command as another user
    if os.geteuid() != 0 or setpriv is None:
        pytest.skip("running as a user the system does not know needs root and setpriv")
    shared = Path(tempfile.mkdtemp())  # the unknown user must be able to read the settings file
    try:
        shared.chmod(0o755)
        config = shared / "config.toml"
        config.write_text('data_dir = "~/digest"\n[weekly]\nout_dir = "~/weekly"\n', encoding="utf-8")
        config.chmod(0o644)
        environment = {key: value for key, value in os.environ.items() if not key.startswith(VARIABLES)}
        environment.pop("HOME", None)
        environment["PYTHONPATH"] = str(ROOT)
        for arguments, extra in (
            (["--config", str(config), "config", "check"], {}),
            (["--config", str(config), "candidates"], {}),
            (["--data-dir", "~/data", "candidates"], {}),
            (["candidates"], {"DIGEST_CONFIG": "~/digest.toml"}),
            (["candidates"], {"DIGEST_DATA_DIR": "~/data"}),
            (["--config", "~/digest.toml", "config", "check"], {}),
            (["--data-dir", str(shared / "data"), "candidates"], {"DIGEST_DATABASE_URL": "sqlite:///~/digest.sqlite3"}),
        ):
            done = subprocess.run(
                [setpriv, "--reuid", "54321", "--regid", "54321", "--clear-groups", sys.executable, "-m", "digest",
                 *arguments],
                cwd=shared, env={**environment, **extra},
                capture_output=True, text=True, timeout=120, check=False,
            )  # fmt: skip
            said = done.stdout + done.stderr
            assert done.returncode != 0 and "Traceback" not in said, (arguments, said)
            lines = [line for line in said.splitlines() if "starts with ~, the home folder" in line]
            assert lines and all("set HOME" in line and "write the path in full" in line for line in lines), (
                arguments,
                said,
            )
        assert sorted(path.name for path in shared.iterdir()) == ["config.toml"]  # no folder named '~' made
    finally:
        shutil.rmtree(shared, ignore_errors=True)
