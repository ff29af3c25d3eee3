"""A tolerant parser for WWW-Authenticate (RFC 9110 §11.6.1): it never raises."""

from __future__ import annotations

import re

_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_PARAM = re.compile(rf"\s*({_TOKEN})\s*=\s*(\"(?:[^\"\\]|\\.)*\"?|[^,\s]*)\s*,?")
_SCHEME = re.compile(rf"\s*,?\s*({_TOKEN})(?=\s|$|,)")


def parse_challenges(header: str | None) -> dict[str, dict[str, str]]:
    """{scheme (lower case): {param: value}} for every challenge in the header."""
    challenges: dict[str, dict[str, str]] = {}
    text = (header or "")[:8192]
    pos = 0
    current: dict[str, str] | None = None
    while pos < len(text):
        param = _PARAM.match(text, pos)
        if param and current is not None:
            name, value = param.group(1).lower(), param.group(2)
            if value.startswith('"'):
                value = re.sub(r"\\(.)", r"\1", value[1:-1] if value.endswith('"') and len(value) > 1 else value[1:])
            current.setdefault(name, value)
            pos = param.end()
            continue
        scheme = _SCHEME.match(text, pos)
        if scheme:
            current = challenges.setdefault(scheme.group(1).lower(), {})
            pos = scheme.end()  # a token68 ("Basic abc==") reads as a harmless parameter
            continue
        pos += 1  # unparseable character: move on
    return challenges


def bearer_params(header: str | None) -> dict[str, str] | None:
    """The Bearer challenge's parameters, or None when there is no Bearer challenge."""
    return parse_challenges(header).get("bearer")
