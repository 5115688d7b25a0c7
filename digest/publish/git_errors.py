"""The ways a git command of the publisher fails, each a one-line reason with no secret in it."""

from __future__ import annotations


class GitError(Exception):
    """A git command failed (network, authentication, a missing repository); one line, with no secret in it."""


class PushRejectedError(GitError):
    """The remote refused the push because someone pushed first (not a fast-forward)."""


class PushRefusedError(GitError):
    """The remote refused the push for a reason of its own (a protected branch, a hook): trying again won't help."""
