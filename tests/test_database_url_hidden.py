"""A database URL's password, hidden the two ways the project prints a URL: in a command a hint prints
(config/invocation.py password_hidden, a pattern: config imports no SQLAlchemy) and in a log line, an error or
`digest config show` (storage/failures.py shown_database_url, SQLAlchemy's make_url). Fed the same hostile URLs, neither
shows the password, as the driver would read it."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from sqlalchemy.engine import make_url

from digest.config.invocation import password_hidden
from digest.storage.failures import shown_database_url

# Each URL, and the password the driver is given for it (SQLAlchemy reads the user's up to the first '@').
HOSTILE = [
    ("postgresql+psycopg://ann:p%40ss%40w0rd@db.example/digest", "p@ss@w0rd"),
    ("postgresql+psycopg://ann:a:b/c:d/e@db.example:5432/digest", "a:b/c:d/e"),
    ("postgresql+psycopg://ann:pct%2540s3cret@db.example/digest", "pct%40s3cret"),
    ("postgresql+psycopg://ann:first@second@db.example/digest", "first"),
    ("postgresql+psycopg://ann@db.example/digest?sslmode=require&password=q%40uery:s3cret/x", "q@uery:s3cret/x"),
    ("postgresql+psycopg://ann@db.example/digest?PassWord=MixedCase9&application_name=digest", "MixedCase9"),
    ("postgresql+psycopg://ann@db.example/digest?sslpassword=k3y-pass", "k3y-pass"),
    ("postgresql+psycopg://:only-a-password@[::1]:5432/digest", "only-a-password"),
]


@pytest.mark.parametrize(("url", "password"), HOSTILE)
def test_neither_way_of_printing_a_database_url_shows_its_password(url: str, password: str) -> None:
    parsed = make_url(url)
    assert password in {parsed.password, *(unquote(str(value)) for value in parsed.query.values())}  # as read
    for shown in (password_hidden(url), shown_database_url(url)):
        assert "***" in shown and "%2A" not in shown.upper(), shown  # one way of hiding a password, every hint's
        for form in {password, password.replace("@", "%40"), password.replace("%", "%25")}:
            assert form not in shown and form not in unquote(shown), shown
        assert make_url(shown).host == parsed.host and make_url(shown).database == parsed.database, shown
