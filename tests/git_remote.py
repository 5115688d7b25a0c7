"""A real git remote for the publishing tests: a bare repository in tmp_path, seeded with the bundled list as
README.md, and a maintainer's own clone that pushes hand edits to it."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from digest import resources
from digest.review.rules import Actor

AUTHOR_ENV = {
    "GIT_AUTHOR_NAME": "Maintainer",
    "GIT_AUTHOR_EMAIL": "maintainer@example.org",
    "GIT_COMMITTER_NAME": "Maintainer",
    "GIT_COMMITTER_EMAIL": "maintainer@example.org",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": "/nonexistent",
    "PATH": "/usr/bin:/bin:/usr/local/bin",
}


# Shared by the publishing tests: the moment decisions are made, a Discord maintainer, and a typo a maintainer fixes
# by hand in the list's repository.
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
ANN = Actor("ann", "1001", "discord")
TYPO_OLD = "**Spatial Reasoning 4 VLMs**"
TYPO_NEW = "**Spatial Reasoning for VLMs**"
# How maintainers link a paper by hand, other than the abs link the service writes: {id} is the paper's arXiv ID.
HAND_LINKS = {
    "pdf": "https://arxiv.org/pdf/{id}v2.pdf",
    "html": "https://arxiv.org/html/{id}v1",
    "export": "http://export.arxiv.org/abs/{id}",
    "huggingface": "https://huggingface.co/papers/{id}",
    "alphaxiv": "https://www.alphaxiv.org/abs/{id}",
    "doi": "https://doi.org/10.48550/arXiv.{id}",
}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=AUTHOR_ENV, check=False)
    assert done.returncode == 0, f"git {args}: {done.stderr}"
    return done.stdout


@dataclass
class Remote:
    bare: Path
    work: Path  # the maintainer's clone

    @property
    def url(self) -> str:
        return self.bare.as_uri()

    def commits(self) -> list[str]:
        """Commit subjects on main, newest first."""
        return git(self.bare, "log", "--format=%s", "main").splitlines()

    def head(self) -> str:
        return git(self.bare, "rev-parse", "main").strip()

    def readme(self) -> str:
        return git(self.bare, "show", "main:README.md")

    def diff_of_head(self) -> str:
        return git(self.bare, "show", "--format=", "--unified=0", "main", "--", "README.md")

    def message_of_head(self) -> str:
        return git(self.bare, "log", "-1", "--format=%B", "main")

    def push_edit(self, old: str, new: str, subject: str = "Fix a typo by hand") -> None:
        """A maintainer's hand edit of README.md, pushed from their own clone."""
        git(self.work, "pull", "--quiet", "--ff-only", "origin", "main")
        readme = self.work / "README.md"
        text = readme.read_text(encoding="utf-8")
        assert old in text
        readme.write_text(text.replace(old, new, 1), encoding="utf-8")
        git(self.work, "commit", "--quiet", "-am", subject)
        git(self.work, "push", "--quiet", "origin", "HEAD:main")

    def relink(self, arxiv_id: str, form: str) -> None:
        """A maintainer's hand edit: every abs link of the paper (its title's and its badge's) made `form`."""
        abs_url = f"https://arxiv.org/abs/{arxiv_id}"
        while abs_url in self.readme():
            self.push_edit(abs_url, form.format(id=arxiv_id), "Link the paper another way")


def make_remote(root: Path) -> Remote:
    bare = root / "remote.git"
    git(root, "init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    work = root / "maintainer"
    git(root, "clone", "--quiet", bare.as_uri(), str(work))
    git(work, "checkout", "--quiet", "-b", "main")
    (work / "README.md").write_bytes(resources.seed_list_path().read_bytes())
    git(work, "add", "README.md")
    git(work, "commit", "--quiet", "-m", "The list")
    git(work, "push", "--quiet", "origin", "main")
    return Remote(bare, work)


def publish_config(remote_url: str, batch_seconds: float = 0.0) -> str:
    return (
        f'[publish]\nrepository = "{remote_url}"\nauthor = "digest bot <bot@example.org>"\n'
        f"batch_seconds = {batch_seconds}\n"
    )
