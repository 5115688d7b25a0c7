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
