"""The service's clone beside the operator's own ~/.gitconfig (the service often runs as a maintainer's user): what
that file says for their own work must not run their tools in the service's clone, nor send a fetch and push that
carry the service's token where the token does not go; without a token their setup is the service's login."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from digest.publish.publisher import PUBLISHED, Publisher
from digest.review.reviewer import Reviewer
from digest.service.wiring import open_service_database
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.git_http import GitHttpServer, backend_path
from tests.git_remote import ANN, NOW, git, make_remote, publish_config
from tests.publishing import git_home

TOKEN = "ghp_GitconfigToken99887766554433"


def _approve_and_publish(
    tmp_path: Path, url: str, environ: dict[str, str] | None = None, title: str | None = None
) -> tuple[str, str]:
    """Publishes one approval to `url` (of a paper titled `title` if given): (its outcome and message, the approved
    paper's arXiv ID)."""
    settings = make_settings(tmp_path / "data", publish_config(url), environ or {})
    database = open_service_database(settings)
    try:
        publisher = Publisher(database, settings, clock=lambda: NOW)
        publisher.remember_base()
        paper = {**real_papers()[0], **({"title": title} if title else {})}
        Reviewer(database, settings, clock=lambda: NOW).decide(insert_candidate(database, paper), "approve", ANN)
        result = publisher.publish()
    finally:
        database.dispose()
    return f"{result.outcome}: {result.message}", str(paper["arxiv_id"])


def test_the_operators_fsmonitor_never_runs_and_their_own_address_rewrite_is_their_login(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A maintainer's `core.fsmonitor` hook ran in the service's clone. Their `url.<base>.insteadOf` (how many reach a
    forge by ssh with the keys they have, with no token given to the service) still applies: here it alone leads the
    configured address to the repository."""
    remote = make_remote(tmp_path)
    ran = tmp_path / "fsmonitor-ran"
    hook = tmp_path / "fsmonitor-hook"
    hook.write_text(f"#!/bin/sh\ntouch {ran}\nexit 1\n")
    hook.chmod(0o755)
    configured = "https://git.example.invalid/list.git"
    git_home(tmp_path, monkeypatch, f'[url "{remote.url}"]\n\tinsteadOf = {configured}\n[core]\n\tfsmonitor = {hook}\n')
    outcome, arxiv_id = _approve_and_publish(tmp_path, configured)
    assert outcome.startswith(f"{PUBLISHED}:"), outcome
    assert arxiv_id in remote.readme()
    assert not ran.exists(), "the operator's fsmonitor hook ran in the service's clone"


@pytest.mark.skipif(backend_path() is None, reason="git-http-backend is not installed")
def test_an_address_rewrite_does_not_take_the_services_token_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With DIGEST_GIT_TOKEN set, the operator's rewrite of the forge's address (`insteadOf`, `pushInsteadOf`) sent the
    service's fetch and push where the token is no login: they go to the configured address, with the token."""
    remote = make_remote(tmp_path)
    elsewhere = (tmp_path / "elsewhere").as_uri()
    with GitHttpServer(tmp_path, TOKEN) as server:
        url = server.url("remote.git")
        base = url.rsplit("/", 1)[0] + "/"
        git_home(tmp_path, monkeypatch, f'[url "{elsewhere}/"]\n\tinsteadOf = {base}\n\tpushInsteadOf = {base}\n')
        outcome, arxiv_id = _approve_and_publish(tmp_path, url, {"DIGEST_GIT_TOKEN": TOKEN})
    assert outcome.startswith(f"{PUBLISHED}:"), outcome
    assert arxiv_id in remote.readme()
    assert server.expected in server.authorizations and any("git-receive-pack" in path for path in server.paths)


def _git_of_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str, *, old: bool = True) -> None:
    """`git` on PATH answering `--version` with `version` and, when `old`, blind to GIT_CONFIG_COUNT as every git
    before 2.31 is (the settings the service gives its own clone through the environment); the real git does the
    work."""
    folder = tmp_path / "old-git"
    folder.mkdir()
    wrapper = folder / "git"
    wrapper.write_text(
        f'#!/bin/sh\nif [ "$1" = "--version" ]; then echo "git version {version}"; exit 0; fi\n'
        f'{"unset GIT_CONFIG_COUNT" if old else ""}\nexec /usr/bin/git "$@"\n'
    )
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")


def test_a_git_too_old_for_the_services_own_settings_is_named_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """git before 2.31 (Debian 11's 2.30.2, Ubuntu 20.04's 2.25.1) ignores the settings the service gives its clone
    through the environment: the operator's commit signing failed every publish with gpg's words (and a token went
    unsent, 'set DIGEST_GIT_TOKEN'). The line now names the git found and the version needed; nothing is pushed."""
    remote = make_remote(tmp_path)
    before = remote.head()
    git_home(tmp_path, monkeypatch, "[commit]\n\tgpgSign = true\n[gpg]\n\tprogram = /bin/false\n")
    _git_of_version(tmp_path, monkeypatch, "2.30.2")
    outcome, _arxiv_id = _approve_and_publish(tmp_path, remote.url)
    assert outcome.startswith("failed: "), outcome
    assert "git 2.30.2" in outcome and "2.31 or newer" in outcome, outcome
    assert "gpg" not in outcome, outcome
    assert remote.head() == before


def test_a_git_new_enough_publishes_as_ever(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Guard for the version check: 2.31.0 and a vendor's suffix ('2.39.5.windows.1', 'Apple Git-146') pass."""
    remote = make_remote(tmp_path)
    _git_of_version(tmp_path, monkeypatch, "2.31.0 (Apple Git-146)", old=False)
    outcome, arxiv_id = _approve_and_publish(tmp_path, remote.url)
    assert outcome.startswith(f"{PUBLISHED}:"), outcome
    assert arxiv_id in remote.readme()


def test_no_git_on_path_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Guard: with no git on PATH a publish fails in one line saying so (as config check does), the approval kept."""
    remote = make_remote(tmp_path)
    before = remote.head()
    empty = tmp_path / "no-git"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    outcome, _arxiv_id = _approve_and_publish(tmp_path, remote.url)
    assert outcome.startswith("failed: git is not installed"), outcome
    assert "install git" in outcome and "\n" not in outcome, outcome
    assert remote.head() == before


def test_the_operators_own_author_and_committer_are_not_the_services(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A maintainer whose ~/.gitconfig names them in [author] or [committer] (which git puts above user.name: how many
    keep a work identity apart) ran the service or `digest publish` from their shell: the service's commits went out
    authored by the maintainer, not publish.author. Each of them is now publish.author's."""
    remote = make_remote(tmp_path)
    git_home(tmp_path, monkeypatch, "[author]\n\tname = Alice\n\temail = alice@example.org\n[committer]\n\tname = Al\n")
    outcome, _arxiv_id = _approve_and_publish(tmp_path, remote.url)
    assert outcome.startswith(f"{PUBLISHED}:"), outcome
    identities = git(remote.bare, "log", "-1", "--format=%an <%ae>%n%cn <%ce>", "main").splitlines()
    assert identities == ["digest bot <bot@example.org>"] * 2, identities


def test_the_operators_commit_encoding_does_not_garble_a_title_in_the_services_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A maintainer whose ~/.gitconfig sets i18n.commitEncoding (ISO-8859-1, an old habit) ran the service or `digest
    publish` from their shell: each commit declared that encoding over the UTF-8 message the service writes, so the
    forge and `git log` showed 'Schrödinger' as 'SchrÃ¶dinger'. The service's commits are UTF-8 and say so."""
    remote = make_remote(tmp_path)
    git_home(tmp_path, monkeypatch, "[i18n]\n\tcommitEncoding = ISO-8859-1\n")
    outcome, _arxiv_id = _approve_and_publish(
        tmp_path, remote.url, title="Schrödinger Bridges for Steering Sparse Autoencoders"
    )
    assert outcome.startswith(f"{PUBLISHED}:"), outcome
    subject = git(remote.bare, "log", "-1", "--format=%s", "main")
    assert "Add 1 paper: Schrödinger Bridges" in subject, subject
    assert "\nencoding " not in git(remote.bare, "cat-file", "-p", "main")


@pytest.mark.skipif(backend_path() is None, reason="git-http-backend is not installed")
def test_the_operators_own_authorization_header_does_not_go_with_the_services(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An operator whose ~/.gitconfig sends a header of their own (http.extraHeader = "Authorization: ...", as Azure
    DevOps' docs show for a personal token) ran the service or `digest publish` from their shell: git sent theirs
    before the service's, the forge took the operator's login (or none), and every publish failed with 'check
    DIGEST_GIT_TOKEN', a token that was fine. The service's requests carry its own Authorization alone."""
    remote = make_remote(tmp_path)
    with GitHttpServer(tmp_path, TOKEN) as server:
        url = server.url("remote.git")
        git_home(tmp_path, monkeypatch, "[http]\n\textraHeader = Authorization: Basic b3BlcmF0b3I6cGF0\n")
        outcome, arxiv_id = _approve_and_publish(tmp_path, url, {"DIGEST_GIT_TOKEN": TOKEN})
    assert outcome.startswith(f"{PUBLISHED}:"), outcome
    assert arxiv_id in remote.readme()
    assert set(server.authorizations) == {server.expected}, set(server.authorizations)


@pytest.mark.skipif(backend_path() is None, reason="git-http-backend is not installed")
@pytest.mark.parametrize("where", ["environment", "gitconfig"])
def test_no_password_dialog_opens_for_the_services_login(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """A maintainer's desktop session sets SSH_ASKPASS (KDE's ksshaskpass), or their ~/.gitconfig core.askPass: the
    service's git, refused by the repository, asked for a user name and password in a dialog on their screen, and the
    publish waited on it. It asks no one (its prompts are off): the line says what to set."""
    asked = tmp_path / "asked"
    askpass = tmp_path / "askpass"
    askpass.write_text(f'#!/bin/sh\necho "$1" >> {asked}\necho guess\n')
    askpass.chmod(0o755)
    if where == "environment":
        git_home(tmp_path, monkeypatch, "")
        monkeypatch.setenv("SSH_ASKPASS", str(askpass))
        monkeypatch.setenv("DISPLAY", ":0")
    else:
        git_home(tmp_path, monkeypatch, f"[core]\n\taskPass = {askpass}\n")
    make_remote(tmp_path)
    with GitHttpServer(tmp_path, TOKEN) as server:
        outcome, _arxiv_id = _approve_and_publish(tmp_path, server.url("remote.git"))
    assert not asked.exists(), asked.read_text()
    assert outcome.startswith("failed: ") and "set DIGEST_GIT_TOKEN" in outcome, outcome


@pytest.mark.skipif(backend_path() is None, reason="git-http-backend is not installed")
def test_a_refused_token_leaves_the_operators_saved_logins_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DIGEST_GIT_TOKEN refused (revoked) while the maintainer's ~/.gitconfig keeps their own logins in a credential
    helper: the service's git took the maintainer's saved login to try instead, and when that failed too, told the
    helper to forget it, so the maintainer's own pushes asked for a password again. With a token the service's git
    asks no helper; the saved login stays."""
    make_remote(tmp_path)
    with GitHttpServer(tmp_path, TOKEN) as server:
        url = server.url("remote.git")
        saved = tmp_path / "home" / ".git-credentials"
        git_home(tmp_path, monkeypatch, f"[credential]\n\thelper = store --file {saved}\n")
        host = url.split("/")[2]
        saved.write_text(f"http://maintainer:their-own-password@{host}\n")
        outcome, _arxiv_id = _approve_and_publish(tmp_path, url, {"DIGEST_GIT_TOKEN": "ghp_Revoked0000000000000000"})
        sent = set(server.authorizations)
    assert outcome.startswith("failed: ") and "check DIGEST_GIT_TOKEN" in outcome, outcome
    assert saved.read_text() == f"http://maintainer:their-own-password@{host}\n"
    logins = [base64.b64decode(header.split()[-1]).decode() for header in sent if header]
    assert not any("their-own-password" in login for login in logins), logins


@pytest.mark.skipif(backend_path() is None, reason="git-http-backend is not installed")
def test_the_operators_header_for_the_forges_address_does_not_replace_the_services(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The operator's header set for the forge's address alone ([http "https://github.com/"] extraHeader, as CI
    checkouts write it): git takes the setting for the most specific address, so the service's header, given for
    every address, was dropped for the operator's, and every publish went out under their login or failed with
    'check DIGEST_GIT_TOKEN'. The service's header is given for the repository's own address, and goes alone."""
    remote = make_remote(tmp_path)
    with GitHttpServer(tmp_path, TOKEN) as server:
        url = server.url("remote.git")
        host = "/".join(url.split("/")[:3]) + "/"
        git_home(tmp_path, monkeypatch, f'[http "{host}"]\n\textraHeader = Authorization: Basic b3BlcmF0b3I6cGF0\n')
        outcome, arxiv_id = _approve_and_publish(tmp_path, url, {"DIGEST_GIT_TOKEN": TOKEN})
    assert outcome.startswith(f"{PUBLISHED}:"), outcome
    assert arxiv_id in remote.readme()
    assert set(server.authorizations) == {server.expected}, set(server.authorizations)


@pytest.mark.skipif(backend_path() is None, reason="git-http-backend is not installed")
def test_a_refused_token_leaves_the_operators_login_for_the_forge_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As above, with the helper set for the forge's address alone ([credential "https://github.com"] helper, as
    `gh auth setup-git` writes it): the service's git still asked it and, refused, told it to forget the login."""
    make_remote(tmp_path)
    with GitHttpServer(tmp_path, TOKEN) as server:
        url = server.url("remote.git")
        saved = tmp_path / "home" / ".git-credentials"
        host = "/".join(url.split("/")[:3])
        git_home(tmp_path, monkeypatch, f'[credential "{host}"]\n\thelper = store --file {saved}\n')
        saved.write_text(f"http://maintainer:their-own-password@{host.split('/')[-1]}\n")
        before = saved.read_text()
        outcome, _arxiv_id = _approve_and_publish(tmp_path, url, {"DIGEST_GIT_TOKEN": "ghp_Revoked0000000000000000"})
    assert outcome.startswith("failed: ") and "check DIGEST_GIT_TOKEN" in outcome, outcome
    assert saved.read_text() == before


def test_git_upgraded_while_the_service_runs_is_taken_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The line for a git too old says to upgrade it; upgraded (the same path, a new file) while the service runs,
    the next publish goes through without a restart."""
    remote = make_remote(tmp_path)
    _git_of_version(tmp_path, monkeypatch, "2.30.2")
    outcome, arxiv_id = _approve_and_publish(tmp_path, remote.url)
    assert "2.31 or newer" in outcome, outcome
    wrapper = tmp_path / "old-git" / "git"
    upgraded = wrapper.read_text().replace("2.30.2", "2.39.5").replace("unset GIT_CONFIG_COUNT", "")
    wrapper.unlink()  # a package upgrade puts a new file in its place
    wrapper.write_text(upgraded)
    wrapper.chmod(0o755)
    settings = make_settings(tmp_path / "data", publish_config(remote.url))
    database = open_service_database(settings)
    try:
        result = Publisher(database, settings, clock=lambda: NOW).publish()
    finally:
        database.dispose()
    assert result.outcome == PUBLISHED, result.message
    assert arxiv_id in remote.readme()
