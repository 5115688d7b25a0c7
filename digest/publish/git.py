"""The service's own clone of the list's repository, driven through the real `git` command (never a shell string).

Credentials travel only in the child's environment: a token as an `http.extraHeader` given by GIT_CONFIG_* variables
(with no redirect followed), an SSH key's path through GIT_SSH_COMMAND (which also carries ssh's keep-alives, both
after the operator's own core.sshCommand). Nothing secret is written into the clone's config, a URL or an error line.
"""

from __future__ import annotations

import base64
import logging
import re
import subprocess
from pathlib import Path

from digest.config import PublishSettings
from digest.config.invocation import outside_database
from digest.config.publish import away_line
from digest.config.publish import clone_folder as clone_folder
from digest.publish.clone_repair import cleared_stale_lock, keep_hand_work, repair_if_damaged
from digest.publish.clone_writes import write_list_file
from digest.publish.git_environment import git_environment, identity_options, network_environment, unsent_key_warning
from digest.publish.git_errors import GitError as GitError
from digest.publish.git_errors import PushRefusedError as PushRefusedError
from digest.publish.git_errors import PushRejectedError as PushRejectedError
from digest.publish.git_process import GitProcesses, StoppedError, over_network, over_time_limit, time_limit
from digest.publish.git_said import reason
from digest.publish.git_version import git_version_problem
from digest.publish.own_commits import WITHOUT_GLOBAL_CONFIG, Done, marked, record
from digest.publish.retrying import tried_again
from digest.publish.rules import git_command, refused_push_line, renamed_in
from digest.text import one_line

_MISSING_REF = re.compile(r"couldn't find remote ref|could not find remote ref", re.IGNORECASE)
_URL_USER = re.compile(r"(?<=://)[^/@\s]+@")
_SOMEONE_PUSHED_FIRST = re.compile(r"\[rejected\] \((fetch first|non-fast-forward|stale info)\)")
# The repository could not take its branch's lock at that moment (a push under way there): not a refusal.
_REF_BUSY = re.compile(r"cannot lock ref|is at [0-9a-f]+ but expected", re.IGNORECASE)
# The repository's server failed while taking the push (GitHub's "Internal Server Error", a full disk there): it
# refused nothing, so the push is tried again with the back-off rather than held for a maintainer.
_SERVER_FAULT = re.compile(
    r"\[remote rejected\] \((n/a \()?(internal server error|unpacker error|failed to update ref|failed to write"
    r"|service unavailable|bad gateway|gateway time-?out|timed? ?out|try again)",
    re.IGNORECASE,
)
log = logging.getLogger("digest.publish")


def ssh_key_warning(data_dir: Path, publish: PublishSettings) -> str | None:
    """For `config check`: DIGEST_GIT_SSH_KEY with a core.sshCommand it cannot be passed to (unsent_key_warning)."""
    return unsent_key_warning(clone_folder(data_dir), publish) if publish.enabled else None


