"""Publishing approvals to the list's git repository (commit mode), through real git against a bare remote."""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from digest import health
from digest.config import Settings
from digest.publish.publisher import BLOCKED, FAILED, PUBLISHED, Publisher
from digest.publish.store import read_status
from digest.review.reviewer import Reviewer
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from digest.storage.models import Entry
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.git_remote import ANN, NOW, TYPO_NEW, TYPO_OLD, Remote, make_remote, publish_config
from tests.publishing import approve, services
from tests.publishing import remote as remote  # the fixture


@pytest.fixture
def publish_settings(tmp_path: Path, remote: Remote) -> Settings:
    return make_settings(tmp_path / "data", publish_config(remote.url))


@pytest.fixture
def publish_database(publish_settings: Settings) -> Iterator[Database]:
    database = open_service_database(publish_settings)
    yield database
    database.dispose()


def added_lines(diff: str) -> list[str]:
    return [line for line in diff.splitlines() if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))]


def test_one_approval_makes_one_commit_whose_diff_is_that_entry_alone(
    remote: Remote, publish_settings: Settings, publish_database: Database
) -> None:
    reviewer, publisher = services(publish_database, publish_settings)
    before = remote.commits()
    arxiv_id = approve(publish_database, reviewer, 0)
    result = publisher.publish()
    assert result.outcome == PUBLISHED, result.message
    assert len(remote.commits()) == len(before) + 1
    changed = added_lines(remote.diff_of_head())
    assert changed and all(line.startswith("+") for line in changed)
    assert arxiv_id in changed[0] and all("Sparse" not in line or arxiv_id in line for line in changed)
    assert remote.readme() == publish_settings.list_markdown_path.read_text(encoding="utf-8")
    subject = remote.commits()[0]
    assert (
        subject.startswith("Add 1 paper: Steering LVLMs via Sparse Autoencoder") and "(Sparse Autoencoder)" in subject
    )
    # Nothing more to publish: a second run pushes nothing.
    assert publisher.publish().outcome == "unchanged"
    assert len(remote.commits()) == len(before) + 1
    status = read_status(publish_database, publish_settings.templates_dir)
    assert status.published_commit == remote.head() and status.pending == [] and status.last_error is None


def test_three_approvals_make_one_commit_naming_each_paper(
    remote: Remote, publish_settings: Settings, publish_database: Database
) -> None:
    reviewer, publisher = services(publish_database, publish_settings)
    before = len(remote.commits())
    ids = [approve(publish_database, reviewer, index) for index in (0, 1, 3)]
    assert len(read_status(publish_database, publish_settings.templates_dir).pending) == 3
    assert publisher.publish().outcome == PUBLISHED
    assert len(remote.commits()) == before + 1
    assert remote.commits()[0].startswith("Add 3 papers: ")
    body = remote.message_of_head()
    assert all(f"https://arxiv.org/abs/{arxiv_id}" in body for arxiv_id in ids)
    assert len([line for line in added_lines(remote.diff_of_head()) if line.startswith("+ ")]) == 3


def test_a_hand_edit_upstream_survives_the_next_approval_and_is_in_the_database(
    remote: Remote, publish_settings: Settings, publish_database: Database
) -> None:
    reviewer, publisher = services(publish_database, publish_settings)
    approve(publish_database, reviewer, 0)
    assert publisher.publish().outcome == PUBLISHED
    remote.push_edit(TYPO_OLD, TYPO_NEW)
    arxiv_id = approve(publish_database, reviewer, 1)
    assert publisher.publish().outcome == PUBLISHED
    readme = remote.readme()
    assert TYPO_NEW in readme and TYPO_OLD not in readme and arxiv_id in readme
    assert added_lines(remote.diff_of_head())[0].startswith("+") and TYPO_NEW not in remote.diff_of_head()
    with publish_database.reading() as session:
        raws = [entry.raw for entry in session.scalars(select(Entry))]
    assert any(TYPO_NEW in raw for raw in raws) and not any(TYPO_OLD in raw for raw in raws)
    assert TYPO_NEW in publish_settings.list_markdown_path.read_text(encoding="utf-8")


