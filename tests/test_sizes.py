"""How sizes, counts and durations are named to people (digest.sizes): the words every message and page uses."""

from __future__ import annotations

import pytest

from digest.sizes import shown_duration


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (14_400, "4 hours"),
        (3_600, "1 hour"),
        (120, "2 minutes"),
        (60, "1 minute"),
        (90, "90 seconds"),
        (1, "1 second"),
        (2.5, "2.5 seconds"),
        (5_400, "90 minutes"),
        (2 * 86_400, "2 days"),
        (3_700, "about 62 minutes"),
        (4 * 3_600 + 7, "about 4 hours"),
    ],
)
def test_a_duration_is_said_as_a_person_says_it(seconds: float, shown: str) -> None:
    """Git's limits were named in raw seconds ('gave up after 14400 s'): they are said in the largest whole unit."""
    assert shown_duration(seconds) == shown
