"""What the doctor will read from a server it is diagnosing, and no more.

A server the doctor talks to may be hostile: every body is counted *after* decoding (a few
KB of stacked gzip inflate to gigabytes), at most one content-coding layer is decoded
(RFC 9110 §8.4 allows a list; nobody serving metadata needs two), only the codings the
doctor asked for are accepted, the header count is bounded (h11 already bounds the head's
size: 16 KiB), and a whole exchange has a deadline however slowly the bytes come.
Beyond a bound the exchange ends with a `Bound` naming the URL and the limit, which the
report turns into a finding; nothing is ever held in memory past the limit.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

BODY_LIMIT = 1_048_576  # an MCP answer, a login page, a token response
METADATA_LIMIT = 262_144  # RFC 9728 / RFC 8414 / OIDC discovery documents and JWKS
MAX_HEADERS = 100
ACCEPT_ENCODING = "gzip, deflate"  # what Inflater decodes; never br/zstd (not installed everywhere)
CODINGS = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate"}


@dataclass(frozen=True)
class Bound:
    """A limit an answer ran into: which one (code), and in words."""

    code: str  # HTTP_RESPONSE_TOO_LARGE | HTTP_RESPONSE_ENCODING
    message: str


class Exceeded(Exception):
    def __init__(self, bound: Bound) -> None:
        super().__init__(bound.message)
        self.bound = bound


def too_large(limit: int) -> Bound:
    return Bound("HTTP_RESPONSE_TOO_LARGE", f"body larger than {limit:,} bytes after decoding")


def coding_of(values: list[str]) -> str | None:
    """The one content-coding to undo (None for identity); Exceeded for a stack or an
    unknown coding. `values` are every Content-Encoding header line, as sent."""
    names = [v.strip().lower() for line in values for v in line.split(",")]
    names = [n for n in names if n and n != "identity"]
    if len(names) > 1:
        raise Exceeded(Bound("HTTP_RESPONSE_ENCODING", f"{len(names)} content-codings "
                             f"({', '.join(names)}); at most one is decoded"))
    if names and names[0] not in CODINGS:
        raise Exceeded(Bound("HTTP_RESPONSE_ENCODING", f"content-coding {names[0]!r} was not asked "
                             f"for (Accept-Encoding: {ACCEPT_ENCODING})"))
    return CODINGS[names[0]] if names else None


class Inflater:
    """Undo one content-coding, stream by stream, never producing more than `limit` bytes."""

    def __init__(self, coding: str | None, limit: int) -> None:
        self.coding, self.limit = coding, limit
        self.body = bytearray()
        self._z: zlib._Decompress | None = None  # type: ignore[name-defined]
        self._head = b""  # deflate: the first bytes, until the zlib header can be told

    def _new(self, head: bytes) -> zlib._Decompress:  # type: ignore[name-defined]
        if self.coding == "gzip":
            return zlib.decompressobj(31)
        # "deflate" is the zlib format (RFC 9110 §8.4.1.2); some servers send it raw
        zlib_header = len(head) >= 2 and head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0
        return zlib.decompressobj(15 if zlib_header else -15)

    def _keep(self, data: bytes) -> None:
        if len(self.body) + len(data) > self.limit:
            raise Exceeded(too_large(self.limit))
        self.body += data

    def feed(self, data: bytes, *, last: bool = False) -> None:
        if self.coding is None:
            self._keep(data)
            return
        if self.coding == "deflate" and self._z is None and len(self._head) + len(data) < 2 and not last:
            self._head += data  # too short to tell zlib from raw deflate yet
            return
        data, self._head = self._head + data, b""
        while data:
            if self._z is None:
                if self.coding == "gzip" and not data.strip(b"\0"):
                    return  # zero padding after the last member (gzip(1) ignores it too)
                self._z = self._new(data)
            try:
                out = self._z.decompress(data, self.limit - len(self.body) + 1)
            except zlib.error as exc:
                raise Exceeded(Bound("HTTP_RESPONSE_ENCODING", f"the {self.coding} body does not "
                                     f"decode ({exc})")) from None
            self._keep(out)
            data = self._z.unconsumed_tail
            if self._z.eof:  # a gzip body may hold several members (RFC 1952 §2.2)
                data, self._z = self._z.unused_data, None
                if self.coding != "gzip":
                    return

    def close(self) -> bytes:
        if self._head:  # a deflate body of one byte
            self.feed(b"", last=True)
        if self._z is not None:
            try:
                self._keep(self._z.flush(self.limit - len(self.body) + 1))
            except zlib.error:
                pass  # a truncated body: what decoded so far is what the server sent
        return bytes(self.body)
