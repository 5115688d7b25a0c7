"""How a size in bytes or a count is named to people, a leaf: '20 MiB', not '20971520-byte', and '1 error', not
'1 errors', in every message and page."""

from __future__ import annotations

_UNITS = (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024))


def shown_size(count: int) -> str:
    """`count` bytes in the largest binary unit it reaches: whole when it is a whole number of them (the limits are:
    '20 MiB', '64 KiB'), else to one decimal ('2.5 MiB'); under 1 KiB in bytes."""
    for name, unit in _UNITS:
        if count >= unit:
            whole, rest = divmod(count, unit)
            return f"{whole} {name}" if rest == 0 else f"{count / unit:.1f} {name}"
    return "1 byte" if count == 1 else f"{count} bytes"


def counted(count: int, noun: str, plural: str = "") -> str:
    """`count` and the noun, singular for one: '1 error', '2 errors', '0 warnings' (nouns that add an s; `plural`
    for one that does not: counted(2, 'entry', 'entries'))."""
    return f"{count} {noun}" if count == 1 else f"{count} {plural or noun + 's'}"
