"""How a size in bytes, a count or a duration is named to people, a leaf: '20 MiB', not '20971520-byte', '1 error',
not '1 errors', '4 hours', not '14400 s', and 'a, b, c and 37 more', not every address, in every message and page."""

from __future__ import annotations

from collections.abc import Sequence

_UNITS = (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024))
_UNITS_OF_TIME = (("day", 86_400), ("hour", 3_600), ("minute", 60))
_SECONDS_SHOWN_UNDER = 600  # a duration not a whole number of minutes is said in seconds below ten minutes


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


NAMED = 3  # at most this many of a list (a readers' addresses) are named in a line; the others are counted


def few_named(names: Sequence[str]) -> str:
    """Up to NAMED of `names` by name, in their order, and the others counted: 'a, b, c and 37 more'. A log line and a
    command's answer carry a few readers' addresses, never the whole list."""
    shown = ", ".join(names[:NAMED])
    return shown if len(names) <= NAMED else f"{shown} and {len(names) - NAMED} more"


def shown_duration(seconds: float) -> str:
    """`seconds` as a person says it: in the largest unit it is a whole number of ('4 hours', '2 minutes', '1 day'),
    else in seconds under ten minutes ('90 seconds', '2.5 seconds'), else about so many minutes or hours."""
    for name, unit in _UNITS_OF_TIME:
        if seconds >= unit and seconds % unit == 0:
            return counted(int(seconds // unit), name)
    if seconds < _SECONDS_SHOWN_UNDER:
        shown = round(seconds, 1)
        return "1 second" if shown == 1 else f"{shown:g} seconds"
    name, unit = ("hour", 3_600) if seconds >= 2 * 3_600 else ("minute", 60)
    return f"about {counted(round(seconds / unit), name)}"
