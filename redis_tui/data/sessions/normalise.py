"""Normalising decoded values: PHP and Java date objects as datetimes, epoch and ISO times,
Django's JSON-encoded messages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, TypeGuard

from redis_tui.data import codecs
from redis_tui.data.codecs import CodecError, ObjectValue

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_PHP_DATE_CLASSES = frozenset(
    {
        "DateTime",
        "DateTimeImmutable",
        "Carbon\\Carbon",
        "Carbon\\CarbonImmutable",
        "Illuminate\\Support\\Carbon",
    }
)
_PHP_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?\Z")
_TZ_OFFSET = re.compile(r"([+-])(\d\d):?(\d\d)\Z")


def normalise(value: Any, *, max_nodes: int = 200_000) -> Any:
    """A copy of a decoded value with PHP ``DateTime``/Carbon objects and Java ``java.time``
    instants as datetimes. Shared objects stay shared and cycles stay cycles; past
    ``max_nodes`` containers the rest is left as it was."""
    budget = [max_nodes]
    memo: dict[int, Any] = {}
    return _normalise(value, memo, budget, 0)


def _normalise(value: Any, memo: dict[int, Any], budget: list[int], depth: int) -> Any:
    kind = type(value)
    if kind not in (dict, list, tuple, ObjectValue):
        return value
    known = memo.get(id(value))
    if known is not None:
        return known
    budget[0] -= 1
    if budget[0] < 0 or depth > codecs.MAX_DEPTH:
        return value
    if kind is ObjectValue:
        converted = _object_datetime(value)
        if converted is not None:
            memo[id(value)] = converted
            return converted
        fields: dict[str, Any] = {}
        result: Any = ObjectValue(value.class_name, fields)
        memo[id(value)] = result
        for name, item in value.fields.items():
            fields[name] = _normalise(item, memo, budget, depth + 1)
        return result
    if kind is dict:
        out: dict[Any, Any] = {}
        memo[id(value)] = out
        for name, item in value.items():
            out[name] = _normalise(item, memo, budget, depth + 1)
        return out
    if kind is list:
        items: list[Any] = []
        memo[id(value)] = items
        items.extend(_normalise(item, memo, budget, depth + 1) for item in value)
        return items
    return tuple(_normalise(item, memo, budget, depth + 1) for item in value)


def _object_datetime(obj: ObjectValue) -> dt.datetime | None:
    if obj.class_name in _PHP_DATE_CLASSES:
        return _php_datetime(obj.fields)
    if obj.class_name == "java.time.Ser":
        notes = obj.fields.get("__annotations__")
        if isinstance(notes, list) and notes and isinstance(notes[0], bytes):
            return _java_time(notes[0])
    return None


def _php_datetime(fields: dict[str, Any]) -> dt.datetime | None:
    text, zone, kind = fields.get("date"), fields.get("timezone"), fields.get("timezone_type")
    if not isinstance(text, str):
        return None
    match = _PHP_DATE.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(match[i]) for i in range(1, 7))
    micro = int((match[7] or "0").ljust(6, "0"))
    tz: dt.tzinfo | None = None
    if isinstance(zone, str):
        offset = _TZ_OFFSET.match(zone)
        if offset:
            sign = -1 if offset[1] == "-" else 1
            tz = dt.timezone(sign * dt.timedelta(hours=int(offset[2]), minutes=int(offset[3])))
        elif zone.upper() in ("UTC", "Z", "GMT"):
            tz = dt.UTC
        elif kind == 3:
            tz = _zone(zone)
    try:
        return dt.datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)
    except ValueError:
        return None


def _zone(name: str) -> dt.tzinfo | None:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    except (ValueError, OSError, ImportError, KeyError):
        return None
    except Exception:  # zoneinfo raises its own ZoneInfoNotFoundError (a KeyError) and more
        return None


def _java_time(data: bytes) -> dt.datetime | None:
    """``java.time.Ser`` external data: type 2 is an ``Instant`` (seconds, nanos)."""
    if len(data) == 13 and data[0] == 2:
        seconds = int.from_bytes(data[1:9], "big", signed=True)
        nanos = int.from_bytes(data[9:13], "big", signed=True)
        try:
            return _EPOCH + dt.timedelta(seconds=seconds, microseconds=nanos // 1000)
        except OverflowError:
            return None
    return None


def django_messages(text: str) -> Any:
    """Django's ``SessionStorage`` keeps messages as a JSON string; decode it, and turn
    ``["__json_message", is_safe, level, message, extra_tags]`` lists into dicts."""
    try:
        value = codecs.decode(text.encode("utf-8"), "json").value
    except CodecError:
        return text
    if not isinstance(value, list):
        return value
    out: list[Any] = []
    for item in value:
        if isinstance(item, list) and len(item) >= 4 and item[0] == "__json_message":
            message: dict[str, Any] = {"level": item[2], "message": item[3]}
            message["extra_tags"] = item[4] if len(item) > 4 else ""
            out.append(message)
        else:
            out.append(item)
    return out


def epoch(value: Any) -> dt.datetime | None:
    if not is_number(value):
        return None
    try:
        return _EPOCH + dt.timedelta(seconds=float(value))
    except (OverflowError, ValueError):
        return None


def epoch_ms(value: Any) -> dt.datetime | None:
    return epoch(value / 1000) if is_number(value) else None


def is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def iso(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
