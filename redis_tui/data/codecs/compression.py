"""Decompressors with an output cap enforced while decompressing (zip-bomb safe).

Every function inflates in bounded steps and stops as soon as the output would pass
``max_output``; corrupt, truncated or oversized input raises :class:`CodecError`.
"""

from __future__ import annotations

import lzma
import zlib
from collections.abc import Callable
from typing import Any

import brotli
import lz4.frame
import zstandard

from ._base import CodecError

__all__ = [
    "FORMATS",
    "OutputTooLarge",
    "decompress",
    "detect",
    "gunzip",
    "unbrotli",
    "unlz4",
    "unxz",
    "unzlib",
    "unzstd",
]

_STEP = 1 << 20  # output produced per bounded call

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
LZ4_MAGIC = b"\x04\x22\x4d\x18"
XZ_MAGIC = b"\xfd7zXZ\x00"
# Decoder memory is set by the stream's dictionary size (64 MiB at preset 9): refuse more.
_XZ_MEMLIMIT = 128 << 20
_ZLIB_LEVEL_BYTES = frozenset(b"\x01\x5e\x9c\xda")


def detect(data: bytes) -> str | None:
    """The compression format announced by ``data``'s magic bytes (brotli has none)."""
    if data.startswith(GZIP_MAGIC):
        return "gzip"
    if data.startswith(ZSTD_MAGIC):
        return "zstd"
    if data.startswith(LZ4_MAGIC):
        return "lz4"
    if data.startswith(XZ_MAGIC):
        return "lzma"
    # zlib: CMF 0x78 (deflate, 32K window), a known FLG byte and the header checksum.
    if (
        len(data) >= 2
        and data[0] == 0x78
        and data[1] in _ZLIB_LEVEL_BYTES
        and (data[0] << 8 | data[1]) % 31 == 0
    ):
        return "zlib"
    return None


class OutputTooLarge(CodecError):
    """The decompressed data would exceed ``max_output`` (the data may well be valid)."""


def _over(name: str, max_output: int) -> CodecError:
    return OutputTooLarge(f"{name}: output larger than {max_output} bytes")


def _inflate(data: bytes, wbits: int, name: str, max_output: int, *, members: bool) -> bytes:
    out = bytearray()
    pending = data
    while True:
        engine = zlib.decompressobj(wbits)
        while True:
            try:
                # max_length bounds this call's output; one byte over the cap is enough
                # to tell "exactly at the cap" from "over it".
                chunk = engine.decompress(pending, min(_STEP, max_output - len(out) + 1))
            except zlib.error as exc:
                raise CodecError(f"{name}: corrupt data ({exc})") from None
            out += chunk
            if len(out) > max_output:
                raise _over(name, max_output)
            if engine.eof:
                break
            pending = engine.unconsumed_tail
            if not pending and not chunk:
                raise CodecError(f"{name}: truncated stream")
        rest = engine.unused_data
        if not rest:
            return bytes(out)
        # gzip allows concatenated members (what `cat a.gz b.gz` produces).
        if members and rest.startswith(GZIP_MAGIC):
            pending = rest
            continue
        raise CodecError(f"{name}: {len(rest)} bytes of trailing data after the stream")


def gunzip(data: bytes, max_output: int) -> bytes:
    """Decompress gzip (one or more members)."""
    return _inflate(data, 16 + zlib.MAX_WBITS, "gzip", max_output, members=True)


def unzlib(data: bytes, max_output: int) -> bytes:
    """Decompress a zlib stream (RFC 1950)."""
    return _inflate(data, zlib.MAX_WBITS, "zlib", max_output, members=False)


def unzstd(data: bytes, max_output: int) -> bytes:
    """Decompress one or more zstd frames."""
    declared = _zstd_declared_size(data)
    if declared is not None and declared > max_output:
        raise _over("zstd", max_output)
    # Window memory is allocated from the frame header; never more than the output allowed.
    window = 1 << max(20, min(27, max_output.bit_length()))
    try:
        engine = zstandard.ZstdDecompressor(max_window_size=window).decompressobj()
    except zstandard.ZstdError as exc:
        raise CodecError(f"zstd: {exc}") from None
    out = bytearray()
    # python-zstandard's decompressobj has no max_length, so feed small input slices: a
    # zstd block needs at least 4 input bytes and yields at most 128 KiB, which bounds what
    # one call can add past the cap to about 2 MiB.
    step = 64
    pos = 0
    while pos < len(data):
        piece = data[pos : pos + step]
        pos += len(piece)
        try:
            out += engine.decompress(piece)
        except zstandard.ZstdError as exc:
            raise CodecError(f"zstd: corrupt data ({exc})") from None
        if len(out) > max_output:
            raise _over("zstd", max_output)
        if engine.eof:
            rest = engine.unused_data + data[pos:]
            if not rest:
                return bytes(out)
            if not rest.startswith(ZSTD_MAGIC):
                raise CodecError(f"zstd: {len(rest)} bytes of trailing data after the frame")
            engine = zstandard.ZstdDecompressor(max_window_size=window).decompressobj()
            data, pos = rest, 0
    raise CodecError("zstd: truncated frame")


