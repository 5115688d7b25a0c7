"""Publishing over months of real use: hand edits beside pending approvals, a renamed branch, a killed git, a
failed first push, a protected branch, a reviewer's commit on the service's pull request, a force-push, Windows line
ends, and a forge that redirects. Each against a real bare repository (and the fake forge), as a maintainer meets it.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import cast

import pytest

from digest.config import Settings
from digest.publish.forge import Forge
from digest.publish.git_process import LOCAL_SECONDS
from digest.publish.publisher import BLOCKED, FAILED, PUBLISHED, UNCHANGED, Publisher
from digest.publish.pull_publisher import publisher_for
from digest.publish.store import read_status
from digest.review.reviewer import Reviewer
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.fake_forge import FakeForge
from tests.git_remote import ANN, NOW, TYPO_NEW, TYPO_OLD, Remote, git, publish_config
from tests.publishing import approve, push_bytes, rename_sparse_autoencoder
from tests.publishing import db as db  # the fixture
from tests.publishing import remote as remote  # the fixture
from tests.publishing import st as st  # the fixture

# The entry just below where real_papers()[0] is inserted (Sparse Autoencoder, by date).
NEIGHBOUR_OLD = "+ **SAE Analyzing Hierarchical Structure in VMs**"
NEIGHBOUR_NEW = "+ **SAE Analyzing Hierarchical Structure in ViTs**"
TOKEN = "ghp_PullRequestToken0987654321"
FIRST = "awesome-digest/updates-1"


def services(database: Database, settings: Settings) -> tuple[Reviewer, Publisher]:
    publisher = publisher_for(database, settings, clock=lambda: NOW)
    publisher.remember_base()
    return Reviewer(database, settings, clock=lambda: NOW), publisher


def push_hand_entry(
    remote: Remote, section: str, title: str, arxiv_id: str, page: str, subject: str = "a maintainer lists it by hand"
) -> None:
    """A maintainer's entry for a paper (its title line as written, an arXiv badge linking its `page`: abs or pdf),
    pushed upstream as the first entry of `section`."""
    text = remote.readme()
    heading = re.search(rf"^### .*{section}.*$", text, re.M)
    assert heading is not None
    at = text.index("\n+ ", heading.end()) + 1
    hand = (
        f"+ {title} (May. 23, 2025)\n"
        f"  [![arXiv](https://img.shields.io/badge/arXiv-b31b1b.svg)](https://arxiv.org/{page}/{arxiv_id})\n\n"
    )
    push_bytes(remote, (text[:at] + hand + text[at:]).encode(), subject)


def published_approval(database: Database, settings: Settings) -> tuple[Reviewer, Publisher, int, tuple[str, str]]:
    """A paper approved into its suggested section (Sparse Autoencoder) and published: the reviewer, the publisher,
    its candidate and (arXiv ID, title)."""
    reviewer, publisher = services(database, settings)
    paper = real_papers()[0]
    candidate = insert_candidate(database, paper)
    reviewer.decide(candidate, "approve", ANN)
    assert publisher.publish().outcome == PUBLISHED
    return reviewer, publisher, candidate, (str(paper["arxiv_id"]), str(paper["title"]))


def cli(tmp_path: Path, *args: str) -> int:
    from digest.cli import main

    return main(["--config", str(tmp_path / "data-config.toml"), "--data-dir", str(tmp_path / "data"), *args])


# 1 ------------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("edit", ["neighbour-entry", "crlf"])
def test_an_upstream_edit_beside_a_pending_approval_is_published_with_it(
    edit: str, remote: Remote, st: Settings, db: Database
) -> None:
    """The line merge meets the approval's lines (a fix of the entry next to it, a file re-saved with CRLF line
    ends); the approval is made again on the upstream file, and both arrive."""
    reviewer, publisher = services(db, st)
    arxiv_id = approve(db, reviewer, 0)
    if edit == "neighbour-entry":
        remote.push_edit(NEIGHBOUR_OLD, NEIGHBOUR_NEW)
    else:
        push_bytes(remote, remote.readme().replace("\n", "\r\n").encode(), "crlf")
    result = publisher.publish()
    assert result.outcome == PUBLISHED, result.message
    data = subprocess.run(
        ["git", "-C", str(remote.bare), "show", "main:README.md"], capture_output=True, check=True
    ).stdout
    text = data.decode("utf-8")
    assert arxiv_id in text and text.count(f"arxiv.org/abs/{arxiv_id}") == 2  # one entry: title link and badge
    if edit == "neighbour-entry":
        assert NEIGHBOUR_NEW in text and NEIGHBOUR_OLD not in text
    else:
        assert data.count(b"\n") == data.count(b"\r\n")  # no LF-only line, the new entry's included
    assert publisher.publish().outcome == UNCHANGED


LAST_OLD = "+ **SAE 4 LMM** [Large Multi-modal Models Can Interpret"  # Sparse Autoencoder's last entry (Nov. 22, 2024)
LAST_NEW = "+ **SAE for LMMs** [Large Multi-modal Models Can Interpret"


def test_an_approval_at_a_sections_end_beside_an_upstream_fix_of_the_last_entry_is_published_with_it(
    remote: Remote, st: Settings, db: Database
) -> None:
    """A paper older than every entry of its section goes at the section's end, under its last entry and above the rule
    that closes the section; a maintainer fixed that last entry upstream meanwhile. Both arrive: the fix as pushed, the
    approval right under it (not above it, not after the rule, not over the fix)."""
    reviewer, publisher = services(db, st)
    arxiv_id = approve(db, reviewer, 0, published=datetime(2023, 1, 5, tzinfo=UTC))
    remote.push_edit(LAST_OLD, LAST_NEW)
    result = publisher.publish()
    assert result.outcome == PUBLISHED, result.message
    text = remote.readme()
    assert LAST_NEW in text and LAST_OLD not in text
    section = text[text.index("Sparse Autoencoder\n") : text.index(" Probing\n")]
    blocks = section.split("\n\n")
    last, added, rule = blocks[-3:]
    assert last.startswith(LAST_NEW) and "multimodal-sae" in last
    assert added.startswith("+ [") and f"(https://arxiv.org/abs/{arxiv_id}) (Jan. 5, 2023)" in added
    assert rule.startswith("-----") and text.count(f"arxiv.org/abs/{arxiv_id}") == 2
    assert publisher.publish().outcome == UNCHANGED


def test_when_both_sides_edited_the_same_lines_following_the_message_unblocks_publishing(
    tmp_path: Path, remote: Remote, st: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list here holds an edit of its own (brought in with `digest list import`) where upstream has another:
    publishing stops and says to import the upstream file and approve again; done back to back, that works."""
    for name in ("DIGEST_CONFIG", "DIGEST_DATA_DIR", "DIGEST_DATABASE_URL", "DIGEST_GIT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    reviewer, publisher = services(db, st)
    arxiv_id = approve(db, reviewer, 0)
    local = tmp_path / "local.md"
    local.write_text(
        st.list_markdown_path.read_text(encoding="utf-8").replace(NEIGHBOUR_OLD, "+ **SAE Hierarchies in ViTs**"),
        encoding="utf-8",
    )
    assert cli(tmp_path, "list", "import", str(local)) == 0
    remote.push_edit(NEIGHBOUR_OLD, NEIGHBOUR_NEW)
    blocked = publisher.publish()
    assert blocked.outcome == BLOCKED and "digest list import" in blocked.message, blocked.message
    upstream = tmp_path / "upstream.md"
    upstream.write_text(remote.readme(), encoding="utf-8")
    assert cli(tmp_path, "list", "import", str(upstream)) == 0
    assert cli(tmp_path, "approve", arxiv_id) == 0
    after = publisher.publish()
    assert after.outcome == PUBLISHED, after.message
    assert arxiv_id in remote.readme() and NEIGHBOUR_NEW in remote.readme()


def test_a_removal_whose_entry_was_edited_upstream_says_what_to_do_and_that_works(
    tmp_path: Path, remote: Remote, st: Settings, db: Database
) -> None:
    """A reviewer took a published paper out while a maintainer fixed its entry upstream. Publishing stopped with
    "the list here holds edits of its own; ... then approve the pending papers again": neither true, and approving
    would put back the paper the reviewer took out. The line now names the paper and what to do with it."""
    reviewer, publisher = services(db, st)
    paper = real_papers()[0]
    candidate = insert_candidate(db, paper)
    reviewer.decide(candidate, "approve", ANN)
    assert publisher.publish().outcome == PUBLISHED
    arxiv_id, title = str(paper["arxiv_id"]), str(paper["title"])
    reviewer.decide(candidate, "revert", ANN)
    remote.push_edit(f"[{title}]", f"**SAE Steering** [{title}]", "Give the entry a short name")
    blocked = publisher.publish()
    assert blocked.outcome == BLOCKED, blocked.message
    assert arxiv_id in blocked.message and "approve" not in blocked.message, blocked.message
    assert "take its entry out of README.md there by hand" in blocked.message, blocked.message
    lines = remote.readme().splitlines(keepends=True)
    at = next(index for index, line in enumerate(lines) if "**SAE Steering**" in line)
    push_bytes(remote, "".join(lines[:at] + lines[at + 3 :]).encode(), "Take the entry out")  # its lines, blank too
    remote.push_edit(TYPO_OLD, TYPO_NEW)
    assert publisher.publish().outcome in (PUBLISHED, UNCHANGED)
    assert arxiv_id not in remote.readme() and TYPO_NEW in remote.readme()
    assert arxiv_id not in st.list_markdown_path.read_text(encoding="utf-8")
    assert read_status(db, st.templates_dir).pending == []


def test_an_approval_into_a_section_deleted_upstream_says_what_to_do(
    remote: Remote, st: Settings, db: Database
) -> None:
    """The section a pending approval goes into was deleted upstream: the line said the list here holds edits of its
    own (it did not); it now names the paper and the section the file there no longer has."""
    reviewer, publisher = services(db, st)
    text = remote.readme()
    start = re.search(r"^### .*Sparse Autoencoder\n", text, re.M)
    end = re.search(r"^### .*Probing\n", text, re.M)
    assert start is not None and end is not None
    toc = "  - [Sparse Autoencoder](#-sparse-autoencoder)\n"
    push_bytes(remote, (text[: start.start()] + text[end.start() :]).replace(toc, "").encode(), "Drop a section")
    arxiv_id = approve(db, reviewer, 0)
    blocked = publisher.publish()
    assert blocked.outcome == BLOCKED, blocked.message
    assert "holds edits of its own" not in blocked.message, blocked.message
    said = f"{arxiv_id} was approved into Sparse Autoencoder, a section README.md there no longer has"
    assert said in blocked.message and "digest approve" in blocked.message, blocked.message


# 2 ------------------------------------------------------------------------------------------------------------------
def test_a_renamed_default_branch_is_not_recreated_as_an_unrelated_history(
    remote: Remote, st: Settings, db: Database
) -> None:
    reviewer, publisher = services(db, st)
    approve(db, reviewer, 0)
    assert publisher.publish().outcome == PUBLISHED
    git(remote.bare, "branch", "-m", "main", "trunk")  # the maintainers rename the default branch on the forge
    git(remote.bare, "symbolic-ref", "HEAD", "refs/heads/trunk")
    approve(db, reviewer, 1)
    result = publisher.publish()
    created = subprocess.run(
        ["git", "-C", str(remote.bare), "rev-parse", "--verify", "-q", "main"], capture_output=True, text=True
    ).stdout.strip()
    parents = git(remote.bare, "log", "-1", "--format=%P", created).strip() if created else "n/a"
    assert not created, f"publish {result.outcome!r} re-created main as a root commit (parents: {parents!r})"
    assert result.outcome == FAILED and "main" in result.message


def test_a_renamed_default_branch_is_named_in_the_line(remote: Remote, st: Settings, db: Database) -> None:
    """The maintainers renamed main to trunk on the forge: every publish said 'branch main is gone ...; if it was
    renamed, set publish.branch to its new name', leaving the maintainer to find the name. The repository says which
    branch is its default now: the line names it, and set so, publishing goes on."""
    reviewer, publisher = services(db, st)
    approve(db, reviewer, 0)
    assert publisher.publish().outcome == PUBLISHED
    git(remote.bare, "branch", "-m", "main", "trunk")
    git(remote.bare, "symbolic-ref", "HEAD", "refs/heads/trunk")
    second = approve(db, reviewer, 1)
    result = publisher.publish()
    assert result.outcome == FAILED and 'set publish.branch = "trunk"' in result.message, result.message
    renamed = make_settings(st.data_dir, publish_config(remote.url) + 'branch = "trunk"\n')
    assert Publisher(db, renamed, clock=lambda: NOW).publish().outcome == PUBLISHED
    assert second in git(remote.bare, "show", "trunk:README.md")


# 3 ------------------------------------------------------------------------------------------------------------------
def test_a_stale_index_lock_from_a_killed_publish_is_cleared_and_a_young_one_named(
    remote: Remote, st: Settings, db: Database
) -> None:
    """`kill -9` of the service (or `docker kill`) during a git command leaves the clone's index.lock behind. One
    older than any git command may run is removed; a younger one may be another publish at work: the failure names
    the file (git's fatal line is kept)."""
    reviewer, publisher = services(db, st)
    approve(db, reviewer, 0)
    assert publisher.publish().outcome == PUBLISHED
    lock = st.data_dir / "publish" / "clone" / ".git" / "index.lock"
    lock.write_bytes(b"")
    second = approve(db, reviewer, 1)
    young = publisher.publish()
    assert young.outcome == FAILED and "index.lock': File exists" in young.message
    long_ago = time.time() - LOCAL_SECONDS - 60
    os.utime(lock, (long_ago, long_ago))
    assert publisher.publish().outcome == PUBLISHED
    assert second in remote.readme() and not lock.exists()


# 4 ------------------------------------------------------------------------------------------------------------------
def test_a_failed_first_push_to_an_empty_repository_is_retried(tmp_path: Path, remote: Remote) -> None:
    empty = tmp_path / "empty.git"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(empty))
    deny = tmp_path / "deny"
    hook = empty / "hooks" / "pre-receive"  # stands for any failed first push: no push right yet, network, ...
    hook.write_text(f"#!/bin/sh\nif [ -e {deny} ]; then echo 'permission denied' >&2; exit 1; fi\n")
    hook.chmod(0o755)
    deny.write_text("")
    settings = make_settings(tmp_path / "data2", publish_config(empty.as_uri()))
    database = open_service_database(settings)
    try:
        reviewer, publisher = services(database, settings)
        approve(database, reviewer, 0)
        assert publisher.publish().outcome == FAILED
        deny.unlink()  # the token is fixed / the network is back
        result = publisher.publish()
        assert result.outcome == PUBLISHED, (
            result.message
        )  # today: "a branch named 'digest-publish-new' already exists"
    finally:
        database.dispose()


