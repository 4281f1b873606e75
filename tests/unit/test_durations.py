"""What users type in the TTL box."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from redis_tui.data.values.durations import parse_ttl

NOW = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("90", 90_000),
        (" 90 ", 90_000),
        ("90s", 90_000),
        ("15m", 900_000),
        ("2h", 7_200_000),
        ("1d", 86_400_000),
        ("1w", 604_800_000),
        ("1h30m", 5_400_000),
        ("1h 30m 15s", 5_415_000),
        ("1.5h", 5_400_000),
        ("500ms", 500),
        ("2H", 7_200_000),
    ],
)
def test_durations(text: str, ms: int) -> None:
    assert parse_ttl(text, NOW) == ms


@pytest.mark.parametrize("text", ["persist", "none", "NONE", "never", "-1"])
def test_no_expiry(text: str) -> None:
    assert parse_ttl(text, NOW) is None


def test_absolute_times() -> None:
    assert parse_ttl("2026-06-01T14:00:00Z", NOW) == 2 * 3_600_000
    assert parse_ttl("2026-06-01T16:00:00+02:00", NOW) == 2 * 3_600_000
    assert parse_ttl("2026-06-02", NOW.astimezone()) is not None


def test_naive_times_are_local() -> None:
    local_now = datetime(2026, 6, 1, 12, 0, 0)  # naive: local
    assert parse_ttl("2026-06-01 13:30", local_now) == 90 * 60_000
    aware_now = local_now.astimezone()
    assert parse_ttl("2026-06-01 13:30", aware_now) == 90 * 60_000
    east = datetime(2026, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=5)))
    assert parse_ttl("2026-06-01T13:00:00+05:00", east) == 3_600_000


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Empty TTL"),
        ("0", "must be positive"),
        ("-5", "must be positive"),
        ("0s", "must be positive"),
        ("abc", "Not a TTL"),
        ("10x", "Not a TTL"),
        ("1h1h", "appears twice"),
        ("2026-13-45 10:00", "Not a valid date"),
        ("2020-01-01T00:00:00Z", "in the past"),
        ("99999999999999999d", "too long"),
    ],
)
def test_errors_are_clear(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_ttl(text, NOW)
