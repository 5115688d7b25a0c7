"""Record ids typed by people (a query string, a form field, the command line): one rule for what counts as one.

A leaf. Only ASCII digits within the databases' 64-bit integer range are ids; `int()` alone would take '²'-like
digits it cannot convert, '٣' (an Arabic-Indic three), spaces, signs and numbers no database column can hold.
"""

from __future__ import annotations

MAX_RECORD_ID = 2**63 - 1  # SQLite INTEGER and PostgreSQL BIGINT; a larger number cannot name a row
_MAX_DIGITS = len(str(MAX_RECORD_ID))
_ASCII_DIGITS = frozenset("0123456789")


def parse_record_id(text: str) -> int | None:
    """The id `text` spells, or None when it is not a whole number a database row could have."""
    if not text or len(text) > _MAX_DIGITS or not set(text) <= _ASCII_DIGITS:
        return None
    number = int(text)
    return number if number <= MAX_RECORD_ID else None