def _zstd_declared_size(data: bytes) -> int | None:
    try:
        size = zstandard.frame_content_size(data)
    except zstandard.ZstdError:
        return None
    return size if size >= 0 else None


def unlz4(data: bytes, max_output: int) -> bytes:
    """Decompress one or more LZ4 frames (the ``lz4.frame`` format, not raw blocks)."""
    # lz4 reports corrupt frames as RuntimeError.
    return _frames("lz4", lz4.frame.LZ4FrameDecompressor, RuntimeError, LZ4_MAGIC, data,
                   max_output)  # fmt: skip


def unxz(data: bytes, max_output: int) -> bytes:
    """Decompress one or more ``.xz`` streams (what Python's ``lzma.compress`` writes, as
    django-redis's ``LzmaCompressor`` does)."""
    return _frames(
        "lzma", lambda: lzma.LZMADecompressor(lzma.FORMAT_XZ, memlimit=_XZ_MEMLIMIT),
        lzma.LZMAError, XZ_MAGIC, data, max_output,
    )  # fmt: skip


def _frames(
    name: str,
    engine_of: Callable[[], Any],
    corrupt: type[Exception],
    magic: bytes,
    data: bytes,
    max_output: int,
) -> bytes:
    """Frames (or streams) one after another, each by a fresh streaming decompressor, never
    inflating more than ``max_output`` bytes in all."""
    out = bytearray()
    pending = data
    while True:
        engine = engine_of()
        feed = pending
        while True:
            try:
                chunk = engine.decompress(feed, max_length=min(_STEP, max_output - len(out) + 1))
            except corrupt as exc:
                raise CodecError(f"{name}: corrupt data ({exc})") from None
            out += chunk
            if len(out) > max_output:
                raise _over(name, max_output)
            if engine.eof:
                break
            if engine.needs_input:
                raise CodecError(f"{name}: truncated frame")
            if not chunk and not feed:  # never spin on a decoder that makes no progress
                raise CodecError(f"{name}: corrupt data (no progress)")
            feed = b""
        rest = engine.unused_data or b""
        if not rest:
            return bytes(out)
        if not rest.startswith(magic):
            raise CodecError(f"{name}: {len(rest)} bytes of trailing data after the frame")
        pending = rest


def unbrotli(data: bytes, max_output: int) -> bytes:
    """Decompress a brotli stream (no magic bytes: only when asked or tried last)."""
    engine = brotli.Decompressor()
    out = bytearray()
    try:
        out += engine.process(data, output_buffer_limit=_brotli_limit(len(out), max_output))
        while len(out) <= max_output and not engine.can_accept_more_data():
            chunk = engine.process(b"", output_buffer_limit=_brotli_limit(len(out), max_output))
            if not chunk:  # never spin on a decoder that makes no progress
                raise CodecError("brotli: corrupt data (no progress)")
            out += chunk
    except brotli.error as exc:
        raise CodecError(f"brotli: corrupt data ({exc})") from None
    if len(out) > max_output:
        raise _over("brotli", max_output)
    if not engine.is_finished():
        raise CodecError("brotli: truncated stream")
    return bytes(out)


def _brotli_limit(produced: int, max_output: int) -> int:
    return max(1, min(_STEP, max_output - produced + 1))


_DECOMPRESSORS: dict[str, Callable[[bytes, int], bytes]] = {
    "gzip": gunzip,
    "zlib": unzlib,
    "zstd": unzstd,
    "lz4": unlz4,
    "lzma": unxz,
    "brotli": unbrotli,
}

FORMATS: tuple[str, ...] = tuple(_DECOMPRESSORS)


def decompress(data: bytes, fmt: str, max_output: int) -> bytes:
    """Decompress ``data`` as ``fmt`` (one of :data:`FORMATS`).

    Raises:
        CodecError: unknown format, corrupt or truncated data, or output over ``max_output``.
    """
    try:
        function = _DECOMPRESSORS[fmt]
    except KeyError:
        raise CodecError(f"unknown compression format {fmt!r}") from None
    if max_output < 0:
        raise CodecError("max_output must not be negative")
    return function(data, max_output)