def test_approvals_made_before_publishing_was_switched_on_survive_the_first_sync(
    tmp_path: Path, remote: Remote, publish_settings: Settings, publish_database: Database
) -> None:
    """Papers approved while publishing was off, then a hand edit upstream, then publishing switched on: the first
    sync used the whole list as its base, so it took the repository's file and dropped the approvals without a word
    (its dry run said "up to date"). Now both the edit and the approvals are in what it pushes, and in the list."""
    reviewer = Reviewer(publish_database, publish_settings, clock=lambda: NOW)
    approved = [approve(publish_database, reviewer, index) for index in (0, 1)]
    rejected = insert_candidate(publish_database, real_papers()[2])
    reviewer.decide(rejected, "reject", ANN)
    remote.push_edit(TYPO_OLD, TYPO_NEW)
    publisher = Publisher(publish_database, publish_settings, clock=lambda: NOW)
    preview = publisher.publish(dry_run=True)
    assert preview.outcome == PUBLISHED and preview.message.startswith("Add 2 papers"), preview.message
    assert all(any(arxiv_id in line for line in added_lines(preview.diff)) for arxiv_id in approved)
    publisher.remember_base()  # as the service does when it starts with publishing on
    result = publisher.publish()
    assert result.outcome == PUBLISHED, result.message
    readme = remote.readme()
    assert all(arxiv_id in readme for arxiv_id in approved) and TYPO_NEW in readme and TYPO_OLD not in readme
    assert real_papers()[2]["arxiv_id"] not in readme
    assert remote.message_of_head().startswith("Add 2 papers")
    markdown = publish_settings.list_markdown_path.read_text(encoding="utf-8")
    assert markdown == readme
    assert publisher.publish().outcome == "unchanged"


