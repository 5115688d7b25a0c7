"""What a forge acts on in text it is given (a commit message, a pull request's description), made dead: issue and
pull request references, links to them and @mentions. Pure."""

from __future__ import annotations

import re

# What a forge reads in a commit message as a reference: "#12", "owner/name#12" and "GH-12" link an issue ("fixes #12"
# closes it once the commit reaches the default branch), "@name" a person (not the "@" of an email address), and so
# does an issue's or pull request's own address ("fixes https://github.com/owner/name/issues/12" closes it too; GitLab's
# /-/issues/12 and /-/merge_requests/12, Gitea's /pulls/12 alike). A zero-width joiner after the "#", "@", "GH" or the
# path's last "/" keeps the text readable and the reference dead.
_REFERENCE = re.compile(
    r"(#|(?<![\w.+-])@)(?=\w)|\b(GH)(?=-\d)|(/(?:issues|pulls?|merge_requests|discussions)/)(?=\d)", re.IGNORECASE
)


def inert_references(text: str) -> str:
    """Text with every issue reference, link to an issue and @mention a forge would act on made dead."""
    return _REFERENCE.sub(lambda found: (found.group(1) or found.group(2) or found.group(3)) + "\u200d", text)