# 5 ------------------------------------------------------------------------------------------------------------------
def test_a_push_refused_by_branch_protection_reports_why(remote: Remote, st: Settings, db: Database) -> None:
    hook = remote.bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'GH006: Protected branch update failed for refs/heads/main.' >&2; exit 1\n")
    hook.chmod(0o755)
    reviewer, publisher = services(db, st)
    approve(db, reviewer, 0)
    result = publisher.publish()
    status = read_status(db, st.templates_dir)
    assert result.outcome == FAILED
    assert "protected" in (status.last_error or "").lower(), status.last_error  # today: "rejected 4 times in a row"


def test_a_long_refusal_keeps_what_to_do_at_the_end_of_its_line(remote: Remote, st: Settings, db: Database) -> None:
    """A forge's refusal as GitHub words it (a rule's name, then what the rule requires, 250 characters) made the line
    longer than the 400 characters kept, so its end, what to do, was cut mid-word ('let the service's account push to
    main there (or'). The remote's words are cut instead, and the line ends with what to do."""
    hook = remote.bare / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\necho 'error: GH006: Protected branch update failed for refs/heads/main.' >&2\n"
        "echo 'error: Changes must be made through a pull request. 2 of 2 required status checks are expected. At "
        "least 1 approving review is required by reviewers with write access. Cannot force-push to this branch.' >&2\n"
        "exit 1\n"
    )
    hook.chmod(0o755)
    reviewer, publisher = services(db, st)
    approve(db, reviewer, 0)
    result = publisher.publish()
    status = read_status(db, st.templates_dir)
    assert result.outcome == FAILED and "GH006: Protected branch" in result.message, result.message
    for line in (result.message, status.last_error or ""):
        assert line.endswith('(or set publish.mode = "pull-request"), then run `digest publish`'), line