def test_a_push_rejected_by_a_concurrent_push_is_retried_and_both_changes_land(
    remote: Remote, publish_settings: Settings, publish_database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    reviewer, publisher = services(publish_database, publish_settings)
    arxiv_id = approve(publish_database, reviewer, 0)
    real_push = publisher.git.push
    raced: list[str] = []

    def push_after_a_maintainer(commit: str, branch: str | None = None) -> None:
        if not raced:  # between our fetch and our push, a maintainer pushes a hand edit
            raced.append(commit)
            remote.push_edit(TYPO_OLD, TYPO_NEW)
        real_push(commit, branch)

    publisher.git.push = push_after_a_maintainer  # type: ignore[method-assign]
    with caplog.at_level(logging.INFO, logger="digest.publish"):
        result = publisher.publish()
    assert result.outcome == PUBLISHED, result.message
    assert "rejected" in caplog.text
    readme = remote.readme()
    assert TYPO_NEW in readme and arxiv_id in readme
    assert remote.commits()[:2] == [result.message.split(": ", 1)[1], "Fix a typo by hand"]


def test_the_remote_down_then_back_publishes_once_also_after_a_restart(
    tmp_path: Path, remote: Remote, publish_settings: Settings, publish_database: Database
) -> None:
    reviewer, publisher = services(publish_database, publish_settings)
    before = len(remote.commits())
    away = tmp_path / "away.git"
    shutil.move(remote.bare, away)
    arxiv_id = approve(publish_database, reviewer, 0)
    failed = publisher.publish()
    assert failed.outcome == FAILED and "fetch" in failed.message
    status = read_status(publish_database, publish_settings.templates_dir)
    assert status.failures == 1 and status.last_error and len(status.pending) == 1
    assert [c.ok for c in health.components() if c.name == "publish"] == [False]
    publish_database.dispose()

    shutil.move(away, remote.bare)  # the remote is back; the service restarts over the same database
    database = open_service_database(publish_settings)
    try:
        _reviewer, restarted = services(database, publish_settings)
        assert restarted.publish().outcome == PUBLISHED
        assert restarted.publish().outcome == "unchanged"
        assert read_status(database, publish_settings.templates_dir).pending == []
    finally:
        database.dispose()
    assert len(remote.commits()) == before + 1 and arxiv_id in remote.readme()


def test_a_broken_upstream_file_stops_publishing_with_its_findings(
    remote: Remote, publish_settings: Settings, publish_database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    reviewer, publisher = services(publish_database, publish_settings)
    bad = "+ **Copy** [Some Other Title](https://arxiv.org/abs/2503.01773) (Jan. 1, 2025)\n\n+ **Probing MLLMs**"
    remote.push_edit("+ **Probing MLLMs**", bad, "A bad edit")
    head = remote.head()
    approve(publish_database, reviewer, 0)
    with caplog.at_level(logging.INFO, logger="digest.publish"):
        result = publisher.publish()
    assert result.outcome == BLOCKED
    assert len(result.findings) == 1 and "arxiv-id-conflict" in result.findings[0]
    assert result.findings[0].startswith("README.md:317: error: arXiv 2503.01773 is linked from")
    assert "arxiv-id-conflict" in caplog.text
    assert remote.head() == head  # nothing pushed
    (component,) = [c for c in health.components() if c.name == "publish"]
    assert not component.ok and "lint error" in component.message
    assert len(read_status(publish_database, publish_settings.templates_dir).pending) == 1

    remote.push_edit(bad, "+ **Probing MLLMs**", "Undo the bad edit")
    assert publisher.publish().outcome == PUBLISHED
    assert [c.ok for c in health.components() if c.name == "publish"] == [True]


def test_hostile_titles_are_one_inert_line_in_the_commit_message(
    remote: Remote, publish_settings: Settings, publish_database: Database
) -> None:
    reviewer, publisher = services(publish_database, publish_settings)
    hostile = "Evil\n\nSigned-off-by: Mallory <m@example.org>\x1b[31m\u202e # not a comment\r"
    approve(publish_database, reviewer, 0, title=hostile)
    assert publisher.publish().outcome == PUBLISHED
    message = remote.message_of_head()
    assert "\x1b" not in message and "\u202e" not in message and "\r" not in message
    assert not any(line.startswith(("Signed-off-by", "#")) for line in message.splitlines())
    assert "Evil Signed-off-by: Mallory <m@example.org> [31m # not a comment (Sparse Autoencoder)" in message


def test_a_title_naming_an_issue_or_a_person_closes_and_mentions_nothing(
    remote: Remote, publish_settings: Settings, publish_database: Database
) -> None:
    """A title holding "fixes #1" went into the commit pushed to the list's default branch as written, and GitHub
    closes an issue named so in a commit that reaches that branch (and links "#2" and "@octocat" from it)."""
    reviewer, publisher = services(publish_database, publish_settings)
    hostile = "Steering fixes #1, resolves you/awesome-list#2 and GH-3, thanks @octocat"
    approve(publish_database, reviewer, 0, title=hostile)
    assert publisher.publish().outcome == PUBLISHED
    message = remote.message_of_head()
    assert re.findall(r"[#@]\w|GH-\d", message) == [], message
    subject = message.splitlines()[0]
    assert "fixes #\u200d1, resolves you/awesome-list#\u200d2 and GH\u200d-3, thanks @\u200doctocat" in subject
    assert sum(line.count("#\u200d1") for line in message.splitlines()) == 2  # the subject and the paper's line


def test_no_token_appears_in_a_log_line_an_error_or_the_clone(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    token = "ghp_SecretTokenValue1234567890"
    settings = make_settings(
        tmp_path / "data", publish_config("http://127.0.0.1:9/owner/list.git"), {"DIGEST_GIT_TOKEN": token}
    )
    database = open_service_database(settings)
    try:
        with caplog.at_level(logging.DEBUG):
            result = Publisher(database, settings).publish()
        status = read_status(database, settings.templates_dir)
    finally:
        database.dispose()
    assert result.outcome == FAILED and "127.0.0.1" in result.message
    assert status.last_error == result.message
    on_disk = "\n".join(
        path.read_text(encoding="utf-8", errors="replace")
        for path in settings.data_dir.rglob("*")
        if path.is_file()
        if path.suffix not in (".sqlite3", ".sqlite3-wal")
    )
    for text in (caplog.text, result.message, on_disk, *(c.message for c in health.components())):
        assert token not in text


def test_publish_settings_refuse_what_cannot_work(tmp_path: Path) -> None:
    from digest.config import ConfigError

    config = (
        '[publish]\nrepository = "https://user:ghp_x@github.com/o/l.git"\nmode = "pull-request"\n'
        'path = "../outside.md"\nauthor = "no email"\n'
    )
    with pytest.raises(ConfigError) as caught:
        make_settings(tmp_path / "data", config)
    problems = " ".join(caught.value.problems)
    assert "must not hold a user or token" in problems and "ghp_x" not in problems
    assert "pull-request" in problems and "publish.path" in problems and "publish.author" in problems
    assert not make_settings(tmp_path / "off").publish.enabled


@pytest.mark.parametrize(
    "url", ["https::https://user:ghp_x@github.com/o/l.git", "https::https://ghp_x@github.com/o/l.git"]
)
def test_a_token_in_a_url_behind_a_transport_prefix_is_refused_too(tmp_path: Path, url: str) -> None:
    """git's '<transport>::<address>' form (git-remote-https given the address after '::') took a token in that
    address past config check: it went into the clone's .git/config and `digest publish --status` printed it. It is
    refused as in the plain https address, without the token in the line."""
    from digest.config import ConfigError

    with pytest.raises(ConfigError) as caught:
        make_settings(tmp_path / "data", f'[publish]\nrepository = "{url}"\n')
    (line,) = caught.value.problems
    assert "must not hold a user or token" in line and "ghp_x" not in line, line


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("author", "Bot\\u0000 <bot@example.org>"),
        ("author", "Bot <bot\\u0000@example.org>"),
        ("author", "Bot\\u001b[31m <bot@example.org>"),
        ("author", "Bot\\r <bot@example.org>"),
        ("author", "\\u202eBot <bot@example.org>"),
        ("path", "README\\u0000.md"),
        ("repository", "https://github.com/o/l.git\\u0000"),
    ],
)
def test_a_publish_setting_with_a_control_character_is_refused_in_one_line(
    tmp_path: Path, key: str, value: str
) -> None:
    """publish.author went into every commit as written, and path and repository to git as arguments: a NUL stopped
    each publish with a traceback ('embedded null byte'), and an escape sequence, a carriage return or a bidi
    override went into the commits' author, shown on the forge and by `git log` on a terminal. Each is refused in
    one line naming the setting, as a missing email is."""
    from digest.config import ConfigError

    repository = 'repository = "https://github.com/o/l.git"\n' if key != "repository" else ""
    config = f'[publish]\n{repository}{key} = "{value}"\n'
    with pytest.raises(ConfigError) as caught:
        make_settings(tmp_path / "data", config)
    (line,) = caught.value.problems
    assert f"publish.{key}" in line and line.isprintable(), line


@pytest.mark.parametrize("branch", ["main.lock", "main.", "lists/", "lists//main", ".hidden", "lists/.main"])
def test_a_branch_name_git_refuses_is_refused_by_config_check_in_one_line(tmp_path: Path, branch: str) -> None:
    """publish.branch = "main.lock" (or ending in '.' or '/', a part starting with '.', an empty part) passed config
    check, then every publish failed with "fatal: invalid refspec '+refs/heads/main.lock:...'", tried again for ever.
    Each is refused at config check in one line naming publish.branch, as a name with a space is."""
    from digest.config import ConfigError

    config = f'[publish]\nrepository = "https://github.com/o/l.git"\nbranch = "{branch}"\n'
    with pytest.raises(ConfigError) as caught:
        make_settings(tmp_path / "data", config)
    (line,) = caught.value.problems
    assert "publish.branch" in line and branch in line, line
    for usable in ("main", "release/2.0", "gh-pages", "v1.x_list"):
        assert make_settings(tmp_path / usable.replace("/", "-"), config.replace(branch, usable)).publish.enabled


def test_a_forges_address_without_its_scheme_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """publish.repository = "github.com/you/awesome-list" (the address as a browser shows it): git reads it as a path
    on this machine, which config check showed made absolute ('README.md of /srv/digest/github.com/you/awesome-list')
    and passed, and every publish failed with "'/srv/digest/github.com/you/awesome-list' does not appear to be a git
    repository". A local path that is no folder is refused in one line saying how a forge's address is written."""
    from digest.config import ConfigError

    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        make_settings(tmp_path / "data", '[publish]\nrepository = "github.com/you/awesome-list"\n')
    (line,) = caught.value.problems
    assert "publish.repository" in line and "https://github.com/owner/name.git" in line, line
    remote = make_remote(tmp_path)  # a repository on this machine, as a path: taken
    assert make_settings(tmp_path / "data", f'[publish]\nrepository = "{remote.bare}"\n').publish.enabled


def test_an_ssh_key_others_can_read_is_refused_in_one_line(tmp_path: Path) -> None:
    """DIGEST_GIT_SSH_KEY naming a key file of the service's user that others may read (0644: written by an editor,
    copied with a umask of 022): ssh ignores such a key ('UNPROTECTED PRIVATE KEY FILE'), so every publish failed
    with 'the repository refused the login: check that DIGEST_GIT_SSH_KEY is a key it accepts, with write access',
    and the maintainer checked a deploy key that was fine. It is refused in one line saying to chmod 600 it."""
    from digest.config import ConfigError

    key = tmp_path / "deploy_key"
    key.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n", encoding="utf-8")
    key.chmod(0o644)
    config = '[publish]\nrepository = "git@github.com:o/l.git"\n'
    with pytest.raises(ConfigError) as caught:
        make_settings(tmp_path / "data", config, {"DIGEST_GIT_SSH_KEY": str(key)})
    (line,) = caught.value.problems
    assert "DIGEST_GIT_SSH_KEY" in line and "0644" in line and f"chmod 600 {key}" in line, line
    key.chmod(0o600)
    assert make_settings(tmp_path / "data", config, {"DIGEST_GIT_SSH_KEY": str(key)}).publish.enabled


def test_a_title_naming_an_issue_or_a_person_closes_and_notifies_nobody_from_the_commit(
    remote: Remote, publish_settings: Settings, publish_database: Database
) -> None:
    """GitHub reads "fixes #1", "owner/name#2" and "@name" in a commit pushed to the default branch: a paper titled
    so closed the list's issue #1, marked another repository's issue and notified a stranger. The pull request's
    description was made inert; the commit message (commit mode, and the pull request's commits once merged) was not.
    Now the same zero-width joiner follows each '#' and '@' there, the title reading the same."""
    reviewer, publisher = services(publish_database, publish_settings)
    hostile = "Fixes #1 and closes octo/list#2: Steering @maintainer"
    approve(publish_database, reviewer, 0, title=hostile)
    assert publisher.publish().outcome == PUBLISHED
    message = remote.message_of_head()
    assert not re.search(r"[#@][A-Za-z0-9]", message), message
    assert message.replace("\u200d", "").count(hostile) == 2  # the subject and the paper's line in the body


def test_a_heading_edited_upstream_with_terminal_escapes_is_logged_without_them(
    remote: Remote, publish_settings: Settings, publish_database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """Edits brought back from the repository are logged entry by entry: titles were made one inert line, but the
    sections they were added to (or moved from and to) went into the log as written upstream, terminal escapes and
    all."""
    reviewer, publisher = services(publish_database, publish_settings)
    approve(publish_database, reviewer, 0)
    assert publisher.publish().outcome == PUBLISHED
    tool = next(line for line in remote.readme().splitlines() if line.startswith("## ") and "Tool" in line)
    added = (
        "### Hostile \x1b]0;pwned\x07\x1b[31m\u202eXX\n"
        "+ [A Paper Added By Hand](https://arxiv.org/abs/2501.00001) (Jan. 1, 2025)\n\n"
    )
    remote.push_edit(tool + "\n", added + tool + "\n", "A section of one's own")
    approve(publish_database, reviewer, 1)
    with caplog.at_level(logging.INFO, logger="digest.publish"):
        assert publisher.publish().outcome == PUBLISHED
    logged = [record.getMessage() for record in caplog.records if record.getMessage().startswith("publish:   + ")]
    assert logged and all("Hostile" in line for line in logged)
    assert not {"\x1b", "\x07", "\u202e"} & set(caplog.text)


def test_publish_status_reads_a_read_only_data_folder_with_one_warning(
    tmp_path: Path, remote: Remote, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest publish --status` on a data folder it may not write (a read-only mount, or a full disk) stopped with
    "cannot open the database", where `digest candidates` reads on with one warning; and never published, it wrote
    publishing's state even to show it. Now it reads the database as it stands, says why once, and shows the pending
    decision."""
    from digest.cli import main
    from tests.disk import READ_ONLY_WARNING, read_only_view

    data = tmp_path / "data"
    config = tmp_path / "digest.toml"
    config.write_text(publish_config(remote.url), encoding="utf-8")
    settings = make_settings(data, publish_config(remote.url))
    database = open_service_database(settings)
    reviewer = Reviewer(database, settings, clock=lambda: NOW)
    arxiv_id = approve(database, reviewer, 0)
    database.dispose()
    capsys.readouterr()
    with read_only_view(data, tmp_path / "read-only") as view:
        status = main(["--config", str(config), "--data-dir", str(view), "publish", "--status"])
        out, err = capsys.readouterr()
    assert status == 0, err
    assert "pending decisions: 1" in out and f"approve {arxiv_id}" in out and "last published: nothing yet" in out
    assert err.count("\n") == 1 and READ_ONLY_WARNING.match(err), err
    assert "Traceback" not in err


def test_an_arxiv_id_fixed_upstream_keeps_no_copy_of_the_list_file(
    remote: Remote, publish_settings: Settings, publish_database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A maintainer fixed a mistyped arXiv ID in the repository (what `digest list lint` points at): publishing brought
    the fix back and rewrote list.md, and kept the file before it as list.md.1 with a warning that the database had
    lost a paper ("a database restored from a backup?"). Each such fix pushed an older copy, maybe a real one, out of
    the three kept. An entry still there under its title with another link loses no paper: no copy, no warning."""
    from tests.git_remote import git

    _reviewer, publisher = services(publish_database, publish_settings)
    assert publisher.publish().outcome in (PUBLISHED, "unchanged")
    old = re.findall(r"arxiv\.org/abs/(\d{4}\.\d{5})", remote.readme())[3]
    new = old[:-1] + ("1" if old[-1] == "0" else "0")
    git(remote.work, "pull", "--quiet", "--ff-only", "origin", "main")
    readme = remote.work / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    git(remote.work, "commit", "--quiet", "-am", f"Fix the arXiv ID {old}")
    git(remote.work, "push", "--quiet", "origin", "HEAD:main")
    caplog.clear()
    publisher.publish()
    listing = publish_settings.list_markdown_path
    assert new in listing.read_text(encoding="utf-8") and old not in listing.read_text(encoding="utf-8")
    assert sorted(path.name for path in listing.parent.glob("list.md.*")) == []
    assert "restored from a backup" not in caplog.text


@pytest.mark.parametrize("flags", [["--dry-run"], ["--accept-upstream"], ["--dry-run", "--accept-upstream"]])
def test_publish_status_with_a_flag_of_a_run_is_a_usage_error_in_one_line(
    tmp_path: Path, remote: Remote, capsys: pytest.CaptureFixture[str], flags: list[str]
) -> None:
    """`digest publish --status --dry-run` (or --accept-upstream) showed the status and dropped the other flag without
    a word: whoever meant the dry run (or to take the upstream edit) was told nothing of it. Now a usage error."""
    from digest.cli import main

    config = tmp_path / "digest.toml"
    config.write_text(publish_config(remote.url), encoding="utf-8")
    head = remote.head()
    status = main(["--config", str(config), "--data-dir", str(tmp_path / "data"), "publish", "--status", *flags])
    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("digest publish: --status only shows"), err
    assert " ".join(flags) in err
    assert remote.head() == head


@pytest.mark.parametrize("path", ["README.md/", "docs/", "docs//README.md", "./"])
def test_a_publish_path_that_names_no_file_is_refused_in_one_line(tmp_path: Path, path: str) -> None:
    """`path = "README.md/"` (a slash left at the end, or a folder's) passed config check; every publish then stopped
    with 'README.md/ is not on branch main ..., which keeps a list in README.md: set publish.path = "README.md" ...,
    or commit README.md/ there first', a file git cannot have. It is refused where it is set, naming the setting."""
    from digest.config import ConfigError

    (tmp_path / "list.git").mkdir()  # a repository on this machine: its path alone is wrong
    with pytest.raises(ConfigError) as caught:
        make_settings(tmp_path / "data", f'[publish]\nrepository = "{tmp_path}/list.git"\npath = "{path}"\n')
    (problem,) = caught.value.problems
    assert "publish.path must be a file inside the repository" in problem and "\n" not in problem, problem