class GitClone:
    """One working clone in `folder`, tracking `settings.branch` of `settings.repository`."""

    def __init__(self, folder: Path, settings: PublishSettings, digest: str) -> None:
        if not settings.repository:
            raise GitError("publish.repository is not set")
        self.folder = folder
        self.settings = settings
        self.url: str = settings.repository
        self.remote_ref = f"refs/remotes/origin/{settings.branch}"
        self.processes = GitProcesses()
        self.ssh_checked = False  # whether the first fetch or push said what ssh command the key cannot go to
        self.digest = digest  # the service's own `digest` (its settings file and data folder): hints run as printed
        self.publish = f"{digest} publish"
        self.by_hand = ""  # the command that ran it by hand (`digest publish`), not the service: nothing tries again

    # -- the child process -------------------------------------------------------------------------------------------
    def _environment(self, network: bool = False) -> dict[str, str]:
        if network and not self.ssh_checked:
            self.ssh_checked = True
            unsent = unsent_key_warning(self.folder, self.settings)
            if unsent:
                log.warning("publish: %s", unsent)
        return (network_environment if network else git_environment)(self.folder, self.settings, self.url)

    def redact(self, text: str, limit: int = 400) -> str:
        """One line of git's output (or a line holding it) without a credential (a token, a URL's user) or a remote's
        terminal controls, cut to `limit` characters."""
        token = self.settings.token.get_secret_value() if self.settings.token else ""
        if token:
            text = text.replace(token, "***")
            text = text.replace(base64.b64encode(f"x-access-token:{token}".encode()).decode("ascii"), "***")
        return one_line(outside_database(text, self.digest, lambda part: _URL_USER.sub("", part)))[:limit]

    def _run(self, *args: str, stdin: bytes | None = None, check: bool = True, own_config: bool = False) -> Done:
        command, network = ["git", "-C", str(self.folder), *args], over_network(git_command(args))
        environment = self._environment(network) | (WITHOUT_GLOBAL_CONFIG if own_config else {})  # for the mark
        try:
            done = self.processes.run(command, stdin, environment, network)
        except subprocess.TimeoutExpired:
            raise GitError(over_time_limit(git_command(args), network, self.redact(self.url), self.by_hand)) from None
        except StoppedError:
            raise GitError(
                f"git {git_command(args)} was ended: the service is stopping; trying again at start"
            ) from None
        except OSError as exc:
            raise GitError(f"cannot run git: {exc.strerror or exc} (is git installed?)") from None
        # A fetch or push takes its locks (refs, shallow) only to write what came, after the transfer: the short limit.
        if done.returncode != 0 and cleared_stale_lock(self.folder, done, time_limit(network=False)):
            return self._run(*args, stdin=stdin, check=check, own_config=own_config)
        if check and done.returncode != 0:  # a network one names the remote (a stalled link: which one)
            remote = f" with {self.redact(self.url)}" if network else ""
            raise GitError(f"git {git_command(args)}{remote} failed: {self._why(done)}")
        return done

    def stop(self) -> None:
        """Ends a fetch or push under way (the service stopping: it is not waited out) and refuses the next."""
        self.processes.stop()

    def _why(self, done: subprocess.CompletedProcess[bytes]) -> str:
        """Git's own reason and what to do (git_said.reason), one line without a secret."""
        said = (done.stderr or done.stdout).decode("utf-8", "replace")
        said = reason(said, self.settings, self.url, self.folder, by_hand=self.by_hand)
        limit = 2000 if away_line(self.url) else 400  # git's words are cut; the away line's command never
        return self.redact(said, limit) or f"exit status {done.returncode}"

    # -- what the publisher asks -------------------------------------------------------------------------------------
    def ensure(self) -> None:
        """Creates the clone on first use; follows a changed repository URL. A clone without its remote (a killed
        `init`) or that git cannot read is made again, rather than failing every publish from then on."""
        problem = git_version_problem()
        if problem:
            raise GitError(problem)
        self.folder.mkdir(parents=True, exist_ok=True)
        repair_if_damaged(self.folder, self._run("status", "--porcelain", "-uno", check=False), self.redact)
        current = self._run("remote", "get-url", "origin", check=False)
        if current.returncode != 0:  # no clone yet, or one a killed `init` left (it is made again)
            self._run("init", "--quiet")
            self._run("remote", "add", "origin", self.url)
        elif current.stdout.decode().strip() != self.url:
            self._run("remote", "set-url", "origin", self.url)

    def fetch(self, branch: str | None = None) -> str | None:
        """Fetches the branch (the configured one unless named); returns its newest commit, or None when the remote
        has no such branch yet."""
        self.ensure()
        branch = branch or self.settings.branch
        remote_ref = f"refs/remotes/origin/{branch}"
        # A shallow repository (a mirror made with --depth): git refuses its refs unless told to take its boundary.
        fetch = ("fetch", "--quiet", "--no-tags", "--update-shallow", "origin", f"+refs/heads/{branch}:{remote_ref}")
        done = self._run(*fetch, check=False)
        if done.returncode != 0:
            if _MISSING_REF.search(done.stderr.decode("utf-8", "replace")):
                return None
            raise GitError(f"git fetch from {self.redact(self.url)} failed: {self._why(done)}")
        return self._run("rev-parse", "--verify", remote_ref).stdout.decode().strip()

    def remote_head(self, branch: str | None = None) -> str | None:
        """The branch's newest commit on the remote as `ls-remote` says (nothing fetched), None when it has none."""
        self.ensure()
        ref = f"refs/heads/{branch or self.settings.branch}"
        found = [line.split()[0] for line in self._run("ls-remote", "origin", ref).stdout.decode().splitlines()]
        return found[0] if found else None

    def default_branch(self) -> str | None:
        """The branch the remote's HEAD names (its default, as a forge sets it), None when it names none."""
        said = self._run("ls-remote", "--symref", "origin", "HEAD", check=False).stdout.decode("utf-8", "replace")
        return said.partition("ref: refs/heads/")[2].partition("\t")[0] or None

    def branches(self) -> list[str]:
        """The names of the remote's branches (none in an empty repository)."""
        done = self._run("ls-remote", "--heads", "origin", check=False)
        if done.returncode != 0:
            raise GitError(f"git ls-remote of {self.redact(self.url)} failed: {self._why(done)}")
        return [line.split("refs/heads/", 1)[1] for line in done.stdout.decode().splitlines() if "refs/heads/" in line]

    def read(self, commit: str | None, path: str | None = None) -> bytes | None:
        """The list file (or the file at `path`) at `commit`, or None when the commit or the file is missing."""
        done = self._run("show", f"{commit}:{path or self.settings.path}", check=False) if commit else None
        return done.stdout if done is not None and done.returncode == 0 else None

    def files(self, commit: str) -> list[str]:
        """The paths of every file at `commit`."""
        return self._run("ls-tree", "-r", "-z", "--name-only", commit).stdout.decode("utf-8", "replace").split("\0")

    def commit(self, parent: str | None, data: bytes, message: str, merge_parent: str | None = None) -> str:
        """A commit of `data` as the list file on top of `parent` (a new history when None), also on top of
        `merge_parent` when given (a merge: the target branch brought into a pull request's), marked as the service's
        (own_commits.marked); returns its id."""
        keep_hand_work(self.folder, self._run, self.settings.author, self.digest)
        if parent is None:
            # A first commit whose push failed left the branch behind: it starts again from nothing.
            self._run("update-ref", "-d", "refs/heads/digest-publish-new", check=False)
            self._run("checkout", "--quiet", "--orphan", "digest-publish-new")
            self._run("rm", "-r", "--quiet", "--cached", "--ignore-unmatch", ".")
        else:
            self._run("checkout", "--quiet", "--force", "-B", "digest-publish", parent)
        identity = identity_options(self.settings.author)
        if parent is not None and merge_parent is not None:
            self._merge_in(merge_parent, identity)
        write_list_file(self.folder, self._run, self.settings.path, data)
        self._run("add", "--", self.settings.path)
        if parent is not None and merge_parent is not None:
            tree = self._run("write-tree").stdout.decode().strip()
            self._run("merge", "--quit")
            merge = ("commit-tree", tree, "-p", parent, "-p", merge_parent, "-F", "-")
            made = self._run(*identity, *merge, stdin=marked(self._run, message)).stdout
            return record(self.folder, made.decode().strip())
        commit = ("commit", "--quiet", "--no-verify", "--cleanup=verbatim", "-F", "-")
        self._run(*identity, *commit, stdin=marked(self._run, message))
        return record(self.folder, self._run("rev-parse", "HEAD").stdout.decode().strip())

    def _merge_in(self, other: str, identity: tuple[str, ...]) -> None:
        """`other` merged in, not committed: the target's other files (one maintainers added or changed there) come
        with it, so the pull request changes the list alone; the branch's lines stand where both changed a line."""
        merge = ("merge", "--quiet", "--no-commit", "--no-ff", "--allow-unrelated-histories", "-X", "ours", other)
        done = self._run(*identity, *merge, check=False)
        unmerged = self._run("diff", "--name-only", "-z", "--diff-filter=U").stdout.decode("utf-8", "replace")
        others = [path for path in unmerged.split("\0") if path and path != self.settings.path]
        if done.returncode != 0 and (others or not unmerged):  # a conflict beyond the list file, which is written over
            self._run("merge", "--abort", check=False)
            why = self.redact(", ".join(others[:3])) or self._why(done)
            raise GitError(
                f"{self.settings.branch} cannot be merged into the pull request's branch ({why}): merge it there by "
                "hand, or merge or close the pull request"
            )

    def message_of(self, commit: str) -> str:
        return self._run("log", "-1", "--format=%B", commit, check=False).stdout.decode("utf-8", "replace")

    def messages_since(self, older: str | None, newer: str, limit: int = 200) -> list[tuple[str, str]]:
        """(commit, message) of each commit in `newer` that `older` lacks (`newer` alone when None), newest first."""
        scope = (f"{older}..{newer}",) if older and self.knows(older) else ("--max-count=1", newer)
        done = self._run("log", "-z", f"--max-count={limit}", "--format=%H%n%B", *scope, check=False)
        records = done.stdout.decode("utf-8", "replace").split("\0") if done.returncode == 0 else []
        return [(record[:40], record[41:]) for record in records if len(record) >= 40]

    def log(self, *args: str) -> str:
        """What `git log` with `args` (options, commits) says of the list file's history; '' when it fails."""
        done = self._run("log", *args, "--", self.settings.path, check=False)
        return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else ""

    def mode_of(self, commit: str) -> str:
        """The list file's mode at `commit` (120000 a symbolic link, 040000 a folder), "" when absent."""
        listed = self._run("ls-tree", "-z", commit, "--", self.settings.path, check=False).stdout.decode()
        return listed.split(" ", 1)[0] if " " in listed else ""

    def is_ancestor(self, older: str, newer: str) -> bool:
        return self._run("merge-base", "--is-ancestor", older, newer, check=False).returncode == 0

    def knows(self, commit: str) -> bool:
        return self._run("cat-file", "-e", f"{commit}^{{commit}}", check=False).returncode == 0

    def merge_base(self, one: str, other: str) -> str | None:
        """The newest commit both histories share, or None when they share none."""
        done = self._run("merge-base", one, other, check=False)
        return done.stdout.decode().strip() or None if done.returncode == 0 else None

    def renamed_to(self, older: str, newer: str, path: str) -> str | None:
        """Where `path` went between two commits when git sees it renamed (its text mostly kept), else None."""
        done = self._run("diff", "--name-status", "-z", "-M", older, newer, check=False)
        return renamed_in(done.stdout.decode("utf-8", "replace"), path)

    def push(self, commit: str, branch: str | None = None) -> None:
        """Pushes `commit` to the branch (the configured one unless named), never forced; raises PushRejectedError
        when someone pushed first."""
        branch = branch or self.settings.branch
        done = self._run("push", "--porcelain", "origin", f"{commit}:refs/heads/{branch}", check=False)
        output = done.stdout.decode("utf-8", "replace")
        refused = [line for line in output.splitlines() if line.startswith("!")]
        if any(_SOMEONE_PUSHED_FIRST.search(line) for line in refused):
            raise PushRejectedError(f"the push to {branch} was rejected: {self._why(done)}")
        stderr = done.stderr.decode("utf-8", "replace")
        busy = [line for line in (*refused, *stderr.splitlines()) if _REF_BUSY.search(line)]
        if refused and busy:  # the branch locked there at that moment (another push): tried again with the back-off
            said = self.redact(busy[-1].removeprefix("remote:").strip())[:200]
            then = tried_again(self.by_hand)
            raise GitError(f"{self.redact(self.url)} could not update {branch} just then ({said}); {then}")
        faults = [line for line in refused if _SERVER_FAULT.search(line)]
        if faults:
            said = self.redact(one_line(" ".join(faults[0].split("\t")[2:])))[:120]
            then = tried_again(self.by_hand)
            raise GitError(f"{self.redact(self.url)} failed on its side taking the push to {branch} ({said}); {then}")
        if refused:  # a hook or a protected branch: trying again changes nothing
            url, mode = self.redact(self.url), self.settings.mode
            raise PushRefusedError(refused_push_line(url, branch, refused[0], stderr, self.publish, mode))
        if done.returncode != 0:
            raise GitError(f"git push to {self.redact(self.url)} failed: {self._why(done)}")

    def merge(self, ours: str, base: str, theirs: str) -> tuple[str, int]:
        """A three-way line merge (`git merge-file`); returns the text and the number of conflicts."""
        work = self.folder.parent / "merge"
        work.mkdir(parents=True, exist_ok=True)
        paths = [work / name for name in ("ours", "base", "theirs")]
        for path, text in zip(paths, (ours, base, theirs), strict=True):
            path.write_bytes(text.encode("utf-8"))
        done = subprocess.run(
            ["git", "merge-file", "-p", "--quiet", *map(str, paths)],
            capture_output=True,
            env=self._environment(),
            timeout=time_limit(network=False),
            check=False,
        )
        if done.returncode < 0 or done.returncode > 127:
            raise GitError(f"git merge-file failed: {self._why(done)}")
        return done.stdout.decode("utf-8"), done.returncode
