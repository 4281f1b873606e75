"""Python stores whose values wrap the session in a layer of their own. Pure: no I/O.

* cachelib's ``RedisCache`` (Flask-Session's CacheLib backend, ``SESSION_TYPE="cachelib"``)
  writes ``b"!" + pickle.dumps(value)`` for anything but an int: the ``!`` comes off and the
  pickle is read by the pure reader (layer ``cachelib``), never ``pickle.loads``.
* django-redis (the session cache of ``django.contrib.sessions.backends.cache``) stores
  ``compressor.compress(serializer.dumps(session))``: pickle, JSON or msgpack inside zlib,
  lzma (xz), lz4 or zstd, which the codecs unwrap by their magic bytes (never inflating past
  the value cap: detection passes it as ``max_output``).
"""

from __future__ import annotations

from typing import Any

from redis_tui.data.codecs import pickle_reader

CACHELIB = "cachelib"
"""The layer name of cachelib's ``!`` before a pickle."""
_CACHELIB_MARK = b"!"


def cachelib(raw: bytes) -> tuple[str, Any, tuple[str, ...]] | None:
    """``("pickle", value, ("cachelib",))`` when ``raw`` is cachelib's ``!`` + a pickle
    (protocol 2 or later, which starts with its PROTO opcode), else None.

    Raises:
        CodecError: the pickle after the mark is corrupt or hostile.
    """
    if len(raw) < 4 or not raw.startswith(_CACHELIB_MARK + b"\x80"):
        return None
    if not 2 <= raw[2] <= pickle_reader.HIGHEST_PROTOCOL:
        return None
    return "pickle", pickle_reader.parse(raw[1:]), (CACHELIB,)
