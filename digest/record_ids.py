"""Record ids typed by people (a query string, a form field, the command line): one rule for what counts as one.

A leaf. Only ASCII digits within the id columns' range are ids; `int()` alone would take '²'-like digits it cannot
convert, '٣' (an Arabic-Indic three), signs and numbers no id column can hold. The space around one is not part of
it, as it is not of an arXiv ID (' 3 ', pasted or quoted in a script, is 3).
"""

from __future__ import annotations

# The id columns are INTEGER: 32 bits on PostgreSQL, which answers a larger number with "integer out of range" (a 500
# page, a database error on the command line) where SQLite, whose INTEGER is wider, finds no row.
MAX_RECORD_ID = 2**31 - 1
_MAX_DIGITS = len(str(MAX_RECORD_ID))
_ASCII_DIGITS = frozenset("0123456789")


def parse_record_id(text: str) -> int | None:
    """The id `text` spells, or None when it is not a whole number a database row could have."""
    text = text.strip()
    if not text or len(text) > _MAX_DIGITS or not set(text) <= _ASCII_DIGITS:
        return None
    number = int(text)
    return number if number <= MAX_RECORD_ID else None
