"""Decompression bombs, made quickly: a raw deflate block of 1 MiB of zeros ended with a
full flush compresses to the same bytes every time, so N MiB is that block N times (built in
milliseconds instead of compressing N MiB). Each is valid: a decoder without a bound would
really produce N MiB."""

from __future__ import annotations

import functools
import struct
import zlib

MIB = 1 << 20


@functools.cache
def _block() -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(bytes(MIB)) + c.flush(zlib.Z_FULL_FLUSH)


def _final() -> bytes:
    return zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)


@functools.cache
def raw_deflate(mib: int) -> bytes:
    return _block() * mib + _final()


def _crc_of_zeros(mib: int) -> int:
    crc, chunk = 0, bytes(MIB)
    for _ in range(mib):
        crc = zlib.crc32(chunk, crc)
    return crc


@functools.cache
def gzip_zeros(mib: int) -> bytes:
    """One gzip member inflating to `mib` MiB of zeros."""
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + raw_deflate(mib) + struct.pack("<II", _crc_of_zeros(mib), (mib * MIB) & 0xFFFFFFFF)


@functools.cache
def zlib_zeros(mib: int) -> bytes:
    """`Content-Encoding: deflate` as RFC 9110 defines it: the zlib format."""
    adler = 1
    chunk = bytes(MIB)
    for _ in range(mib):
        adler = zlib.adler32(chunk, adler)
    return b"\x78\xda" + raw_deflate(mib) + struct.pack(">I", adler)


def gzip_of(data: bytes) -> bytes:
    import gzip

    return gzip.compress(data, 9)


def bombs() -> dict[str, tuple[dict[str, str], bytes]]:
    """name → (headers, body): five bombs, each a few KB to a MB on the wire."""
    return {
        "stacked gzip": ({"Content-Encoding": "gzip, gzip"}, gzip_of(gzip_zeros(1024))),
        "deflate in gzip, two header lines": ({"Content-Encoding": "deflate"},  # + a gzip line (below)
                                              gzip_of(zlib_zeros(1024))),
        "huge single gzip layer": ({"Content-Encoding": "gzip"}, gzip_zeros(1024)),
        "huge raw deflate": ({"Content-Encoding": "deflate"}, raw_deflate(1024)),
        "many gzip members": ({"Content-Encoding": "gzip"}, gzip_zeros(64) * 16),
    }
