"""The lint errors of the list last imported, kept with it: the next `digest list import` compares the errors its
file brings with them instead of parsing and linting the list held again (a second of a big list's import)."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from sqlalchemy.orm import Session

from digest.awesome.lint import ERROR, Finding
from digest.awesome.meta import set_meta
from digest.storage.models import ListMeta

MEMO_KEY = "lint_errors"


@cache
def _code_stamp() -> str:
    """This release's code, as read from its files: a change to lint (or to what it reads) makes a memo stale."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _text_stamp(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


def remember_errors(session: Session, text: str, findings: list[Finding]) -> None:
    """Keeps lint's errors of `text` (lint_text(text)'s, or lint_parsed's of it) for the import after this one."""
    errors = [[f.line, f.code, f.message] for f in findings if f.severity == ERROR]
    set_meta(session, MEMO_KEY, json.dumps({"text": _text_stamp(text), "code": _code_stamp(), "errors": errors}))


def remembered_errors(session: Session, text: str) -> list[Finding] | None:
    """The errors lint_text(text) finds, as remember_errors kept them for this very text and code; else None."""
    row = session.get(ListMeta, MEMO_KEY)
    if row is None:
        return None
    try:
        memo = json.loads(row.value)
    except ValueError:
        return None
    if not isinstance(memo, dict) or memo.get("text") != _text_stamp(text) or memo.get("code") != _code_stamp():
        return None
    return [Finding(int(line), ERROR, str(code), str(message)) for line, code, message in memo["errors"]]
