"""Dry runs leave the data folder as they found it: `digest publish --dry-run` works in a clone of its own in a
temporary folder (removed after), not the service's clone in the data folder; `digest weekly --dry-run` shows the
approval links without making secrets.json, as `digest weekly --format email` does, which only prints the email."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.cli import main
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
from digest.service.wiring import open_service_database
from tests.conftest import make_settings
from tests.disk import READ_ONLY_WARNING, read_only_view
from tests.factories import insert_candidate, real_papers
from tests.git_remote import TYPO_NEW, TYPO_OLD, make_remote, publish_config

BOB = Actor("bob", "1002", "web")


def listing(data: Path) -> dict[str, bytes | None]:
    """Every path under the folder, with each file's bytes (None for a folder): the clone's HEAD, index, refs and
    objects, the database, list.md."""
    return {str(path.relative_to(data)): path.read_bytes() if path.is_file() else None for path in data.rglob("*")}


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary folder the command's own temporary files go to, to see that nothing is left there."""
    folder = tmp_path / "temporary"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.mark.parametrize("published_before", [True, False])
def test_a_publish_dry_run_leaves_the_data_folder_and_its_clone_as_they_were(
    data_dir: Path, tmp_path: Path, scratch: Path, capsys: pytest.CaptureFixture[str], published_before: bool
) -> None:
    """`digest publish --dry-run` fetched into the service's clone in the data folder (made it on a folder never
    published from, moved its refs and wrote merge files in it otherwise) and recorded where publishing starts in the
    database. It now fetches into a clone of its own, removed after: the folder's files and the clone (HEAD, index,
    refs) are as they were, and the run still prints the diff it would push."""
    remote = make_remote(tmp_path)
    config = tmp_path / "config.toml"
    config.write_text(publish_config(remote.url), encoding="utf-8")
    base = ["--config", str(config), "--data-dir", str(data_dir)]
    settings = make_settings(data_dir, publish_config(remote.url))
    if published_before:
        assert main([*base, "publish"]) == 0  # the first sync: the service's clone made in the data folder
    database = open_service_database(settings)
    paper = real_papers()[0]
    Reviewer(database, settings).decide(insert_candidate(database, paper), "approve", BOB)
    database.dispose()
    remote.push_edit(TYPO_OLD, TYPO_NEW)  # the branch moved upstream: the dry run has something to fetch and merge
    before, commits = listing(data_dir), remote.commits()
    assert (data_dir / "publish" / "clone" / ".git" / "HEAD").exists() == published_before
    capsys.readouterr()

    assert main([*base, "publish", "--dry-run"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("--- a/README.md\n+++ b/README.md\n") and paper["arxiv_id"] in out, out
    assert err.splitlines()[-1].startswith("dry run: Add") and err.endswith("; nothing was pushed\n"), err
    assert listing(data_dir) == before
    assert list(scratch.iterdir()) == []  # its own clone removed
    assert remote.commits() == commits

    assert main([*base, "publish"]) == 0  # what the dry run showed is what is pushed
    assert paper["arxiv_id"] in remote.readme() and TYPO_NEW in remote.readme()


def test_a_publish_dry_run_shows_the_diff_from_a_read_only_data_folder(
    data_dir: Path, tmp_path: Path, scratch: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest publish --dry-run` on a data folder it may not write (a read-only mount, a backup looked at) failed:
    it needed the folder to keep its clone in and opened the database to write. It now shows the diff, with the one
    warning of a command that only reads."""
    remote = make_remote(tmp_path)
    config = tmp_path / "config.toml"
    config.write_text(publish_config(remote.url), encoding="utf-8")
    settings = make_settings(data_dir, publish_config(remote.url))
    database = open_service_database(settings)
    paper = real_papers()[0]
    Reviewer(database, settings).decide(insert_candidate(database, paper), "approve", BOB)
    database.dispose()
    before = listing(data_dir)
    with read_only_view(data_dir, tmp_path / "read-only") as view:
        status = main(["--config", str(config), "--data-dir", str(view), "publish", "--dry-run"])
        out, err = capsys.readouterr()
    assert status == 0, err
    assert out.startswith("--- a/README.md\n+++ b/README.md\n") and paper["arxiv_id"] in out, out
    assert READ_ONLY_WARNING.match(err) and "nothing was pushed" in err, err
    assert listing(data_dir) == before and list(scratch.iterdir()) == []
    assert len(remote.commits()) == 1


MAINTAINERS = ["--edition", "maintainers"]


@pytest.mark.parametrize(
    "printing",
    [
        ["--dry-run"],
        ["--dry-run", *MAINTAINERS],
        ["--dry-run", *MAINTAINERS, "--send"],
        ["--format", "email"],
        ["--format", "email", *MAINTAINERS],
    ],
)
def test_a_weekly_dry_run_makes_no_secrets_file(
    data_dir: Path, capsys: pytest.CaptureFixture[str], printing: list[str]
) -> None:
    """`digest weekly --dry-run` with a second-tier paper in the week made secrets.json (the key signing its approval
    links), even when it printed the readers' edition, which has no links; so did `--format email` without --send,
    which only prints the email. Now nothing is written: the readers' edition signs nothing, and the maintainers' is
    shown with links signed by a throwaway key, said in one line."""
    settings = make_settings(data_dir)
    database = open_service_database(settings)
    now = datetime.now(UTC)
    seen = {"first_seen_at": now, "updated_at": now, "suggested_section": "Sparse Autoencoder"}
    insert_candidate(database, real_papers()[1], score=0.93, relevant=False, **seen)
    database.dispose()
    before = listing(data_dir)

    assert main(["--data-dir", str(data_dir), "weekly", "--now", *printing]) == 0
    out, err = capsys.readouterr()
    assert not (data_dir / "secrets.json").exists()
    assert listing(data_dir) == before
    throwaway = [line for line in err.splitlines() if "throwaway" in line]
    if "maintainers" not in printing:
        assert "approve" not in out and throwaway == [], err
        return
    assert real_papers()[1]["arxiv_id"] in out and "/approve" in out, out
    assert throwaway == [
        f"digest: {'dry run: ' if '--dry-run' in printing else ''}the approval links shown are signed with a throwaway "
        "key and will not work: no signing key yet (set DIGEST_SECRET_KEY, or the service makes one in secrets.json "
        "when it starts)"
    ], err


@pytest.mark.parametrize("printing", [["--dry-run"], ["--format", "email"]])
def test_a_weekly_dry_run_signs_with_the_key_there_is_and_leaves_its_file(
    data_dir: Path, capsys: pytest.CaptureFixture[str], printing: list[str]
) -> None:
    """With secrets.json kept already (readable by other users, as after a restore by hand), the dry run signs with its
    key, says nothing of a throwaway key, and leaves the file, its mode too (the service makes it owner-only)."""
    settings = make_settings(data_dir)
    database = open_service_database(settings)
    now = datetime.now(UTC)
    seen = {"first_seen_at": now, "updated_at": now, "suggested_section": "Sparse Autoencoder"}
    insert_candidate(database, real_papers()[1], score=0.93, relevant=False, **seen)
    database.dispose()
    secrets = data_dir / "secrets.json"
    secrets.write_text('{"secret_key": "' + "k" * 40 + '"}\n', encoding="utf-8")
    secrets.chmod(0o644)
    before = listing(data_dir)

    assert main(["--data-dir", str(data_dir), "weekly", "--now", *printing, *MAINTAINERS]) == 0
    out, err = capsys.readouterr()
    assert "/approve" in out and "throwaway" not in err, err
    assert listing(data_dir) == before and secrets.stat().st_mode & 0o777 == 0o644
