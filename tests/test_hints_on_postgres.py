"""The commands a hint prints when DIGEST_DATABASE_URL names the database (README "Moving to PostgreSQL"), run as
printed from a shell without that variable (cron, another shell): they name the database before `digest`, its password
`***` for the user to write in, so they act on that database, not silently on the data folder's SQLite file. The real
command line in child processes, a throwaway PostgreSQL on loopback."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

from digest.service.wiring import open_service_database
from tests.cli_runs import CRON
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.postgres_server import postgres_server, postgres_url  # noqa: F401  (fixtures)

PASSWORD = "s3cret-word"  # the test server trusts every password: the one written in for `***` is let in


def printed_line(message: str, words: str) -> str:
    """The one command between backticks in `message` that runs `digest ... WORDS`, as printed."""
    (command,) = [c for c in message.split("`")[1::2] if " digest " in f" {c}" and c.endswith(f" {words}")]
    return command


def test_the_command_a_refusal_names_lists_the_candidates_of_the_database_the_variable_named(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
) -> None:
    """`digest approve` of a paper no candidate is says `digest ... candidates` lists them: printed as
    `digest --data-dir DIR candidates` it listed, run from cron, the data folder's new SQLite file (nothing), not the
    PostgreSQL database the service uses. It now starts `DIGEST_DATABASE_URL=URL` (the password hidden) and, the
    password written in, lists the paper PostgreSQL holds."""
    data_dir, url = tmp_path / "data", postgres_url.replace("postgres@", f"postgres:{PASSWORD}@")
    database = open_service_database(make_settings(data_dir, environ={"DIGEST_DATABASE_URL": url}))
    try:
        insert_candidate(database, real_papers()[3])
    finally:
        database.dispose()
    refused = subprocess.run(
        [sys.executable, "-m", "digest", "--data-dir", str(data_dir), "approve", "2101.00001"],
        cwd=tmp_path,
        env={**CRON, "DIGEST_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode == 1 and "no candidate for arXiv 2101.00001" in refused.stderr, refused.stderr
    assert PASSWORD not in refused.stderr, refused.stderr
    listing = printed_line(refused.stderr, "candidates")
    hidden = url.replace(PASSWORD, "***")
    assert listing == f"DIGEST_DATABASE_URL={shlex.quote(hidden)} digest --data-dir {data_dir.absolute()} candidates"
    elsewhere = tmp_path / "elsewhere"  # cron's folder, with none of the service's environment
    elsewhere.mkdir()
    shell = {**CRON, "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}  # where `digest` is installed
    done = subprocess.run(
        ["sh", "-c", listing.replace("***", PASSWORD)],
        cwd=elsewhere,
        env=shell,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert real_papers()[3]["arxiv_id"] in done.stdout, done.stdout
    assert not (data_dir / "digest.sqlite3").exists() and not (elsewhere / "data").exists()


def refused_approval(data_dir: Path, url: str) -> str:
    """What `digest approve` of a paper no candidate is says on stderr, with DIGEST_DATABASE_URL=`url` (cron's
    environment otherwise)."""
    refused = subprocess.run(
        [sys.executable, "-m", "digest", "--data-dir", str(data_dir), "approve", "2101.00001"],
        cwd=data_dir.parent,
        env={**CRON, "DIGEST_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode == 1 and "no candidate for arXiv 2101.00001" in refused.stderr, refused.stderr
    return refused.stderr


def test_a_line_whose_commands_hide_the_password_says_once_what_the_stars_stand_for(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
) -> None:
    """The refusal's two commands start `DIGEST_DATABASE_URL='postgresql+psycopg://postgres:***@...'` and nothing said
    what `***` is: pasted as it is, PostgreSQL answers "password authentication failed". The line now ends "(*** stands
    for its password)", once for both commands; a URL without a password hides nothing and says nothing of it."""
    data_dir, url = tmp_path / "data", postgres_url.replace("postgres@", f"postgres:{PASSWORD}@")
    said = refused_approval(data_dir, url).strip()
    assert PASSWORD not in said and said.count(":***@") == 2, said  # both commands, each its password hidden
    assert said.endswith("adds a paper the polls never found (*** stands for its password)"), said
    assert said.count("stands for") == 1, said
    bare = refused_approval(data_dir, postgres_url).strip()
    assert "***" not in bare and "stands for" not in bare and bare.endswith("the polls never found"), bare
