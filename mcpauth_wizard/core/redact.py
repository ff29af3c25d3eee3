"""Secrets and tokens never appear whole in output: signatures removed, secrets masked."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

_JWE = re.compile(r"\beyJ[\w-]*\.[\w-]*\.[\w-]*\.[\w-]*\.[\w-]+")  # encrypted: nothing to show
_JWT = re.compile(r"\b(eyJ[\w-]*)\.(eyJ[\w-]*)\.([\w-]+)")


def redact_jwt(token: str) -> str:
    """header.payload.<signature redacted> — the claims stay readable, the token unusable."""
    return _JWT.sub(r"\1.\2.<signature redacted>", _JWE.sub("<encrypted token redacted>", token))


def mask(secret: str | None) -> str:
    return "" if not secret else "********"


def redact_text(text: str, secrets: list[str] | tuple[str, ...] = ()) -> str:
    """Redact every JWT signature and every known secret in a piece of evidence."""
    text = redact_jwt(text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, mask(secret))
    return text


def jwt_claims(token: str) -> dict[str, Any]:
    """The unverified claims of a JWT, for display (never for a decision)."""
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
