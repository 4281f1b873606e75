"""Decompressors: round trips, corrupt input and zip bombs against a small output cap."""

from __future__ import annotations

import gzip
import json
import pickle
import zlib
from collections.abc import Callable

import brotli
import lz4.frame
import pytest
import zstandard

from redis_tui.data.codecs import CodecError, decode, sniff
from redis_tui.data.codecs.compression import decompress, detect

PAYLOAD = json.dumps({"user": "alice", "items": list(range(200))}).encode()
MiB = 1 << 20


def _zstd_streamed(data: bytes) -> bytes:
    # A frame without a declared content size, so the cap must act while inflating.
    return zstandard.ZstdCompressor(write_content_size=False).compress(data)


COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "zlib": zlib.compress,
    "zstd": zstandard.ZstdCompressor().compress,
    "zstd-streamed": _zstd_streamed,
    "lz4": lz4.frame.compress,
    "brotli": brotli.compress,
}


def _fmt(name: str) -> str:
    return name.split("-")[0]


@pytest.mark.parametrize("name", COMPRESSORS)
def test_round_trip_and_auto_layers(name: str) -> None:
    blob = COMPRESSORS[name](PAYLOAD)
    assert decompress(blob, _fmt(name), MiB) == PAYLOAD
    result = decode(blob)
    assert result.format == "json"
    assert result.layers == (_fmt(name),)
    assert result.value["user"] == "alice"
    if name != "brotli":
        assert detect(blob) == sniff(blob) == _fmt(name)


@pytest.mark.parametrize("name", COMPRESSORS)
def test_bomb_is_stopped_at_the_cap(name: str) -> None:
    bomb = COMPRESSORS[name](bytes(10 * MiB))  # 10 MB of zeros, a few KB compressed
    assert len(bomb) < 64 * 1024
    with pytest.raises(CodecError, match="larger than"):
        decompress(bomb, _fmt(name), MiB)
    with pytest.raises(CodecError):
        decode(bomb, max_output=MiB) if name != "brotli" else decode(bomb, "brotli", max_output=MiB)


@pytest.mark.parametrize("name", COMPRESSORS)
def test_truncated_and_corrupt_streams(name: str) -> None:
    blob = COMPRESSORS[name](PAYLOAD)
    for cut in range(0, len(blob), max(1, len(blob) // 40)):
        with pytest.raises(CodecError):
            decompress(blob[:cut], _fmt(name), MiB)
    with pytest.raises(CodecError):
        decompress(blob + b"garbage", _fmt(name), MiB)


def test_concatenated_gzip_members() -> None:
    assert decompress(gzip.compress(b"ab") + gzip.compress(b"cd"), "gzip", MiB) == b"abcd"


def test_nested_layers_are_listed_outermost_first() -> None:
    blob = gzip.compress(zstandard.ZstdCompressor().compress(pickle.dumps({"k": 1})))
    result = decode(blob)
    assert (result.format, result.layers, result.value) == ("pickle", ("gzip", "zstd"), {"k": 1})


def test_zlib_magic_in_plain_text_is_not_an_error() -> None:
    assert decode(b"x^2 + y^2").format == "text"


def test_exact_cap_is_allowed() -> None:
    assert decompress(gzip.compress(b"a" * 100), "gzip", 100) == b"a" * 100
    with pytest.raises(CodecError):
        decompress(gzip.compress(b"a" * 101), "gzip", 100)


def test_unknown_format() -> None:
    with pytest.raises(CodecError, match="unknown"):
        decompress(b"", "rar", MiB)
