"""Publishing over months of real use, what the remote and the forge do: a push refused (a protected branch, a long
refusal, a hook's terminal controls), a maintainer's commit on the open pull request, a forge that redirects."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import cast

import pytest

from digest.cli import main
from digest.config import Settings
from digest.config.invocation import same_invocation
from digest.publish.forge import Forge
from digest.publish.publisher import FAILED, PUBLISHED
from digest.publish.store import read_status
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from tests.conftest import make_settings
from tests.fake_forge import FakeForge
from tests.git_remote import TYPO_NEW, TYPO_OLD, Remote, git, publish_config
from tests.printed import printed_command
from tests.publish_pull import FIRST, TOKEN
from tests.publishing import approve, services
from tests.publishing import db as db  # the fixture
from tests.publishing import remote as remote  # the fixture
from tests.publishing import st as st  # the fixture


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


def test_a_long_refusal_keeps_what_to_do_at_the_end_of_its_line(
    remote: Remote, st: Settings, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
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
    arxiv_id = approve(db, reviewer, 0)
    result = publisher.publish()
    status = read_status(db, st.templates_dir)
    assert result.outcome == FAILED and "GH006: Protected branch" in result.message, result.message
    for line in (result.message, status.last_error or ""):
        assert line.endswith(f'(or set publish.mode = "pull-request"), then run `{same_invocation(st, "publish")}`'), (
            line
        )
    # Run as printed once the forge takes the push, from another folder: it publishes the service's approval (it was
    # the bare `digest publish`, which there publishes ./data's list, if any).
    hook.unlink()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(printed_command(result.message, "publish")[1:]) == 0
    assert read_status(db, st.templates_dir).last_error is None
    assert arxiv_id in remote.readme()


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
