"""Back-off for what the bot tries again (digest.discord.retries), on a clock the test moves."""

from __future__ import annotations

from digest.discord.retries import Retries


def test_each_failure_doubles_the_wait_up_to_the_longest_and_a_success_forgets_it() -> None:
    now = [0.0]
    retries: Retries[int] = Retries(5.0, longest=30.0, clock=lambda: now[0])
    assert [retries.failed(7) for _ in range(5)] == [5.0, 10.0, 20.0, 30.0, 30.0]
    assert retries.waiting(7) and retries.due() == []
    now[0] = 30.0
    assert not retries.waiting(7) and retries.due() == [7]
    retries.succeeded(7)
    assert retries.due() == [] and retries.failed(7) == 5.0
    assert not retries.waiting(8)


def test_a_key_failing_for_days_keeps_its_longest_wait_and_never_raises() -> None:
    """A review channel the bot may not read or post to for a long weekend fails every five minutes: the 1,024th
    failure (3.5 days) overflowed the doubling (2.0 ** 1024), and the OverflowError ended the bot's background loop,
    so nothing was posted or edited again until a restart, even after the permission came back."""
    now = [0.0]
    retries: Retries[str] = Retries(5.0, longest=300.0, clock=lambda: now[0])
    delays = []
    for _ in range(2000):  # a week of failures, each tried once its wait has passed
        delays.append(retries.failed("posting"))
        now[0] += delays[-1]
    assert delays[-1] == 300.0 and max(delays) == 300.0
    assert retries.due() == ["posting"]
