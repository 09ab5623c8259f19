"""The retry schedule: back-off, give-up and the one delay warning."""

from __future__ import annotations

import pytest

from appliance.queue.retry import delay_warning_due, expired, next_retry_delay

HOUR = 3600.0
DAY = 86400.0


@pytest.mark.parametrize(
    ("attempts", "delay"),
    [(0, 300), (1, 300), (2, 600), (3, 1200), (4, 2400), (5, 3600), (6, 3600), (500, 3600)],
)
def test_backoff_doubles_from_five_minutes_to_an_hour(attempts: int, delay: float) -> None:
    assert next_retry_delay(attempts) == delay


def test_backoff_settings_are_honoured() -> None:
    assert [next_retry_delay(n, base=1, cap=5) for n in range(1, 6)] == [1, 2, 4, 5, 5]
    assert next_retry_delay(3, base=0.1, cap=60) == pytest.approx(0.4)
    assert next_retry_delay(10**9, base=300, cap=3600) == 3600  # no overflow
    assert next_retry_delay(1, base=600, cap=60) == 600  # a cap below base never shortens it
    assert next_retry_delay(3, base=0) == 0


def test_total_retry_schedule_within_five_days() -> None:
    elapsed, attempts = 0.0, 0
    while not expired(0, elapsed):
        attempts += 1
        elapsed += next_retry_delay(attempts)
    # 5 + 10 + 20 + 40 min, then hourly: about 118 tries over 5 days.
    assert 110 < attempts < 125


def test_expired_after_lifetime() -> None:
    arrival = 1_000_000.0
    assert not expired(arrival, arrival + 5 * DAY - 1)
    assert expired(arrival, arrival + 5 * DAY)
    assert expired(arrival, arrival + 11, lifetime=10)
    assert not expired(arrival, arrival)


def test_delay_warning_once_after_four_hours() -> None:
    arrival = 1_000_000.0
    assert not delay_warning_due(arrival, arrival + 4 * HOUR - 1, already_warned=False)
    assert delay_warning_due(arrival, arrival + 4 * HOUR, already_warned=False)
    assert not delay_warning_due(arrival, arrival + 10 * HOUR, already_warned=True)
    assert delay_warning_due(arrival, arrival + 61, after=60, already_warned=False)


def test_delay_warning_zero_means_never() -> None:
    assert not delay_warning_due(0, 10 * DAY, after=0, already_warned=False)