def test_what_a_refusing_hook_says_reaches_the_log_without_its_terminal_controls(
    remote: Remote, st: Settings, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A hook's refusal is kept in the line, and git (before 2.47) passes the remote's escape sequences through: the
    log line (and `digest publish` on a terminal) carried ESC and BEL, which recolour the terminal or retitle its
    window, and a bidi override that turns the rest of the line around. They are blanked, the words kept."""
    hook = remote.bare / "hooks" / "pre-receive"
    said = "GH006: \\033[31mProtected\\033[0m branch \\033]0;pwned\\007 update \\342\\200\\256failed"
    hook.write_text(f"#!/bin/sh\nprintf '{said}\\n' >&2; exit 1\n")
    hook.chmod(0o755)
    reviewer, publisher = services(db, st)
    approve(db, reviewer, 0)
    with caplog.at_level("ERROR", logger="digest.publish"):
        result = publisher.publish()
    assert result.outcome == FAILED and "Protected" in result.message and "pwned" in result.message, result.message
    for line in [result.message, *(record.getMessage() for record in caplog.records)]:
        assert not any(ch in line for ch in "\x1b\x07\u202e"), repr(line)


# 6 ------------------------------------------------------------------------------------------------------------------
def test_a_maintainers_commit_on_the_open_pull_request_is_kept(tmp_path: Path, remote: Remote) -> None:
    with FakeForge(remote.bare.parent.name, "remote", TOKEN) as forge:
        config = publish_config(remote.url) + f'mode = "pull-request"\napi_url = "{forge.url}"\n'
        settings = make_settings(tmp_path / "pr-data", config, {"DIGEST_GIT_TOKEN": TOKEN})
        database = open_service_database(settings)
        try:
            reviewer, publisher = services(database, settings)
            approve(database, reviewer, 0)
            assert publisher.publish().outcome == PUBLISHED
            # a reviewer applies a suggestion on the pull request's branch
            git(remote.work, "fetch", "-q", "origin", FIRST)
            git(remote.work, "checkout", "-q", "-B", "pr", "FETCH_HEAD")
            readme = remote.work / "README.md"
            readme.write_text(readme.read_text(encoding="utf-8").replace(TYPO_OLD, TYPO_NEW), encoding="utf-8")
            git(remote.work, "commit", "-qam", "Apply suggestion from review")
            git(remote.work, "push", "-q", "origin", f"HEAD:{FIRST}")
            git(remote.work, "checkout", "-q", "main")
            second = approve(database, reviewer, 1)
            assert publisher.publish().outcome == PUBLISHED
        finally:
            database.dispose()
    on_branch = git(remote.bare, "show", f"{FIRST}:README.md")
    assert second in on_branch
    assert TYPO_NEW in on_branch, "the service's update silently undid the maintainer's commit on the PR branch"


# 7 ------------------------------------------------------------------------------------------------------------------
class _Answering(BaseHTTPRequestHandler):
    seen: list[str | None]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.seen.append(self.headers.get("Authorization"))
        body = b"[]"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _serving(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_the_forge_token_follows_a_redirect_only_on_the_forges_own_origin(host: str) -> None:
    """A renamed repository answers with a redirect on the forge itself (the token goes along); a redirect to
    another host must never carry it there."""
    seen: list[str | None] = []
    target = _serving(type("Target", (_Answering,), {"seen": seen}))
    forge_port: list[int] = []

    class Redirecting(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            if self.path.startswith("/moved"):
                _Answering.do_GET(cast(_Answering, self))
                return
            port = target.server_address[1] if host == "localhost" else forge_port[0]
            where = "" if host == "localhost" else "/moved"
            self.send_response(301)
            self.send_header("Location", f"http://{host}:{port}{where}{self.path}")
            self.send_header("Content-Length", "0")
            self.end_headers()

    Redirecting.seen = seen  # type: ignore[attr-defined]
    forge_server = _serving(Redirecting)
    forge_port.append(forge_server.server_address[1])
    try:
        forge = Forge(f"http://127.0.0.1:{forge_server.server_address[1]}", "owner", "list", TOKEN)
        assert forge.pulls("awesome-digest/updates-1", "all") == []
    finally:
        for server in (forge_server, target):
            server.shutdown()
            server.server_close()
    assert seen == ([None] if host == "localhost" else [f"Bearer {TOKEN}"])


# 8 ------------------------------------------------------------------------------------------------------------------
def test_a_force_push_that_drops_the_services_commit_is_not_taken_silently(
    remote: Remote, st: Settings, db: Database
) -> None:
    reviewer, publisher = services(db, st)
    first = approve(db, reviewer, 0)
    assert publisher.publish().outcome == PUBLISHED
    git(remote.work, "fetch", "-q", "origin")
    git(remote.work, "reset", "-q", "--hard", "origin/main~1")  # history rewritten from before the bot's commit
    readme = remote.work / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8").replace(TYPO_OLD, TYPO_NEW), encoding="utf-8")
    git(remote.work, "commit", "-qam", "Rewrite")
    git(remote.work, "push", "-q", "--force", "origin", "HEAD:main")
    approve(db, reviewer, 1)
    result = publisher.publish()
    # Merged from the commit both histories share: the approval the rewrite dropped comes back, the rewrite's edit
    # stays. (Measured from the last sync, the dropped paper read as taken out by hand, without a word.)
    assert result.outcome == PUBLISHED, result.message
    assert first in remote.readme() and TYPO_NEW in remote.readme()
    assert first in st.list_markdown_path.read_text(encoding="utf-8")


def test_a_history_rewritten_from_scratch_says_how_to_go_on_and_that_works(
    tmp_path: Path, remote: Remote, st: Settings, db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    """A maintainer squashed the branch into one new commit (no commit shared with the last sync). Publishing stopped
    and said to bring the file in with `digest list import`, but after that it stopped the same way for ever (the
    last synced commit never changed). It now names `digest publish --accept-upstream`, which merges the rewritten
    file as an edit of the last synced one, and publishing goes on."""
    reviewer, publisher = services(db, st)
    first = approve(db, reviewer, 0)
    assert publisher.publish().outcome == PUBLISHED
    git(remote.work, "pull", "--quiet", "--ff-only", "origin", "main")
    git(remote.work, "checkout", "--quiet", "--orphan", "squashed")
    readme = remote.work / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8").replace(TYPO_OLD, TYPO_NEW), encoding="utf-8")
    git(remote.work, "commit", "--quiet", "-am", "Squash the history")
    git(remote.work, "push", "--quiet", "--force", "origin", "HEAD:main")
    second = approve(db, reviewer, 1)
    blocked = publisher.publish()
    assert blocked.outcome == BLOCKED and "`digest publish --accept-upstream`" in blocked.message, blocked.message
    assert remote.commits() == ["Squash the history"]
    capsys.readouterr()
    assert cli(tmp_path, "publish", "--accept-upstream") == 0
    assert capsys.readouterr().out.startswith("published "), "the pending approval is pushed"
    text = remote.readme()
    assert first in text and second in text and TYPO_NEW in text and TYPO_OLD not in text
    assert remote.commits()[1:] == ["Squash the history"]
    assert cli(tmp_path, "publish") == 0
    assert capsys.readouterr().out.strip() == "README.md is up to date"


# 9 ------------------------------------------------------------------------------------------------------------------
def test_a_paper_added_to_a_second_section_is_not_called_a_move(remote: Remote, st: Settings, db: Database) -> None:
    reviewer, publisher = services(db, st)
    paper = real_papers()[0]
    arxiv_id = str(paper["arxiv_id"])
    push_hand_entry(remote, "Steering", f"[{paper['title']}](https://arxiv.org/abs/{arxiv_id})", arxiv_id, "abs")
    approve(db, reviewer, 0)  # approved into Sparse Autoencoder as well
    assert publisher.publish().outcome == PUBLISHED
    assert remote.readme().count(f"+ [{paper['title']}](https://arxiv.org/abs/{arxiv_id})") == 2  # in both sections
    assert remote.commits()[0].startswith("Add 1 paper"), remote.commits()[0]  # today: "Move 1 paper: ..."


def test_a_paper_a_maintainer_listed_by_hand_then_approved_into_that_section_is_not_listed_twice(
    remote: Remote, st: Settings, db: Database
) -> None:
    """A maintainer added a paper by hand upstream (linking its pdf, with a short name) while nothing was pending, so
    the service did not know it; the poll then found the paper and a reviewer approved it into the same section.
    The line merge kept both entries: the section listed the paper twice. The hand entry now stands for the approval
    (as an approval of a paper the list holds leaves it as is) and nothing is pushed."""
    reviewer, publisher = services(db, st)
    assert publisher.publish().outcome == UNCHANGED  # the first sync
    paper = real_papers()[0]
    arxiv_id = str(paper["arxiv_id"])
    title = f"**SAE-Steer** [{paper['title']}](https://arxiv.org/pdf/{arxiv_id})"
    push_hand_entry(remote, "Sparse Autoencoder", title, arxiv_id, "pdf", "A maintainer lists it by hand")
    approve(db, reviewer, 0)  # into Sparse Autoencoder, where the hand entry is
    result = publisher.publish()
    assert result.outcome == UNCHANGED, result.message
    assert remote.readme().count(arxiv_id) == 2, "one entry: its title link and its badge"
    assert remote.commits()[0] == "A maintainer lists it by hand"
    assert st.list_markdown_path.read_text(encoding="utf-8") == remote.readme()
    assert read_status(db, st.templates_dir).pending == []


# 10 -----------------------------------------------------------------------------------------------------------------
def test_an_entry_added_to_a_crlf_file_uses_its_line_ends(remote: Remote, st: Settings, db: Database) -> None:
    reviewer, publisher = services(db, st)
    push_bytes(remote, remote.readme().replace("\n", "\r\n").encode(), "crlf")
    publisher.publish()
    approve(db, reviewer, 0)
    assert publisher.publish().outcome == PUBLISHED
    data = subprocess.run(
        ["git", "-C", str(remote.bare), "show", "main:README.md"], capture_output=True, check=True
    ).stdout
    lf_only = data.count(b"\n") - data.count(b"\r\n")
    assert lf_only == 0, f"{lf_only} LF-only lines in a CRLF file"


# 11 -----------------------------------------------------------------------------------------------------------------
def test_a_move_whose_old_entry_was_edited_upstream_is_published_with_the_edit(
    remote: Remote, st: Settings, db: Database
) -> None:
    """A reviewer moved a published paper into another section while a maintainer gave its entry a short name
    upstream. Publishing stopped with "the list here holds edits of its own; ... approve the pending papers again",
    and approving it again into the same section changes nothing. The move is now made on the upstream file: the
    entry leaves its old section there and goes into the new one as the maintainer wrote it."""
    reviewer, publisher, candidate, (arxiv_id, title) = published_approval(db, st)
    remote.push_edit(f"[{title}]", f"**SAE Steering** [{title}]", "Give the entry a short name")
    reviewer.decide(candidate, "approve", ANN, "Steering")
    result = publisher.publish()
    assert result.outcome == PUBLISHED, result.message
    text = remote.readme()
    steering = text[re.search(r"^### .*Steering", text, re.M).start() :]  # type: ignore[union-attr]
    steering = steering[: steering.index("\n### ")]
    assert f"+ **SAE Steering** [{title}](https://arxiv.org/abs/{arxiv_id})" in steering
    assert text.count(f"[{title}]") == 1 and text.count(arxiv_id) == 2  # one entry: its title link and its badge
    assert remote.commits()[0].startswith("Move 1 paper"), remote.commits()[0]
    assert st.list_markdown_path.read_text(encoding="utf-8") == text
    assert read_status(db, st.templates_dir).pending == []
    assert publisher.publish().outcome == UNCHANGED


@pytest.mark.parametrize("follow", ["move-by-hand", "approve-again"])
@pytest.mark.parametrize("beside", ["an-edit-beside", "no-other-edit"])
def test_a_move_the_list_there_made_otherwise_says_what_to_do_and_that_works(
    beside: str, follow: str, remote: Remote, st: Settings, db: Database
) -> None:
    """A reviewer moved a published paper into Steering; upstream a maintainer moved its entry into Probing (and fixed
    the entry beside where it goes in Steering, so the lines meet, or touched no other line). Which move stands is
    the maintainers' call: the line names the paper and where each put it; moving the entry by hand there, or
    approving it again into Probing, lets publishing go on. With no other line touched, the line merge went through
    and pushed the paper in both sections without a word."""
    reviewer, publisher, candidate, (arxiv_id, title) = published_approval(db, st)

    def move_upstream(into: str, edit: tuple[str, str] | None = None) -> None:
        lines = remote.readme().splitlines(keepends=True)
        at = next(index for index, line in enumerate(lines) if f"[{title}]" in line)
        entry = [line.replace(f"[{title}]", f"**SAE Steer** [{title}]") for line in lines[at : at + 3]]
        rest = lines[:at] + lines[at + 3 :]
        heading = next(index for index, line in enumerate(rest) if re.match(rf"^### .*{into}", line))
        text = "".join(rest[: heading + 2] + entry + rest[heading + 2 :]).replace(
            "**SAE Steer** **SAE Steer**", "**SAE Steer**"
        )
        push_bytes(remote, (text.replace(*edit) if edit else text).encode(), f"Move it into {into}")

    edit = (
        ("**Diffusion Steering Lens Decoding ViTs**", "**DSL Decoding ViTs**") if beside == "an-edit-beside" else None
    )
    move_upstream("Probing", edit)
    reviewer.decide(candidate, "approve", ANN, "Steering")
    blocked = publisher.publish()
    assert blocked.outcome == BLOCKED, blocked.message
    assert remote.commits()[0] == "Move it into Probing" and remote.readme().count(f"[{title}]") == 1
    assert "holds edits of its own" not in blocked.message, blocked.message
    said = f"{arxiv_id} was moved here into Steering, and README.md there lists it in Probing: move its entry into"
    assert said in blocked.message, blocked.message
    into = "Steering" if follow == "move-by-hand" else "Probing"
    if follow == "move-by-hand":
        move_upstream(into)
    else:
        reviewer.decide(candidate, "approve", ANN, into)
    assert publisher.publish().outcome in (PUBLISHED, UNCHANGED)
    text = remote.readme()
    section = text[re.search(rf"^### .*{into}", text, re.M).start() :]  # type: ignore[union-attr]
    assert f"**SAE Steer** [{title}]" in section[: section.index("\n### ")]
    assert text.count(f"[{title}]") == 1 and ("**DSL Decoding ViTs**" in text) == (edit is not None)
    assert st.list_markdown_path.read_text(encoding="utf-8") == text
    assert read_status(db, st.templates_dir).pending == []


# 12 -----------------------------------------------------------------------------------------------------------------
def test_a_commit_names_the_section_as_renamed_upstream(remote: Remote, st: Settings, db: Database) -> None:
    """A pending approval into Sparse Autoencoder, renamed Sparse Autoencoders upstream meanwhile: the paper goes into
    the renamed section, and the commit message said 'Sparse Autoencoder', a section the file no longer has."""
    reviewer, publisher = services(db, st)
    assert publisher.publish().outcome == UNCHANGED  # the first sync
    arxiv_id = approve(db, reviewer, 0)  # into Sparse Autoencoder
    rename_sparse_autoencoder(remote)
    assert publisher.publish().outcome == PUBLISHED
    text = remote.readme()
    renamed = text[re.search(r"^### .*Sparse Autoencoders$", text, re.M).start() :]  # type: ignore[union-attr]
    assert arxiv_id in renamed[: renamed.index("\n### ")]
    message = remote.message_of_head()
    assert message.startswith("Add 1 paper: ") and message.splitlines()[0].endswith("(Sparse Autoencoders)"), message
    assert "(Sparse Autoencoders): https://arxiv.org/abs/" in message, message
    assert "(Sparse Autoencoder)" not in message, message
