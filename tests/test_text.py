"""The one URL policy and the one code-link rule (digest/text.py), and what they changed where four URL validators
and two code-link extractors used to disagree."""

from __future__ import annotations

import pytest

from digest.arxiv.candidates import code_url as watcher_code_url
from digest.arxiv.parse import ArxivPaper
from digest.awesome import entry
from digest.awesome.lint import lint_text
from digest.discord.messages import code_url_for
from digest.storage.models import PENDING, Candidate
from digest.text import URL_LENGTH_LIMIT, acceptable_url, code_url_in, url_problem
from digest.web import syndication
from digest.weekly import issue, itemtext

LONG = "https://example.org/" + "a" * URL_LENGTH_LIMIT
REFUSED = [
    "javascript:alert(1)",
    "data:text/html,<b>",
    "https:/arxiv.org/abs/2401.00001",  # no host
    "http://user@evil.example/",  # credentials: it goes to evil.example
    "https://arxiv.org@evil.example/",
    "http://192.168.0.1/paper",  # no paper lives at a bare address (and `digest list lint` says so)
    "https://exämple.org/",  # a look-alike host
    "https://x.org/a b",
    "https://x.org/a\nb",  # urlsplit would drop the newline silently
    "https://x.org/\x1b[31m",
    "https://x.org/\u202egnp.exe",  # a bidi override
    LONG,
]


@pytest.mark.parametrize("url", REFUSED)
def test_every_output_refuses_what_the_policy_refuses(url: str) -> None:
    assert url_problem(url) is not None and acceptable_url(url) is None
    assert entry.safe_url(url) is None and syndication.safe_url(url) is None and itemtext.safe_url(url) is None


def test_an_acceptable_url_is_escaped_by_each_output_for_its_own_format() -> None:
    url = " https://github.com/a/b)[x](https://evil.example/é "
    assert acceptable_url(url) == url.strip() and syndication.safe_url(url) == url.strip()  # XML escapes it later
    assert entry.safe_url(url) == "https://github.com/a/b%29%5Bx%5D%28https://evil.example/é"  # list Markdown
    assert itemtext.safe_url(url) == "https://github.com/a/b%29[x]%28https://evil.example/%C3%A9"  # digest, email


def test_before_the_policy_the_feeds_pages_and_digest_let_these_through() -> None:
    """syndication.safe_url only checked the scheme prefix and XML-illegal characters; weekly.safe_url percent-encoded
    whatever it got; entry.safe_url allowed a bare IP address that `digest list lint` then reported as malformed."""
    assert syndication.safe_url("http://user@evil.example/") is None
    assert syndication.safe_url("https://a.org/\u202e") is None and syndication.safe_url("https://a.org/x\ny") is None
    assert itemtext.safe_url("https://x.org/a b") is None  # was https://x.org/a%20b
    assert entry.safe_url("http://1.2.3.4/x") is None
    listed = f"## P\n+ [A paper](http://1.2.3.4/x) (Jan. 5, 2024)\n+ [B paper]({LONG}) (Jan. 4, 2024)\n"
    found = [(f.code, f.message) for f in lint_text(listed)]
    assert ("malformed-url", "title link 'http://1.2.3.4/x' has no valid host name") in found
    assert any(code == "malformed-url" and "longer than 2048" in message for code, message in found)


def test_the_digest_keeps_its_own_approval_link_on_a_local_address() -> None:
    """The service's own links come from the configured base URL (http://127.0.0.1:8080 by default), not from
    outside: the digest only escapes them."""
    paper = issue.PendingPaper("T", "2401.00001", 0.5, None, approve_url="http://127.0.0.1:8080/approve/x?s=a b")
    assert issue.pending_item(paper).approve_url == "http://127.0.0.1:8080/approve/x?s=a%20b"
    assert issue.pending_item(issue.PendingPaper("T", "2401.00001", 0.5, None, approve_url="")).approve_url is None


def arxiv_paper(abstract: str, comments: str | None = None) -> ArxivPaper:
    return ArxivPaper("2401.00001", 1, "T", [], abstract, [], None, None, None, None, None, comments, None)


def candidate(abstract: str, comments: str | None = None, code_url: str | None = None) -> Candidate:
    return Candidate(
        arxiv_id="2401.00001", title="T", abstract=abstract, comments=comments, code_url=code_url, status=PENDING
    )


@pytest.mark.parametrize(
    ("comments", "abstract", "expected"),
    [
        # The watcher read only GitHub, GitLab and Hugging Face; the bot also Bitbucket and Codeberg.
        (None, "Code: https://codeberg.org/a/b.", "https://codeberg.org/a/b"),
        (None, "See https://bitbucket.org/team/tool", "https://bitbucket.org/team/tool"),
        # The watcher cut every link to two path segments: a Hugging Face dataset lost its name.
        (None, "at https://huggingface.co/datasets/org/name now", "https://huggingface.co/datasets/org/name"),
        # The watcher also needed two segments, so an organisation's page was no code link; the bot showed it.
        (None, "released soon at https://github.com/ClawGym.", "https://github.com/ClawGym"),
        # The watcher's \w took any letter: names on these hosts are ASCII.
        (None, "https://github.com/ówner/repo", None),
        (None, "https://github.com/a/b)[click](https://evil.example)", "https://github.com/a/b"),
        # The comments ("Code: ...") come before the abstract, in the watcher and the bot alike.
        ("Code at https://github.com/c/d", "https://github.com/a/b", "https://github.com/c/d"),
    ],
)
def test_the_watcher_and_the_bot_find_the_same_code_link(comments: str | None, abstract: str, expected: str) -> None:
    assert code_url_in(comments, abstract) == expected
    assert watcher_code_url(arxiv_paper(abstract, comments)) == expected
    assert code_url_for(candidate(abstract, comments)) == expected


def test_the_bot_prefers_the_stored_code_link() -> None:
    stored = candidate("https://github.com/a/b", code_url="https://gitlab.com/g/sub/project")
    assert code_url_for(stored) == "https://gitlab.com/g/sub/project"
    assert code_url_for(candidate("https://github.com/a/b", code_url="https://project.example/")) == (
        "https://github.com/a/b"
    )
