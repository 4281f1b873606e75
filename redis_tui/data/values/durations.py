"""What a user types in the TTL box, turned into milliseconds for PEXPIRE (or None: PERSIST).

Accepted:

- a number of seconds: ``90``;
- a duration, units ``ms s m h d w``, combined and spaced freely: ``90s``, ``15m``, ``2h``,
  ``1d``, ``1h30m``, ``1h 30m``, ``1.5h``;
- no expiry: ``persist``, ``none``, ``never``, ``-1``;
- an absolute time, ISO 8601: ``2026-12-01T10:00:00Z``, ``2026-12-01T10:00+02:00``,
  ``2026-12-01 10:00`` (local time when no zone is given), ``2026-12-01`` (local midnight).
"""

from __future__ import annotations

import re
from datetime import datetime

_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)", re.IGNORECASE)
_DURATION = re.compile(r"(?:\d+(?:\.\d+)?\s*(?:ms|s|m|h|d|w)\s*)+", re.IGNORECASE)
_PERSIST = {"persist", "none", "never", "-1", "no ttl"}
# PEXPIRE takes at most a signed 64-bit count of ms, and Redis adds it to the current time.
MAX_TTL_MS = 2**62

EXAMPLES = "90, 90s, 15m, 2h, 1d, 1h30m, persist, or a time like 2026-12-01 10:00"


def parse_ttl(text: str, now: datetime | None = None) -> int | None:
    """Parse a TTL typed by the user.

    Args:
        text: what was typed.
        now: the current time, for absolute times (aware, or naive local); default now.

    Returns:
        Milliseconds from ``now`` (always > 0), or None for "no expiry" (PERSIST).

    Raises:
        ValueError: the text is none of the accepted forms, is zero, or is in the past. The
            message is one line, fit to show the user.
    """
    raw = text.strip()
    if not raw:
        raise ValueError(f"Empty TTL: type {EXAMPLES}")
    if raw.lower() in _PERSIST:
        return None
    if re.fullmatch(r"-?\d+", raw):
        seconds = int(raw)
        if seconds <= 0:
            raise ValueError(
                "A TTL must be positive: 0 or less would delete the key (use delete, or "
                "persist / -1 to remove the expiry)"
            )
        return _checked(seconds * 1000)
    if _DURATION.fullmatch(raw):
        total = 0.0
        units_seen: set[str] = set()
        for number, unit in _PART.findall(raw):
            unit = unit.lower()
            if unit in units_seen:
                raise ValueError(f"Unit {unit!r} appears twice in {raw!r}")
            units_seen.add(unit)
            total += float(number) * _UNIT_MS[unit]
        ms = round(total)
        if ms <= 0:
            raise ValueError(f"A TTL must be positive, got {raw!r}")
        return _checked(ms)
    if re.match(r"\d{4}-\d{2}-\d{2}", raw):
        return _until(raw, now)
    raise ValueError(f"Not a TTL: {raw!r}. Type {EXAMPLES}")


def _until(raw: str, now: datetime | None) -> int:
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(
            f"Not a valid date and time: {raw!r} (use 2026-12-01T10:00:00Z or 2026-12-01 10:00)"
        ) from None
    # Naive times are local; astimezone() on a naive datetime assumes the local zone.
    when = when.astimezone()
    current = (now or datetime.now()).astimezone()
    ms = round((when - current).total_seconds() * 1000)
    if ms <= 0:
        raise ValueError(f"{raw} is in the past")
    return _checked(ms)


def _checked(ms: int) -> int:
    if ms > MAX_TTL_MS:
        raise ValueError("That TTL is too long for Redis")
    return ms
